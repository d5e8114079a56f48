"""The canonical ``events`` layout: CSV (.csv, .csv.gz), JSON lines, JSON arrays, Parquet.

Columns named like the canonical event are used as they are; ``[sources.columns]`` maps
other names (``user_id = "CustomerID"``); ``[sources.constants]`` fills canonical columns
the file lacks; every other column goes into ``properties``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import SourceConfig
from .base import ReaderOutput
from .files import read_mapped

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "iso"


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    return read_mapped(con, source, file)
