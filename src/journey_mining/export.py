"""Export every warehouse table to Parquet for BI tools: one folder per table.

Layout under ``export.parquet_dir`` (hive-style, so DuckDB, Spark, pandas/pyarrow and most
BI tools read each folder as one table)::

    events/occurred_month=2026-09/data_0.parquet   # partitioned by month of occurred_at
    quarantine/source=web/data_0.parquet           # partitioned by source
    customers/data_0.parquet                       # small tables: one file

Write disposition: replace. The new export is written to a sibling temp folder and swapped
in with renames, so readers never see a half-written export. The folder belongs to the tool:
it carries a ``.journey-export`` marker, and a folder without it that is not empty is never
replaced (:mod:`journey_mining.outputs`). A run exports from its sealed build file before
publishing anything, so a failed export publishes nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from . import ingest
from .errors import ConfigError
from .graph import write_graphs
from .ingest import new_connection
from .outputs import export_replaceable, is_owned_export, write_export_marker

__all__ = ["export_parquet", "write_export", "swap_export", "export_tmp_path", "PARTITIONS"]

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


def export_tmp_path(parquet_dir: Path, run_id: str) -> Path:
    return parquet_dir.with_name(f".{parquet_dir.name}.tmp-{run_id}")


def export_parquet(warehouse: Path, parquet_dir: Path, run_id: str | None = None) -> list[str]:
    """Write every table of ``warehouse`` under ``parquet_dir``; returns the table names.

    Refuses (before writing) a ``parquet_dir`` that exists, is not empty and was not written
    by this tool."""
    why = export_replaceable(parquet_dir)
    if why:
        raise ConfigError(f"export.parquet_dir {parquet_dir} {why}")
    tmp, tables = write_export(warehouse, parquet_dir, run_id or secrets.token_hex(3))
    swap_export(tmp, parquet_dir)
    return tables


def write_export(database: Path, parquet_dir: Path, run_id: str) -> tuple[Path, list[str]]:
    """Write every table of ``database`` into the temp folder beside ``parquet_dir`` (marked
    as the tool's); returns it and the table names. Nothing is swapped in yet."""
    parquet_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = export_tmp_path(parquet_dir, run_id)
    if tmp.exists() and is_owned_export(tmp):  # a retry of this run's export
        shutil.rmtree(tmp)
    # every statement below has its own ORDER BY: nothing relies on insertion order
    con = new_connection(settings={**ingest.RUN_SETTINGS, "preserve_insertion_order": False})
    try:
        con.execute("attach $p as w (read_only)", {"p": str(database)})
        tables = [r[0] for r in con.sql(
            "select table_name from duckdb_tables() where database_name = 'w' and not temporary order by 1"
        ).fetchall()]
        tmp.mkdir()
        write_export_marker(tmp, run_id)
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
        write_graphs(database, tmp / "_graph")  # the transition graphs beside the tables
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    con.close()
    return tmp, tables


def swap_export(tmp: Path, parquet_dir: Path) -> None:
    """Replace ``parquet_dir`` by the finished temp folder ``tmp`` with renames (the old
    export, the tool's own, is removed after)."""
    why = export_replaceable(parquet_dir)
    if why:  # checked before the run too; the folder may have changed since
        raise ConfigError(f"export.parquet_dir {parquet_dir} {why}")
    old = None
    if parquet_dir.exists():
        old = parquet_dir.with_name(f".{parquet_dir.name}.old-{tmp.name.rsplit('.tmp-', 1)[-1]}")
        os.replace(parquet_dir, old)
    os.replace(tmp, parquet_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
