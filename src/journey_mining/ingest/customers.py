"""The ``customers`` format: a profile table (CSV, JSON lines, JSON, Parquet).

Each row names a customer by ``user_id``, ``email`` and/or ``anonymous_id`` (mapped with
``[sources.columns]`` like the events layout) and carries attributes (every other column,
e.g. ``persona``, ``segment``) as a JSON object. Profiles give no events: they link
identifiers and add attributes to customers.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import SourceConfig
from ..schema import PROFILE_COLUMNS
from .base import ReaderOutput
from .files import read_mapped

__all__ = ["read"]


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    return read_mapped(con, source, file, output=PROFILE_COLUMNS, properties_name="attributes")
