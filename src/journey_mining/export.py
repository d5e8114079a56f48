"""Export every warehouse table to Parquet for BI tools: one folder per table.

Layout under ``export.parquet_dir`` (hive-style, so DuckDB, Spark, pandas/pyarrow and most
BI tools read each folder as one table)::

    events/occurred_month=2026-09/data_0.parquet   # partitioned by month of occurred_at
    quarantine/source=web/data_0.parquet           # partitioned by source
    customers/data_0.parquet                       # small tables: one file

Write disposition: replace. The new export is written to a sibling temp folder and swapped
in with renames, so readers never see a half-written export.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from .graph import write_graphs
from .ingest import new_connection

__all__ = ["export_parquet", "PARTITIONS"]

# table -> (extra column expression, partition column)
PARTITIONS = {
    "events": ("strftime(occurred_at, '%Y-%m') as occurred_month", "occurred_month"),
    "quarantine": (None, "source"),
}
ORDER = {
    "events": "customer_id, occurred_at, source, event_id",
    "customers": "customer_id",
    "sessions": "customer_id, started_at",
    "quarantine": "source, file, line",
    "runs": "started_at, run_id",
    "run_sources": "run_id, source",
}


def export_parquet(warehouse: Path, parquet_dir: Path) -> list[str]:
    """Write every table of ``warehouse`` under ``parquet_dir``; returns the table names."""
    parquet_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = parquet_dir.with_name(f".{parquet_dir.name}.tmp-{secrets.token_hex(3)}")
    con = new_connection()
    try:
        con.execute("attach $p as w (read_only)", {"p": str(warehouse)})
        tables = [r[0] for r in con.sql(
            "select table_name from duckdb_tables() where database_name = 'w' and not temporary order by 1"
        ).fetchall()]
        tmp.mkdir()
        for table in tables:
            cols = {r[0] for r in con.execute(
                "select column_name from duckdb_columns() where database_name = 'w' and table_name = $t",
                {"t": table},
            ).fetchall()}
            extra, part = PARTITIONS.get(table, (None, None))
            order = ORDER.get(table, "all")
            if order != "all" and not set(c.strip() for c in order.split(",")) <= cols:
                order = "all"
            select = f'select *{", " + extra if extra else ""} from w."{table}" order by {order}'
            target = tmp / table
            if part:
                con.execute(
                    f"copy ({select}) to $p (format parquet, partition_by ({part}), overwrite_or_ignore)",
                    {"p": str(target)},
                )
                if not target.exists():  # an empty table still gets its folder
                    target.mkdir()
            else:
                target.mkdir()
                con.execute(f"copy ({select}) to $p (format parquet)", {"p": str(target / "data_0.parquet")})
        con.execute("detach w")
        write_graphs(warehouse, tmp / "_graph")  # the transition graphs beside the tables
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    con.close()
    old = None
    if parquet_dir.exists():
        old = parquet_dir.with_name(f".{parquet_dir.name}.old-{secrets.token_hex(3)}")
        os.replace(parquet_dir, old)
    os.replace(tmp, parquet_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return tables
