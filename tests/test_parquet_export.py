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
