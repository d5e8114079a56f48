"""The Parquet export for BI (docs/parquet.md): every table, stable types, a manifest that
describes exactly what is on disk, and a re-run that replaces instead of adding."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from journey_mining import __version__, pipeline
from journey_mining.config import load_config, sample_config_path
from journey_mining.export import EXPORT_CASTS, MANIFEST, export_parquet, read_manifest
from journey_mining.outputs import EXPORT_MARKER
from journey_mining.tables import STORED_PARTIALS


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("parquet")
    config = load_config(sample_config_path(), output_base=base)
    result = pipeline.run_pipeline(config)
    return config, result


def _warehouse_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.sql(
            "select table_name from duckdb_tables() where not temporary and not internal order by 1"
        ).fetchall()]
        # the stored per-customer partials are internal: never exported (journey_mining.tables.STORED_PARTIALS)
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables if t not in STORED_PARTIALS}
    finally:
        con.close()


def _parquet_counts(parquet_dir: Path, tables) -> dict[str, int]:
    con = duckdb.connect()
    out = {}
    for t in tables:
        files = list((parquet_dir / t).rglob("*.parquet"))
        out[t] = con.execute(
            "select count(*) from read_parquet($f, hive_partitioning = true)", {"f": [str(f) for f in files]}
        ).fetchone()[0] if files else 0
    con.close()
    return out


def test_every_table_is_exported_with_the_warehouse_row_counts(sample_run):
    config, _ = sample_run
    expected = _warehouse_counts(config.warehouse_path)
    assert {"events", "sessions", "customers", "stage_funnel", "pain_points", "attribution"} <= set(expected)
    assert _parquet_counts(config.parquet_dir, expected) == expected
    assert not [t for t in STORED_PARTIALS if (config.parquet_dir / t).exists()]


def test_manifest_describes_what_is_on_disk(sample_run):
    config, result = sample_run
    manifest = read_manifest(config.parquet_dir)
    assert manifest["run_id"] == result.run_id
    assert manifest["version"] == __version__
    assert manifest["written_at"].endswith("+00:00")
    counts = _warehouse_counts(config.warehouse_path)
    assert set(manifest["tables"]) == set(counts)
    con = duckdb.connect()
    for table, entry in manifest["tables"].items():
        assert entry["rows"] == counts[table], table
        files = sorted(config.parquet_dir.glob(entry["files"]))
        if not files:  # an empty partitioned table: only its folder
            assert entry["rows"] == 0 and (config.parquet_dir / table).is_dir()
            continue
        schema = con.execute(
            "describe select * from read_parquet($f, hive_partitioning = true)", {"f": [str(f) for f in files]}
        ).fetchall()
        assert {name: dtype for name, dtype, *_ in schema} == entry["columns"], table
    con.close()
    assert manifest["tables"]["events"]["partitioning"] == ["occurred_month"]
    assert manifest["tables"]["sessions"]["partitioning"] == ["started_month"]
    assert manifest["tables"]["customers"]["partitioning"] == []
    assert manifest["tables"]["events"]["description"].startswith("One row per canonical event.")
    # the marker that makes the folder replaceable is still there
    assert json.loads((config.parquet_dir / EXPORT_MARKER).read_text())["run_id"] == result.run_id


def test_no_exported_file_has_a_type_readers_choke_on(sample_run):
    config, _ = sample_run
    con = duckdb.connect()
    types = {r[0] for r in con.execute(
        "select distinct type from parquet_schema($f) where type is not null",
        {"f": str(config.parquet_dir / "**" / "*.parquet")},
    ).fetchall()}
    con.close()
    assert types <= {"BYTE_ARRAY", "INT64", "INT32", "BOOLEAN", "DOUBLE"}, types
    assert "INT96" not in types and "FIXED_LEN_BYTE_ARRAY" not in types  # no HUGEINT/decimals


def test_sessions_and_events_are_partitioned_by_month(sample_run):
    config, _ = sample_run
    for table, key in (("events", "occurred_month"), ("sessions", "started_month")):
        parts = sorted(p.name for p in (config.parquet_dir / table).iterdir())
        assert parts and all(p.startswith(f"{key}=20") for p in parts), parts
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    months = con.sql("select distinct strftime(started_at, '%Y-%m') from sessions order by 1").fetchall()
    con.close()
    assert sorted(p.name for p in (config.parquet_dir / "sessions").iterdir()) == [f"started_month={m}" for (m,) in months]


def test_hugeint_columns_are_cast_to_bigint(tmp_path):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table t as select 1::hugeint as n, 2::uhugeint as m, 'x' as s")
    con.close()
    out = tmp_path / "parquet"
    export_parquet(db, out, run_id="r1")
    assert read_manifest(out)["tables"]["t"]["columns"] == {"n": "BIGINT", "m": "BIGINT", "s": "VARCHAR"}
    assert set(EXPORT_CASTS) == {"HUGEINT", "UHUGEINT"}
    con = duckdb.connect()
    assert con.execute("select * from read_parquet($f)", {"f": str(out / "t" / "data_0.parquet")}).fetchall() == [(1, 2, "x")]
    con.close()


def test_a_rerun_replaces_the_export_never_adds_to_it(sample_run):
    config, first = sample_run
    before = read_manifest(config.parquet_dir)
    second = pipeline.run_pipeline(config)
    after = read_manifest(config.parquet_dir)
    assert after["run_id"] == second.run_id != first.run_id
    counts = _warehouse_counts(config.warehouse_path)
    assert _parquet_counts(config.parquet_dir, counts) == counts
    history = {"runs", "run_sources", "run_steps", "metric_history"}  # appended: grow by one run (docs/reliability.md)
    rows = {t: e["rows"] for t, e in after["tables"].items() if t not in history}
    assert rows == {t: e["rows"] for t, e in before["tables"].items() if t not in history}
    assert after["tables"]["runs"]["rows"] == before["tables"]["runs"]["rows"] + 1
    assert not list(config.parquet_dir.parent.glob(f".{config.parquet_dir.name}.*"))  # no temp/old folders left
    assert (config.parquet_dir / MANIFEST).is_file()


# ---------------------------------------------------------------- reuse of unchanged files

def _tiny_warehouse(db: Path, *, late_text: str = "b", source: str = "web") -> None:
    """events over two months, a quarantine of two sources, a one-file table."""
    con = duckdb.connect(str(db))
    con.execute("set TimeZone = 'UTC'")
    con.execute("""
        create or replace table events as select * from (values
            ('e1', 'c1', timestamptz '2026-09-03 10:00:00+00', 'web', 'a'),
            ('e2', 'c2', timestamptz '2026-09-04 10:00:00+00', 'web', null),
            ('e3', 'c1', timestamptz '2026-10-01 09:00:00+00', 'email', 'x'),
            ('e4', 'c3', timestamptz '2026-10-02 09:00:00+00', 'web', $t)
        ) as t(event_id, customer_id, occurred_at, source, text)""", {"t": late_text})
    con.execute("""
        create or replace table quarantine as select * from (values
            ($s, 'f.csv', 3::bigint, 'raw 3', 'bad'), ('email', 'g.json', 1::bigint, 'raw 1', 'bad')
        ) as t(source, file, line, raw, reason)""", {"s": source})
    con.execute("create or replace table customers as select 'c' || range as customer_id, range::hugeint as n from range(3)")
    con.close()


def _inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*.parquet")}


def _read_back_equals_warehouse(db: Path, out: Path) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("attach $p as w (read_only)", {"p": str(db)})
    for table, entry in read_manifest(out)["tables"].items():
        extra = {"events": ", strftime(occurred_at, '%Y-%m') as occurred_month"}.get(table, "")
        casts = " replace (n::bigint as n)" if table == "customers" else ""
        got = con.execute(
            "select * from read_parquet($f, hive_partitioning = true) order by all",
            {"f": str(out / entry["files"])},
        ).fetchall()
        columns = [r[0] for r in con.execute("describe select * from read_parquet($f, hive_partitioning = true)",
                                             {"f": str(out / entry["files"])}).fetchall()]
        want = con.execute(
            f"select {', '.join(columns)} from (select *{casts}{extra} from w.{table}) order by all").fetchall()
        assert got == want, table


def test_an_unchanged_file_is_reused_and_a_changed_one_rewritten(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    _tiny_warehouse(db)
    export_parquet(db, out, run_id="r1")
    first = _inodes(out)
    assert set(first) == {"events/occurred_month=2026-09/data_0.parquet", "events/occurred_month=2026-10/data_0.parquet",
                          "quarantine/source=web/data_0.parquet", "quarantine/source=email/data_0.parquet",
                          "customers/data_0.parquet"}
    assert not any(f["reused"] for e in read_manifest(out)["tables"].values() for f in e["data_files"].values())

    export_parquet(db, out, run_id="r2")  # nothing changed: every file is the previous one (same inode)
    assert _inodes(out) == first
    assert all(f["reused"] for e in read_manifest(out)["tables"].values() for f in e["data_files"].values())
    _read_back_equals_warehouse(db, out)

    _tiny_warehouse(db, late_text="changed")  # one row of October changes
    export_parquet(db, out, run_id="r3")
    third = _inodes(out)
    october = "events/occurred_month=2026-10/data_0.parquet"
    assert third[october] != first[october]
    assert {k: v for k, v in third.items() if k != october} == {k: v for k, v in first.items() if k != october}
    files = read_manifest(out)["tables"]["events"]["data_files"]
    assert [(f["partition"], f["reused"]) for f in files.values()] == [("2026-09", True), ("2026-10", False)]
    _read_back_equals_warehouse(db, out)
    assert not list(tmp_path.glob(".parquet.*"))  # the swap left no temp or old folder


def test_a_previous_file_that_changed_on_disk_is_not_reused(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    _tiny_warehouse(db)
    export_parquet(db, out, run_id="r1")
    september = out / "events/occurred_month=2026-09/data_0.parquet"
    september.write_bytes(september.read_bytes() + b"junk")  # someone appended to it
    export_parquet(db, out, run_id="r2")
    files = read_manifest(out)["tables"]["events"]["data_files"]
    assert not files["events/occurred_month=2026-09/data_0.parquet"]["reused"]
    _read_back_equals_warehouse(db, out)


def test_partitioned_files_match_duckdbs_partitioned_writer(tmp_path):
    """Same folders, same Parquet schema (every column OPTIONAL, the partition column only in
    the folder name), same rows as ``copy ... (partition_by ...)`` writes; sorted by ORDER."""
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    _tiny_warehouse(db)
    export_parquet(db, out, run_id="r1")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("attach $p as w (read_only)", {"p": str(db)})
    ref = tmp_path / "ref"
    ref.mkdir()
    con.execute("copy (select *, strftime(occurred_at, '%Y-%m') as occurred_month from w.events) to $p "
                "(format parquet, partition_by (occurred_month))", {"p": str(ref / "events")})
    con.execute("copy (select * from w.quarantine) to $p (format parquet, partition_by (source))",
                {"p": str(ref / "quarantine")})
    for table in ("events", "quarantine"):
        def schema(folder: Path) -> list:
            return con.execute(
                "select replace(file_name, $d, ''), name, type, repetition_type, logical_type "
                "from parquet_schema($f) order by all", {"d": str(folder), "f": str(folder / "**" / "*.parquet")},
            ).fetchall()
        assert schema(out / table) == schema(ref / table), table
    rows = con.execute("select event_id from read_parquet($f) order by filename, file_row_number",
                       {"f": str(out / "events" / "**" / "*.parquet")}).fetchall()
    assert rows == [("e1",), ("e2",), ("e3",), ("e4",)]  # customer_id, occurred_at within each month
    con.close()


def test_a_partition_value_that_is_not_a_plain_folder_name_uses_duckdbs_writer(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    _tiny_warehouse(db, source="web shop/eu")
    export_parquet(db, out, run_id="r1")
    entry = read_manifest(out)["tables"]["quarantine"]
    assert "data_files" not in entry and entry["rows"] == 2
    _read_back_equals_warehouse(db, out)


def test_a_new_pseudonymization_key_rewrites_the_files(tmp_path):
    from journey_mining.export import swap_export, write_export

    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    _tiny_warehouse(db)
    for run_id, key in (("r1", "k1"), ("r2", "k1"), ("r3", "k2")):
        swap_export(write_export(db, out, run_id, pseudonymize_key=key)[0], out)
        reused = {f["reused"] for f in read_manifest(out)["tables"]["events"]["data_files"].values()}
        assert reused == {run_id == "r2"}, run_id


def test_events_files_are_sorted_by_customer_and_time(tmp_path):
    """Large enough for several threads' chunks: with insertion order not kept, each
    thread's sorted run landed in the file one after another (the files were neither
    sorted nor the same from run to run)."""
    db, out = tmp_path / "w.duckdb", tmp_path / "parquet"
    con = duckdb.connect(str(db))
    con.execute("set TimeZone = 'UTC'")
    con.execute("""create table events as select 'e' || range as event_id, 'c' || (range * 7919 % 50000) as customer_id,
                   timestamptz '2026-09-01 00:00:00+00' + to_seconds(range * 17 % 5000000) as occurred_at,
                   'web' as source from range(400000)""")
    con.close()
    export_parquet(db, out, run_id="r1")
    con = duckdb.connect()
    unsorted = con.execute("""
        select count(*) filter (where (customer_id, occurred_at, source, event_id) < prev)
        from (select *, lag((customer_id, occurred_at, source, event_id)) over (partition by filename order by file_row_number) as prev
              from read_parquet($f, filename = true, file_row_number = true))""",
        {"f": str(out / "events" / "**" / "*.parquet")}).fetchall()[0][0]
    con.close()
    assert unsorted == 0
