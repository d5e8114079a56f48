"""What every metrics reader shares: a warehouse given as a path or as a connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

__all__ = ["Warehouse", "warehouse_connection", "read_frame"]

Warehouse = duckdb.DuckDBPyConnection | str | Path


@contextmanager
def warehouse_connection(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield ``warehouse`` if it is a connection, else a read-only connection to that file
    (closed on exit)."""
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield warehouse
        return
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def read_frame(warehouse: Warehouse, sql: str, params: dict | None = None) -> pd.DataFrame:
    """The result of one query (bound ``params``) as a DataFrame."""
    with warehouse_connection(warehouse) as con:
        return con.execute(sql, params or {}).df()
