"""Issue 7: one run definition, per-file ingest with a staged cache and a manifest that is
read (plain runner, no Prefect server: the Prefect wrapping is checked on the task objects)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

import journey_mining.ingest as ingest
from journey_mining import pipeline
from journey_mining.config import load_config
from journey_mining.errors import SourceError
from tests.test_pipeline import CONFIG, WEB


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.csv").write_text(WEB)
    (tmp_path / "web" / "b.csv").write_text(
        "anonymous_id,user_id,event_type,occurred_at,revenue\n"
        "c1,,page_view,2026-01-01T10:00:00Z,\n"  # a.csv's first row again: a duplicate
        "c9,,page_view,2026-01-02T00:00:00Z,\n"
    )
    (tmp_path / "crm.csv").write_text("user_id,email,persona\nu1,A@x.com,researcher\n,,orphan\n")
    (tmp_path / "journey.toml").write_text(CONFIG)
    return tmp_path


@pytest.fixture()
def reads(monkeypatch) -> list[str]:
    """Every input file a run actually reads (the reader runs in ingest.stage_file)."""
    seen: list[str] = []
    original = ingest.stage_file

    def counting(con, plan, file, *a, **k):
        seen.append(Path(file).name)
        return original(con, plan, file, *a, **k)

    monkeypatch.setattr(ingest, "stage_file", counting)
    return seen


def hashes(warehouse: Path) -> dict[str, tuple]:
    """Content hash of every table (order-free), without the run-dependent tables/columns."""
    con = duckdb.connect(str(warehouse), read_only=True)
    out = {}
    for (t,) in con.sql("select table_name from duckdb_tables() where table_name not in ('runs', 'run_sources', 'run_steps', 'input_files', 'metric_history')").fetchall():
        cols = [r[0] for r in con.execute(
            "select column_name from duckdb_columns() where table_name = $t and column_name <> 'run_id'", {"t": t}).fetchall()]
        row = "(" + ", ".join(f'"{c}"' for c in cols) + ")::varchar"
        out[t] = con.sql(f'select count(*), md5(string_agg(x, \',\' order by x)) from (select {row} as x from "{t}")').fetchall()[0]
    con.close()
    return out


def run_sources(warehouse: Path, run_id: str) -> dict[str, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("select source, files, rows_read, rows_loaded, rows_quarantined, rows_duplicate "
                       "from run_sources where run_id = $r", {"r": run_id}).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


def staged_files(cfg) -> list[str]:
    return sorted(p.name for p in pipeline.staged_cache_dir(cfg.warehouse_path).iterdir())


def test_second_run_on_unchanged_inputs_reads_no_file_and_gives_identical_tables(project, reads):
    cfg = load_config(project / "journey.toml")
    first = pipeline.run_pipeline(cfg)
    assert sorted(reads) == ["a.csv", "b.csv", "crm.csv"]  # each file read exactly once
    before, cached = hashes(cfg.warehouse_path), staged_files(cfg)
    assert len(cached) == 3 and all(n.endswith(".parquet") for n in cached)
    reads.clear()
    second = pipeline.run_pipeline(cfg)
    assert reads == []  # nothing re-read: the manifest lists every file's sha256
    assert hashes(cfg.warehouse_path) == before
    assert run_sources(cfg.warehouse_path, second.run_id) == run_sources(cfg.warehouse_path, first.run_id) == {
        "web": (2, 8, 5, 2, 1),  # 8 read = 5 loaded + 2 quarantined + 1 duplicate (across a.csv / b.csv)
        "crm": (1, 2, 1, 1, 0),
    }
    assert staged_files(cfg) == cached


def test_changing_one_file_rereads_only_that_file(project, reads):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    old = staged_files(cfg)
    with (project / "web" / "b.csv").open("a") as fh:
        fh.write("c9,,purchase,2026-01-02T00:05:00Z,5\n")
    reads.clear()
    run = pipeline.run_pipeline(cfg)
    assert reads == ["b.csv"]
    assert run_sources(cfg.warehouse_path, run.run_id)["web"] == (2, 9, 6, 2, 1)
    new = staged_files(cfg)
    assert len(new) == 3 and len(set(old) - set(new)) == 1  # b.csv's old staging is pruned
    # and the result equals a run from scratch (no cache, no warehouse)
    incremental = hashes(cfg.warehouse_path)
    shutil.rmtree(project / "out")
    reads.clear()
    pipeline.run_pipeline(cfg)
    assert sorted(reads) == ["a.csv", "b.csv", "crm.csv"]
    assert hashes(cfg.warehouse_path) == incremental


def test_a_staged_file_not_in_the_manifest_is_not_trusted(project, reads):
    """The manifest (input_files of the published warehouse) is what says a staging may be
    reused: a staged Parquet without a manifest row (e.g. left by a failed run) is rebuilt."""
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    con = duckdb.connect(str(cfg.warehouse_path))
    con.execute("delete from input_files where file like '%a.csv'")
    con.close()
    reads.clear()
    pipeline.run_pipeline(cfg)
    assert reads == ["a.csv"]


def test_a_changed_source_setting_restages_its_files(project, reads):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    (project / "journey.toml").write_text(CONFIG.replace('name = "web"', 'name = "web"\nchannel = "site"'))
    reads.clear()
    pipeline.run_pipeline(load_config(project / "journey.toml"))
    assert sorted(reads) == ["a.csv", "b.csv"]  # crm.csv's settings did not change


def test_each_file_is_hashed_once(project, monkeypatch):
    calls: list[str] = []
    original = ingest.hash_file

    def counting(path):
        calls.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(ingest, "hash_file", counting)
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    assert sorted(calls) == ["a.csv", "b.csv", "crm.csv"]
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    rows = con.sql("select source, file, bytes, sha256 from input_files order by file").fetchall()
    con.close()

    expected = {
        (source, f.name, f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest())
        for source, f in [("web", project / "web" / "a.csv"), ("web", project / "web" / "b.csv"), ("crm", project / "crm.csv")]
    }
    assert {(r[0], Path(r[1]).name, r[2], r[3]) for r in rows} == expected


# --------------------------------------------------------------------------- the run definition


def test_the_run_is_defined_once_and_both_runners_execute_it():
    assert [s.name for s in pipeline.RUN.steps] == [
        "ingest-file", "build-warehouse", "export-parquet", "publish", "write-report",
    ]
    assert [s.name for s in pipeline.RUN.steps if s.does_io] == ["ingest-file", "export-parquet", "write-report"]
    assert [s.name for s in pipeline.RUN.steps if s.fan_out] == ["ingest-file"]
    flow_src = (Path(pipeline.__file__).parent / "flows" / "journey_flow.py")
    if not flow_src.exists():  # a checkout: flows/ at the top level
        flow_src = Path(pipeline.__file__).resolve().parents[2] / "flows" / "journey_flow.py"
    text = flow_src.read_text()
    assert "pipeline.execute(pipeline.RUN" in text
    for name in ("ingest_one_file", "build_warehouse", "export(", "publish(", "sys.path"):
        assert name not in text  # the flow does not spell out the steps


def test_an_added_step_runs_in_order_without_touching_the_runners(project):
    """Adding a step is one change to the definition: here a step after the build."""
    from dataclasses import replace

    seen = []
    extra = pipeline.Step("count-events", lambda state: seen.append(state.run["events"]) or len(seen))
    steps = list(pipeline.RUN.steps)
    steps.insert(2, extra)
    definition = replace(pipeline.RUN, steps=tuple(steps))
    state = pipeline.execute(
        definition, load_config(project / "journey.toml"),
        call=lambda step, args: step.function(*args),
        call_each=lambda step, state, items: [step.function(state, i) for i in items],
    )
    assert seen == [state.run["events"]] and state.run["events"] > 0


def test_a_failing_step_is_journaled_and_cleaned_up(project):
    from dataclasses import replace

    def boom(state):
        raise SourceError("source 'web': broken")

    definition = replace(pipeline.RUN, steps=(pipeline.RUN.steps[0], pipeline.Step("boom", boom)))
    cfg = load_config(project / "journey.toml")
    with pytest.raises(SourceError):
        pipeline.execute(definition, cfg, call=lambda step, args: step.function(*args),
                         call_each=lambda step, state, items: [step.function(state, i) for i in items])
    ledger = pipeline.wh.ledger_path(cfg.warehouse_path).read_text()
    assert '"event": "failed"' in ledger and "broken" in ledger
    pipeline.run_pipeline(cfg)  # the lock was released: the next run proceeds
    assert not list(cfg.warehouse_path.parent.glob(".scratch-*"))


def test_prefect_tasks_retry_only_io_steps_and_never_a_journey_error():
    pytest.importorskip("prefect")
    from journey_mining.flows import journey_flow as jf

    tasks = {s.name: jf.as_task(s) for s in (pipeline.RUN.plan, *pipeline.RUN.steps)}
    assert {n: t.retries for n, t in tasks.items()} == {
        "plan-run": 0, "ingest-file": jf.IO_RETRIES, "build-warehouse": 0, "export-parquet": jf.IO_RETRIES, "publish": 0,
        "write-report": jf.IO_RETRIES,
    }
    assert {n for n, t in tasks.items() if t.retries} == {s.name for s in pipeline.RUN.steps if s.does_io}
    for name in ("ingest-file", "export-parquet", "write-report"):  # backoff: each delay doubles
        assert tasks[name].retry_delay_seconds == [5, 10] and tasks[name].retry_jitter_factor == 0.2
    assert tasks["ingest-file"].retry_condition_fn is jf._retry_unless_user_error

    class State:
        def __init__(self, error):
            self.error = error

        def result(self):
            raise self.error

    assert jf._retry_unless_user_error(None, None, State(SourceError("bad file"))) is False
    assert jf._retry_unless_user_error(None, None, State(OSError(5, "Input/output error"))) is True
