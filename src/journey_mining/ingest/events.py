"""The canonical ``events`` layout: CSV (.csv, .csv.gz), JSON lines, JSON arrays, Parquet.

Columns named like the canonical event are used as they are; ``[sources.columns]`` maps
other names (``user_id = "CustomerID"``); ``[sources.constants]`` fills canonical columns
the file lacks; every other column goes into ``properties``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import SourceConfig
from .base import ReaderOutput, canonical_projection, temp_name
from .files import read_records

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "iso"


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    rec = read_records(con, source, file)
    select_list, params = canonical_projection(source, rec.fields)
    out = temp_name("events")
    con.execute(
        f"create temp table {out} as select file, line, raw, error, {select_list} from {rec.table}",
        params,
    )
    con.execute(f"drop table {rec.table}")
    return ReaderOutput(out, rec.position_kind)
