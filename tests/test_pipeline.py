"""The pipeline without Prefect: balance, re-runs, crash safety, run history."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from journey_mining import pipeline
from journey_mining.config import load_config
from journey_mining.errors import SourceError

CONFIG = """
[warehouse]
path = "out/w.duckdb"
[export]
parquet_dir = "out/parquet"
[[stages.rules]]
stage = "purchase"
event_type = "purchase"
[[sources]]
name = "web"
path = "web/*.csv"
[[sources]]
name = "crm"
format = "customers"
path = "crm.csv"
"""

WEB = """anonymous_id,user_id,event_type,occurred_at,revenue
c1,,page_view,2026-01-01T10:00:00Z,
c1,u1,login,2026-01-01T10:01:00Z,
c1,u1,purchase,2026-01-01T10:02:00Z,10
c1,u1,purchase,2026-01-01T10:02:00Z,10
c2,,page_view,yesterday,
,,page_view,2026-01-01T10:03:00Z,
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.csv").write_text(WEB)
    # b.csv re-delivers a.csv's first row (same content -> same derived event_id)
    (tmp_path / "web" / "b.csv").write_text(
        "anonymous_id,user_id,event_type,occurred_at,revenue\n"
        "c1,,page_view,2026-01-01T10:00:00Z,\n"
        "c9,,page_view,2026-01-02T00:00:00Z,\n"
    )
    (tmp_path / "crm.csv").write_text("user_id,email,persona\nu1,A@x.com,researcher\n,,orphan\n")
    (tmp_path / "journey.toml").write_text(CONFIG)
    return tmp_path


def tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    names = [r[0] for r in con.sql("select table_name from duckdb_tables() order by 1").fetchall()]
    out = {n: con.sql(f'select * from "{n}"').df() for n in names}
    con.close()
    return out


def sort(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype(str)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_balance_per_source_and_in_runs(project):
    result = pipeline.run_pipeline(load_config(project / "journey.toml"))
    t = tables(result.warehouse)
    rs = t["run_sources"].set_index("source")
    # web: 8 rows over two files = 5 loaded (the two identical purchases stay two events)
    # + 2 quarantined + 1 duplicate (b.csv re-delivers a.csv's first row)
    assert rs.loc["web", ["files", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"]].tolist() == [2, 8, 5, 2, 1]
    assert rs.loc["crm", ["rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"]].tolist() == [2, 1, 1, 0]
    run = t["runs"].iloc[0]
    assert run.status == "success"
    assert run.rows_read == run.rows_loaded + run.rows_quarantined + run.rows_duplicate == 10
    for _, r in t["run_sources"].iterrows():
        assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_duplicate
    q = t["quarantine"].sort_values(["file", "line"])
    assert [Path(f).name for f in q.file] == ["crm.csv", "a.csv", "a.csv"]
    assert q.source.tolist() == ["crm", "web", "web"]
    assert q.reason.tolist() == [
        "no customer identifier: needs one of user_id, anonymous_id, email",
        "occurred_at 'yesterday' is not a valid timestamp (timestamp_format = iso)",
        "no customer identifier: needs one of user_id, anonymous_id, email",
    ]
    assert q.line.tolist() == [3, 6, 7]
    assert q.raw.tolist() == [",,orphan", "c2,,page_view,yesterday,", ",,page_view,2026-01-01T10:03:00Z,"]
    assert set(q.run_id) == {result.run_id}
    assert len(t["events"]) == 5
    assert result.summary["rows_read"] == 10


def test_rerun_changes_no_output_table(project):
    cfg = load_config(project / "journey.toml")
    first = pipeline.run_pipeline(cfg)
    before = tables(first.warehouse)
    parquet_before = {p.relative_to(cfg.parquet_dir): pd.read_parquet(p) for p in cfg.parquet_dir.rglob("*.parquet")}
    second = pipeline.run_pipeline(cfg)
    after = tables(second.warehouse)
    assert set(before) == set(after)
    for name in before:
        if name in ("runs", "run_sources", "input_files", "metric_history") or name.startswith("run"):
            continue
        pd.testing.assert_frame_equal(sort(before[name]), sort(after[name]), obj=name)
    # the audit log grows by exactly this run; quarantine keeps the first run's id
    assert after["runs"].run_id.tolist() == [first.run_id, second.run_id]
    assert set(after["quarantine"].run_id) == {first.run_id}
    assert set(after["input_files"].first_run_id) == {first.run_id}
    parquet_after = {p.relative_to(cfg.parquet_dir): pd.read_parquet(p) for p in cfg.parquet_dir.rglob("*.parquet")}
    assert set(parquet_before) == set(parquet_after)
    for rel in parquet_before:
        if rel.parts[0] in ("runs", "run_sources", "run_steps", "input_files", "metric_history"):
            continue
        pd.testing.assert_frame_equal(sort(parquet_before[rel]), sort(parquet_after[rel]), obj=str(rel))


def test_crash_during_build_leaves_published_warehouse_untouched(project, monkeypatch):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    before = tables(cfg.warehouse_path)
    (project / "web" / "c.csv").write_text("anonymous_id,event_type,occurred_at\nc7,page_view,2026-01-03T00:00:00Z\n")

    import journey_mining.inference as inference

    def boom(con, config):
        con.execute("create or replace table events as select * from stg_events")  # half-built (an incremental build file already holds events)
        raise RuntimeError("disk full")

    monkeypatch.setattr(inference, "build_journeys", boom)
    import journey_mining.incremental as incremental  # the second run is incremental: crash there too

    monkeypatch.setattr(incremental, "build_incremental", lambda con, config, _wh, _delta: boom(con, config))
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run_pipeline(cfg)
    after = tables(cfg.warehouse_path)
    for name in before:
        pd.testing.assert_frame_equal(sort(before[name]), sort(after[name]), obj=name)
    leftovers = [p.name for p in cfg.warehouse_path.parent.iterdir() if "build" in p.name or "scratch" in p.name]
    assert leftovers == []
    # the failure is on record, and the next good run imports it into `runs`
    monkeypatch.undo()
    pipeline.run_pipeline(cfg)
    runs = tables(cfg.warehouse_path)["runs"].sort_values("started_at")
    assert runs.status.tolist() == ["success", "failed", "success"]
    assert "disk full" in runs.error.iloc[1]


def test_missing_files_stop_before_anything_is_written(project):
    (project / "crm.csv").unlink()
    with pytest.raises(SourceError, match="source 'crm': no files match"):
        pipeline.run_pipeline(load_config(project / "journey.toml"))
    assert not (project / "out").exists()
