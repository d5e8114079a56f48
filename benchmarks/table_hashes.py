"""Content hashes of every published table: the guard for content-preserving optimisations.

For each table of a warehouse (and, with ``--parquet``, of a Parquet export) one line:
``table  rows  hash``, where ``hash`` is ``sum(hash(row))`` over the rows (order-independent,
duplicate-sensitive: unlike ``bit_xor`` two equal rows do not cancel). Columns that differ
from run to run by design are left out (run ids, wall-clock times, durations): see
:data:`VOLATILE`. Doubles are rounded to :data:`DOUBLE_DIGITS` decimals first, so a different
parallel summation order cannot change a hash, any real change of a value does.

    .venv/bin/python benchmarks/table_hashes.py out/warehouse.duckdb --parquet out/parquet > a.txt
    # ... change the code, run again ...
    .venv/bin/python benchmarks/table_hashes.py out/warehouse.duckdb --parquet out/parquet > b.txt
    diff a.txt b.txt   # must be empty

``tests/test_table_hashes.py`` runs it on the sample twice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# columns whose values change with every run (ids, clocks, durations), per table
VOLATILE = {
    "runs": {"run_id", "started_at", "finished_at", "config_path"},
    "run_sources": {"run_id", "seconds"},
    "run_steps": None,  # timings: the whole table
    "quarantine": {"run_id"},
    "input_files": {"first_run_id", "modified_at", "file"},
}
DOUBLE_DIGITS = 9


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(columns: list[tuple[str, str]], table: str) -> str | None:
    skip = VOLATILE.get(table, set())
    if skip is None:
        return None
    exprs = []
    for name, dtype in columns:
        if name in skip:
            continue
        if dtype in ("DOUBLE", "FLOAT", "REAL") or dtype.startswith("DECIMAL"):
            exprs.append(f"round({_ident(name)}::DOUBLE, {DOUBLE_DIGITS}) as {_ident(name)}")
        else:
            exprs.append(_ident(name))
    return ", ".join(exprs)


def _hash(con: duckdb.DuckDBPyConnection, relation: str, select: str) -> tuple[int, str]:
    rows, h = con.execute(
        f"select count(*), coalesce(sum(hash(r)::HUGEINT), 0)::VARCHAR from (select {select} from {relation}) r"
    ).fetchone()
    return int(rows), h


def warehouse_hashes(warehouse: Path) -> dict[str, tuple[int, str]]:
    """``table -> (rows, hash)`` for every table of ``warehouse`` (timing tables left out)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    try:
        out = {}
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() order by 1"
        ).fetchall()]
        for t in names:
            cols = con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where database_name = current_database() and table_name = $t order by column_index", {"t": t},
            ).fetchall()
            select = _select(cols, t)
            if select is not None:
                out[t] = _hash(con, _ident(t), select)
        return out
    finally:
        con.close()


def parquet_hashes(folder: Path) -> dict[str, tuple[int, str]]:
    """``table -> (rows, hash)`` for every table folder of a Parquet export."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    out = {}
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")):
        files = sorted(str(f) for f in d.rglob("*.parquet"))
        if not files:
            out[d.name] = (0, "0")
            continue
        rel = "read_parquet($f, hive_partitioning = true, union_by_name = true)"
        cols = con.execute(f"describe select * from {rel}", {"f": files}).fetchall()
        select = _select([(c[0], c[1]) for c in cols], d.name)
        if select is None:
            continue
        rows, h = con.execute(
            f"select count(*), coalesce(sum(hash(r)::HUGEINT), 0)::VARCHAR from (select {select} from {rel}) r",
            {"f": files},
        ).fetchone()
        out[d.name] = (int(rows), h)
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--parquet", type=Path, help="also hash this export folder")
    args = ap.parse_args(argv)
    for t, (rows, h) in warehouse_hashes(args.warehouse).items():
        print(f"warehouse {t:32} {rows:>12,} {h}")
    if args.parquet:
        for t, (rows, h) in parquet_hashes(args.parquet).items():
            print(f"parquet   {t:32} {rows:>12,} {h}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
