"""benchmarks/table_hashes.py, the guard of content-preserving optimisations (issue 10): the
hash of a table ignores row order and run-dependent columns, and sees every real change."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from .helpers import BENCHMARKS, load_script


@pytest.fixture(scope="module")
def th():
    return load_script(BENCHMARKS / "table_hashes.py", "journey_table_hashes")


def _warehouse(path: Path, rows: list[tuple], run_id: str = "r1", order: str = "asc") -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table t (k VARCHAR, x DOUBLE)")
    con.executemany("insert into t values (?, ?)", rows)
    con.execute(f"create table t2 as select * from t order by k {order}")
    con.execute("drop table t")
    con.execute("alter table t2 rename to t")
    con.execute("create table runs (run_id VARCHAR, started_at TIMESTAMPTZ, status VARCHAR)")
    con.execute("insert into runs values ($r, now(), 'success')", {"r": run_id})
    con.execute("create table run_steps (run_id VARCHAR, seconds DOUBLE)")
    con.execute("insert into run_steps values ($r, random())", {"r": run_id})
    con.close()
    return path


def test_same_content_same_hash_whatever_the_order_and_run(th, tmp_path):
    a = th.warehouse_hashes(_warehouse(tmp_path / "a.duckdb", [("a", 0.1), ("b", 0.2)]))
    b = th.warehouse_hashes(_warehouse(tmp_path / "b.duckdb", [("b", 0.2), ("a", 0.1 + 1e-12)], "r2", "desc"))
    assert a == b
    assert set(a) == {"t", "runs"}  # run_steps (timings) left out
    assert a["t"][0] == 2


@pytest.mark.parametrize("rows", [
    [("a", 0.1), ("b", 0.3)],            # a value
    [("a", 0.1), ("b", 0.2), ("b", 0.2)],  # a duplicated row (bit_xor would cancel it)
    [("a", 0.1), ("c", 0.2)],            # a key
    [("a", 0.1), ("b", None)],           # a NULL
])
def test_any_real_change_changes_the_hash(th, tmp_path, rows):
    base = th.warehouse_hashes(_warehouse(tmp_path / "a.duckdb", [("a", 0.1), ("b", 0.2)]))
    other = th.warehouse_hashes(_warehouse(tmp_path / "b.duckdb", rows))
    assert other["t"] != base["t"] and other["runs"] == base["runs"]


def test_parquet_hashes_match_across_exports(th, tmp_path):
    for name, order in (("p1", "asc"), ("p2", "desc")):
        (tmp_path / name / "t").mkdir(parents=True)
        duckdb.sql(f"copy (select * from range(100) r(i) order by i {order}) to "
                   f"'{tmp_path / name / 't' / 'data_0.parquet'}' (format parquet)")
    assert th.parquet_hashes(tmp_path / "p1") == th.parquet_hashes(tmp_path / "p2")
    assert th.parquet_hashes(tmp_path / "p1")["t"][0] == 100
