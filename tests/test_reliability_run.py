"""Run-level reliability (issue 6, items 1, 7-12 and resources): what a run may write, late
config errors made early, a true audit log, leftovers, locks, Prefect noise, resources.

Each test here failed on the code before the fix (run once against it; see
docs/reliability.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from journey_mining import pipeline
from journey_mining.config import load_config, parse_config, sample_config_path
from journey_mining.errors import ConfigError, JourneyError, SourceError
from journey_mining.ingest import plan_sources

ROOT = Path(__file__).resolve().parents[1]

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
path = "in/*.csv"
"""

WEB = """anonymous_id,user_id,event_type,occurred_at,revenue
c1,,page_view,2026-01-01T10:00:00Z,
c1,u1,purchase,2026-01-01T10:02:00Z,10
c2,,page_view,yesterday,
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text(WEB)
    (tmp_path / "journey.toml").write_text(CONFIG)
    return tmp_path


def with_config(project: Path, text: str) -> Path:
    (project / "journey.toml").write_text(text)
    return project / "journey.toml"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (path -> content): to prove nothing was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def journey(*args: str, cwd: Path, timeout: int = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    # what a user gets by default: the CLI picks Prefect's log level unless one is set, and the
    # caller's own (a Makefile, a CI job) must not decide what these tests see
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_LEVEL"}
    env = {**base, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", "from journey_mining.cli import entry; entry()", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


def runs(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql("select run_id, status, error from runs order by started_at").fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- item 1: outputs


@pytest.mark.parametrize(
    "parquet_dir, message",
    [
        (".", "holds the config file"),
        ("in", "input of source 'web'"),
        ("out/w.duckdb", "overlap"),
        ("out", "overlap"),
        ("out/w.duckdb/sub", "overlap"),
        ("mine", "non-empty folder this tool did not create"),
    ],
)
def test_parquet_dir_that_would_delete_user_files_is_refused_before_writing(project, parquet_dir, message):
    """Item 1: `parquet_dir = "."` used to wipe config, inputs and warehouse with exit 0."""
    pipeline.run_pipeline(load_config(project / "journey.toml"))  # a published warehouse to protect
    (project / "mine").mkdir()
    (project / "mine" / "thesis.docx").write_text("years of work")
    cfg = with_config(project, CONFIG.replace('parquet_dir = "out/parquet"', f'parquet_dir = "{parquet_dir}"'))
    before = tree(project)
    with pytest.raises(ConfigError, match=message):
        pipeline.run_pipeline(load_config(cfg))
    assert tree(project) == before
    r = journey("check", "--config", str(cfg), cwd=project)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr


def test_export_folder_is_owned_and_marked_and_an_empty_one_may_be_used(project):
    """The export carries the tool's marker; a folder with the marker, or empty, is replaced."""
    (project / "out" / "parquet").mkdir(parents=True)  # empty: fine
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    marker = json.loads((cfg.parquet_dir / ".journey-export").read_text())
    assert marker["tool"] == "journey_mining"
    (cfg.parquet_dir / "events" / "stale.parquet").write_text("x")  # inside the tool's folder
    pipeline.run_pipeline(cfg)
    assert not (cfg.parquet_dir / "events" / "stale.parquet").exists()
    assert (cfg.parquet_dir / "customers" / "data_0.parquet").is_file()


@pytest.mark.parametrize(
    "section, message",
    [
        ('[warehouse]\npath = "out"\n', "is a folder"),
        ('[warehouse]\npath = "/"\n', "is a folder"),
        ('[warehouse]\npath = "in/a.csv"\n', "input file of source 'web'"),
        ('[warehouse]\npath = "journey.toml"\n', "config file"),
        ('[warehouse]\npath = "notes.txt"\n', "not a DuckDB database"),
        ('[export]\nreport = "in/a.csv"\n', "export.report"),
        ('[export]\nreport = "journey.toml"\n', "export.report"),
        ('[export]\nreport = "out/parquet/r.html"\n', "holds export.report"),
    ],
)
def test_warehouse_and_report_paths_never_overwrite_user_files(project, section, message):
    (project / "out").mkdir()
    (project / "notes.txt").write_text("my notes")
    text = CONFIG.replace('[warehouse]\npath = "out/w.duckdb"\n', "").replace('[export]\nparquet_dir = "out/parquet"\n', "")
    if section.startswith("[export]"):
        text = '[warehouse]\npath = "out/w.duckdb"\n' + section + text
    else:
        text = section + '[export]\nparquet_dir = "out/parquet"\n' + text
    cfg = with_config(project, text)
    before = tree(project)
    with pytest.raises(ConfigError, match=message):
        pipeline.run_pipeline(load_config(cfg))
    assert tree(project) == before


# --------------------------------------------------------------------------- item 7: late config errors


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[[touchpoints.rules]]\nregex = "web:(?!x).*"\nname = "web"\n', "invalid regex"),
        ('[[touchpoints.rules]]\nregex = "web:(a)"\nname = "\\\\2"\n', "invalid regex"),
    ],
)
def test_regex_duckdb_cannot_compile_fails_at_load(project, extra, message):
    with pytest.raises(ConfigError, match=message):
        load_config(with_config(project, CONFIG + extra))


def test_delimiter_over_four_bytes_fails_at_load(project):
    with pytest.raises(ConfigError, match="at most 4 bytes"):
        load_config(with_config(project, CONFIG + '[sources.options]\ndelimiter = "||||:"\n'))
    assert load_config(with_config(project, CONFIG + '[sources.options]\ndelimiter = "||||"\n'))


def test_unknown_encoding_fails_at_plan_time(project):
    cfg = load_config(with_config(project, CONFIG + '[sources.options]\nencoding = "klingon"\n'))
    with pytest.raises(ConfigError, match="'klingon' is not an encoding"):
        plan_sources(cfg)
    assert plan_sources(load_config(with_config(project, CONFIG + '[sources.options]\nencoding = "latin-1"\n')))


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl", "json"])
def test_mapped_column_missing_from_the_file_fails_at_plan_time(project, kind):
    (project / "in" / "a.csv").unlink()
    rows = [{"anon": "c1", "event_type": "page_view", "occurred_at": "2026-01-01T10:00:00Z"}]
    f = project / "in" / f"a.{kind}"
    if kind == "csv":
        f.write_text("anon,event_type,occurred_at\nc1,page_view,2026-01-01T10:00:00Z\n")
    elif kind == "parquet":
        duckdb.sql("select 'c1' as anon, 'page_view' as event_type, '2026-01-01T10:00:00Z' as occurred_at").write_parquet(str(f))
    elif kind == "jsonl":
        f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        f.write_text(json.dumps(rows))
    text = CONFIG.replace('path = "in/*.csv"', f'path = "in/*.{kind}"') + '[sources.columns]\nanonymous_id = "anon_id"\n'
    with pytest.raises(SourceError, match="columns.anonymous_id = 'anon_id' is not a column of"):
        plan_sources(load_config(with_config(project, text)))
    out = project / "out"
    assert not out.exists()


def test_json_key_that_starts_later_is_not_refused(project):
    (project / "in" / "a.jsonl").write_text(
        '{"anonymous_id": "c1", "event_type": "page_view", "occurred_at": "2026-01-01T10:00:00Z"}\n'
        '{"anonymous_id": "c1", "event_type": "page_view", "occurred_at": "2026-01-01T10:00:00Z", "mail": "a@x.com"}\n'
    )
    text = CONFIG.replace('path = "in/*.csv"', 'path = "in/*.jsonl"') + '[sources.columns]\nemail = "mail"\n'
    assert plan_sources(load_config(with_config(project, text)))


def test_check_reports_late_errors(project):
    """`journey check` used to say ok to all of these."""
    cfg = with_config(project, CONFIG + '[sources.columns]\nuser_id = "CustomerID"\n')
    r = journey("check", "--config", str(cfg), cwd=project)
    assert r.returncode == 2, r.stdout
    assert r.stderr.strip().splitlines() == [
        f"error: source 'web': columns.user_id = 'CustomerID' is not a column of {project / 'in' / 'a.csv'} "
        "(it has: anonymous_id, event_type, occurred_at, revenue, user_id)"
    ]


# --------------------------------------------------------------------------- item 12: config


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_session_timeout_is_refused(project, value):
    with pytest.raises(ConfigError, match="timeout_minutes must be greater than 0 and finite"):
        load_config(with_config(project, CONFIG + f"[sessions]\ntimeout_minutes = {value}\n"))


def test_source_names_differing_only_by_case_are_refused(project):
    text = CONFIG + '[[sources]]\nname = "Web"\npath = "in/a.csv"\n'
    with pytest.raises(ConfigError, match="source names 'web' and 'Web' differ only by case"):
        load_config(with_config(project, text))


def test_two_sources_over_the_same_file_are_refused(project):
    text = CONFIG + '[[sources]]\nname = "web2"\npath = "in/a.*"\n'
    with pytest.raises(SourceError, match="sources 'web' and 'web2' both read .*a.csv"):
        plan_sources(load_config(with_config(project, text)))


def test_unwritable_warehouse_folder_is_one_line_naming_the_folder(project):
    """A file where the warehouse folder should be (as root, chmod cannot make a folder
    read-only; this is the same failure): one line naming the folder, never the ledger."""
    (project / "blocked").write_text("a file, not a folder")
    cfg = with_config(project, CONFIG.replace('path = "out/w.duckdb"', 'path = "blocked/w.duckdb"'))
    r = journey("run", "--no-prefect", "--config", str(cfg), cwd=project)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: warehouse folder") and str(project / "blocked") in lines[0]
    assert ".runs.jsonl" not in r.stderr
    assert not (project / "out").exists()


# --------------------------------------------------------------------------- item 8: audit log


def _break_export(monkeypatch):
    import journey_mining.export as export

    def boom(*a, **k):
        raise RuntimeError("export exploded")

    monkeypatch.setattr(export, "new_connection", boom)


def test_failed_export_publishes_nothing_and_runs_says_failed(project, monkeypatch):
    cfg = load_config(project / "journey.toml")
    first = pipeline.run_pipeline(cfg)
    wh_before = cfg.warehouse_path.read_bytes()
    export_before = tree(cfg.parquet_dir)
    (project / "in" / "b.csv").write_text("anonymous_id,event_type,occurred_at\nc7,page_view,2026-01-03T00:00:00Z\n")
    _break_export(monkeypatch)
    with pytest.raises(RuntimeError, match="export exploded"):
        pipeline.run_pipeline(cfg)
    # no partial publish: warehouse and export are the first run's
    assert cfg.warehouse_path.read_bytes() == wh_before
    assert tree(cfg.parquet_dir) == export_before
    monkeypatch.undo()
    third = pipeline.run_pipeline(cfg)
    statuses = [(s, (e or "")[:40]) for _, s, e in runs(cfg.warehouse_path)]
    assert statuses == [("success", ""), ("failed", "RuntimeError: export exploded"), ("success", "")]
    assert runs(cfg.warehouse_path)[0][0] == first.run_id and runs(cfg.warehouse_path)[2][0] == third.run_id


KILL_AFTER_PUBLISH = textwrap.dedent(
    """
    import os, signal, sys
    from journey_mining import pipeline
    from journey_mining.config import load_config

    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)

    # after the warehouse is published: the export swap (new code) / the export (old code)
    if hasattr(pipeline, "swap_export"):
        pipeline.swap_export = die
    else:
        pipeline.export_parquet = die
    pipeline.run_pipeline(load_config(sys.argv[1]))
    """
)


def test_run_killed_after_publishing_the_warehouse_ends_up_failed(project):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    p = subprocess.run([sys.executable, "-c", KILL_AFTER_PUBLISH, str(project / "journey.toml")], capture_output=True, text=True, timeout=120)
    assert p.returncode == -signal.SIGKILL, p.stderr
    killed = [r for r in runs(cfg.warehouse_path)]
    pipeline.run_pipeline(cfg)  # the next run learns the truth
    after = runs(cfg.warehouse_path)
    assert [s for _, s, _ in after] == ["success", "failed", "success"], (killed, after)
    assert "interrupted" in after[1][2]


def test_ledger_record_of_a_failure_after_publish_is_not_dropped(project, monkeypatch):
    """A failure recorded for a run that had published (old: `on conflict do nothing`, then
    the ledger was deleted) turns that run's row to failed."""
    import journey_mining.pipeline as pl

    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    original = pl.publish if hasattr(pl, "swap_export") else None

    def fail_after_publish(ctx, progress=None):
        original(ctx, progress)
        raise OSError(5, "Input/output error")

    if original is None:  # old code: export ran after the publish
        import journey_mining.export as export

        monkeypatch.setattr(export, "new_connection", lambda *a, **k: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    else:
        monkeypatch.setattr(pl, "publish", fail_after_publish)
    with pytest.raises(OSError):
        pipeline.run_pipeline(cfg)
    monkeypatch.undo()
    pipeline.run_pipeline(cfg)
    assert [s for _, s, _ in runs(cfg.warehouse_path)] == ["success", "failed", "success"]


# --------------------------------------------------------------------------- item 9: leftovers, one run at a time


def test_next_run_removes_leftovers_of_killed_runs_and_only_those(project):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    out = project / "out"
    dead = "r20260101T000000Z-abcdef"
    (out / f".scratch-{dead}" / "web-123456").mkdir(parents=True)
    (out / f".scratch-{dead}" / "web-123456" / "events.parquet").write_bytes(b"x" * 1000)
    (out / f".w.duckdb.build-{dead}").write_bytes(b"half a database")
    (out / ".parquet.tmp-0a1b2c").mkdir()  # the previous version's temp export name
    (out / ".parquet.tmp-0a1b2c" / "events").mkdir()
    (out / f".parquet.old-{dead}").mkdir()
    (out / f".parquet.old-{dead}" / ".journey-export").write_text('{"tool": "journey_mining"}')
    # look-alikes that are not the tool's: kept
    (out / ".scratch-notes").mkdir()
    (out / ".parquet.old-mine").mkdir()
    (out / "keep.txt").write_text("mine")
    (out / ".w.duckdb.staged").mkdir(exist_ok=True)  # a staged file a killed run was writing
    (out / ".w.duckdb.staged" / f"{'0' * 64}-{'1' * 16}.parquet.tmp-{dead}").write_bytes(b"half a file")
    pipeline.run_pipeline(cfg)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([".parquet.old-mine", ".scratch-notes", ".w.duckdb.lock", ".w.duckdb.runs.jsonl", "keep.txt", "parquet",
                            "report.html", "w.duckdb", ".w.duckdb.staged"])
    assert not [p.name for p in (out / ".w.duckdb.staged").iterdir() if ".tmp-" in p.name]


LOCK_HOLDER = textwrap.dedent(
    """
    import fcntl, json, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps({"pid": os.getpid(), "run_id": "r-other"}).encode())
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_a_second_run_on_the_same_warehouse_is_refused_while_one_is_alive(project):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    before = tree(project)
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(project / "out" / ".w.duckdb.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"another journey run \\(PID {holder.pid}, run r-other\\)"):
            pipeline.run_pipeline(cfg)
    finally:
        holder.kill()
        holder.wait()
    after = tree(project)
    after.pop("out/.w.duckdb.lock")
    before.pop("out/.w.duckdb.lock")
    assert after == before


# --------------------------------------------------------------------------- item 10: a writer holds the warehouse


HOLD_WAREHOUSE = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("open", flush=True)
    time.sleep(60)
    """
)


def test_warehouse_held_open_for_writing_is_named_before_any_work(project):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    before = tree(project)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WAREHOUSE, str(cfg.warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        started = time.perf_counter()
        with pytest.raises(ConfigError, match=f"open for writing by another program \\(.*, PID {holder.pid}\\)"):
            pipeline.run_pipeline(cfg)
        assert time.perf_counter() - started < 5
        r = journey("check", "--config", str(project / "journey.toml"), cwd=project)
        assert r.returncode == 2 and f"PID {holder.pid}" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
    assert tree(project) == before  # no scratch, no ledger line, nothing


# --------------------------------------------------------------------------- item 11: Prefect


@pytest.mark.flow
def test_source_error_through_prefect_is_one_line(project):
    (project / "in" / "a.csv").unlink()
    (project / "in" / "a.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    cfg = with_config(project, CONFIG.replace('path = "in/*.csv"', 'path = "in/*.parquet"'))
    r = journey("run", "--config", str(cfg), cwd=project)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if not ln.startswith(("journey run: config", "  "))]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "a.parquet" in errors[0], r.stderr
    assert [s for _, s, _ in runs(project / "out" / "w.duckdb")] if (project / "out" / "w.duckdb").exists() else True


def _children(pid: int) -> set[int]:
    out = set()
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.add(int(p.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.flow
@pytest.mark.slow  # ~30 s: Prefect's server start-up on a shared 2-core machine
def test_sigterm_does_not_orphan_prefects_server(tmp_path):
    """A killed `journey run` (SIGTERM) stops Prefect's temporary API server (a child)."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    p = subprocess.Popen(
        [sys.executable, "-c", "from journey_mining.cli import entry; entry()", "run"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    children: set[int] = set()
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        children |= _children(p.pid)
        if children and (tmp_path / "out").exists():  # server up and the flow has begun
            break
        time.sleep(0.1)
    assert children, "no Prefect server child process seen"
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    time.sleep(1)
    assert [c for c in children if _alive(c)] == []
    assert p.returncode != 0
    # (working files an ingest thread was still writing are removed by the next run:
    # test_next_run_removes_leftovers_of_killed_runs_and_only_those)


# --------------------------------------------------------------------------- resources


def _sample_config(out: Path, sources: tuple[str, ...] | None = None, execution: dict | None = None):
    data = tomllib.loads(sample_config_path().read_text())
    if sources:
        data["sources"] = [s for s in data["sources"] if s["name"] in sources]
    if execution:
        data["execution"] = execution
    return parse_config(data, sample_config_path().parent, sample_config_path(), out)


def _table_hashes(warehouse: Path) -> dict[str, str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    out = {}
    for (t,) in con.sql("select table_name from duckdb_tables() where table_name not in ('runs', 'run_sources', 'run_steps', 'input_files', 'metric_history')").fetchall():
        cols = [r[0] for r in con.execute(
            "select column_name from duckdb_columns() where table_name = $t and column_name <> 'run_id'", {"t": t}
        ).fetchall()]
        row = "(" + ", ".join(f'"{c}"' for c in cols) + ")::varchar"
        out[t] = con.sql(f'select count(*), md5(string_agg(x, \',\' order by x)) from (select {row} as x from "{t}")').fetchall()[0]
    con.close()
    return out


def test_memory_limit_below_the_working_set_spills_and_gives_identical_tables(tmp_path):
    """[execution] memory_limit = 100MB on the sample's web + customers sources (41k events;
    the run needs ~240 MB unconstrained): DuckDB spills to temp_directory (~50 MB before
    issue 10 narrowed the build's tables, 4.3 MB since) and every table is identical to an
    unconstrained run. 60MB fails since the metrics marts (out of memory), so 100MB is
    below the working set."""
    default = _sample_config(tmp_path / "a", ("web", "customers"))
    pipeline.run_pipeline(default)
    spill = tmp_path / "spill"
    limited = _sample_config(tmp_path / "b", ("web", "customers"), {"memory_limit": "100MB", "temp_directory": str(spill)})
    peak = [0]
    done = threading.Event()

    def watch():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], sum(f.stat().st_size for f in spill.rglob("*") if f.is_file()))
            except OSError:
                pass
            time.sleep(0.02)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        pipeline.run_pipeline(limited)
    finally:
        done.set()
        t.join()
    assert peak[0] > 1_000_000, peak[0]  # it spilled
    assert _table_hashes(limited.warehouse_path) == _table_hashes(default.warehouse_path)
    assert not (tmp_path / "a" / "out" / ".journey-tmp").exists()  # the default temp folder is removed


def test_out_of_memory_in_a_reader_fails_the_run_instead_of_quarantining_the_file(tmp_path):
    """At 36MB the SendGrid reader runs out of memory: that must be an error naming the
    setting, never 'rows quarantined' (which silently lost every email event). (60MB until
    issue 10's leaner ingest: the sample's email files now load at 60MB; they fail between
    about 25MB and 45MB.)"""
    cfg = _sample_config(tmp_path, ("email", "web"), {"memory_limit": "36MB"})
    with pytest.raises(JourneyError, match="ran out of memory reading .*sendgrid.*memory_limit = 36MB"):
        pipeline.run_pipeline(cfg)
    assert not cfg.warehouse_path.exists()


def test_with_the_default_memory_limit_a_file_that_needs_more_is_retried_with_the_machine_share(tmp_path, monkeypatch):
    """The default memory_limit is capped (3,000 MB); one input file whose reader needs more
    (the 10M benchmark's 171 MB Zendesk export needs ~4 GB) is staged again with
    RETRY_MEMORY_LIMIT (60% of RAM) instead of failing the run. Here the run's limit is 36MB,
    where the sample's SendGrid file runs out of memory (the test above): with a retry limit
    it stages exactly the rows it stages with ample memory; without one (a configured limit)
    and when the retry runs out too, it is the one-line error naming the limits."""
    from journey_mining import ingest

    cfg = _sample_config(tmp_path, ("email",))
    plan = next(p for p in plan_sources(cfg) if p.source.name == "email")
    file = plan.files[0]

    def staged_rows(folder: str) -> list:
        con = duckdb.connect()
        f = next((tmp_path / folder).glob("*.parquet"))
        rows = con.execute("select * from read_parquet($f) order by source_line, event_id", {"f": str(f)}).fetchall()
        con.close()
        return rows

    monkeypatch.setattr(ingest, "RUN_SETTINGS", {"memory_limit": "1GB", "threads": 1})
    monkeypatch.setattr(ingest, "RETRY_MEMORY_LIMIT", None)
    ample = ingest.ingest_file(plan, file, tmp_path / "ample")

    monkeypatch.setattr(ingest, "RUN_SETTINGS", {"memory_limit": "36MB", "threads": 1})
    with pytest.raises(ingest.ReaderOutOfMemory, match=r"memory_limit = 36MB\)"):
        ingest.ingest_file(plan, file, tmp_path / "configured")
    assert not list((tmp_path / "configured").glob("*"))  # nothing half-written

    monkeypatch.setattr(ingest, "RETRY_MEMORY_LIMIT", "1GB")
    retried = ingest.ingest_file(plan, file, tmp_path / "retried")
    assert retried.rows_read == ample.rows_read > 9_000
    assert staged_rows("retried") == staged_rows("ample")

    monkeypatch.setattr(ingest, "RETRY_MEMORY_LIMIT", "30MB")
    with pytest.raises(ingest.ReaderOutOfMemory, match="memory_limit = 36MB, then 30MB on a retry"):
        ingest.ingest_file(plan, file, tmp_path / "both")
    assert not list((tmp_path / "both").glob("*"))


def test_a_run_retries_with_the_machine_share_only_under_the_default_memory_limit(tmp_path):
    from journey_mining import ingest
    from journey_mining.config import retry_memory_limit_mb

    for execution, expected in ((None, retry_memory_limit_mb()), ({"memory_limit": "2GB"}, None)):
        cfg = _sample_config(tmp_path / str(expected), ("web",), execution)
        ctx = pipeline.prepare_run(cfg)
        pipeline.begin(ctx)
        try:
            assert ingest.RETRY_MEMORY_LIMIT == (None if expected is None else f"{expected}MB")
        finally:
            pipeline.cleanup(ctx)
        assert ingest.RETRY_MEMORY_LIMIT is None


def test_disk_full_during_export_is_one_line_and_publishes_nothing(project, monkeypatch):
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    before = tree(project / "out")
    before = {k: v for k, v in before.items() if "runs.jsonl" not in k and not k.endswith(".lock")}
    import errno

    import journey_mining.export as export

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "new_connection", full)
    with pytest.raises(JourneyError, match="cannot write the Parquet export beside .*: No space left on device"):
        pipeline.run_pipeline(cfg)
    after = {k: v for k, v in tree(project / "out").items() if "runs.jsonl" not in k and not k.endswith(".lock")}
    assert after == before
    assert not [p for p in (project / "out").iterdir() if ".tmp-" in p.name or "build" in p.name or "scratch" in p.name]


def test_execution_settings_are_validated(project):
    with pytest.raises(ConfigError, match="execution.memory_limit 'lots'"):
        load_config(with_config(project, CONFIG + '[execution]\nmemory_limit = "lots"\n'))
    with pytest.raises(ConfigError, match="execution.threads"):
        load_config(with_config(project, CONFIG + "[execution]\nthreads = 0\n"))
    cfg = load_config(with_config(project, CONFIG + '[execution]\nmemory_limit = "1GB"\nthreads = 1\n'))
    assert cfg.duckdb_settings() == {"memory_limit": "1GB", "threads": 1, "temp_directory": str(project / "out" / ".journey-tmp")}


# --------------------------------------------------------------------------- real read-only and full file systems


def _can_mount() -> bool:
    try:
        r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs `unshare -m` and mount (a private mount namespace)")
JOURNEY = f'{sys.executable} -c "from journey_mining.cli import entry; entry()" run --no-prefect'


@needs_mount
def test_read_only_output_folder_is_one_line_before_any_work(project):
    """A real read-only file system (a read-only bind mount in a private mount namespace)."""
    (project / "out").mkdir()
    script = f"mount --bind {project / 'out'} {project / 'out'} && mount -o remount,ro,bind {project / 'out'} && {JOURNEY}"
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=project, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"error: warehouse folder {project / 'out'} is not writable ({project / 'out'}: permission denied or read-only file system)"
    ]
    assert list((project / "out").iterdir()) == []


@needs_mount
def test_disk_full_mid_run_is_one_line_and_publishes_nothing(project):
    """A real full disk (a small tmpfs): the first run publishes, the disk is filled to
    ~300 KB free, the second run (one more input file) fails with one line and the published
    warehouse and export are byte-identical."""
    out = project / "out"
    out.mkdir()
    snap = "find out/w.duckdb out/parquet -type f | sort | xargs sha256sum"
    script = "\n".join([
        f"mount -t tmpfs -o size=30m tmpfs {out} || exit 90",
        f"{JOURNEY} >/dev/null 2>&1 || exit 91",
        f"{snap} > {project / 'before.txt'}",
        f"dd if=/dev/zero of={out / 'filler'} bs=64k 2>/dev/null; truncate -s -300K {out / 'filler'}",
        f"printf 'anonymous_id,event_type,occurred_at\\nc9,page_view,2026-01-02T10:00:00Z\\n' > {project / 'in' / 'b.csv'}",
        f"{JOURNEY} 2> {project / 'err.txt'}; echo $? > {project / 'rc.txt'}",
        f"{snap} > {project / 'after.txt'}",
        f"ls -a {out} > {project / 'ls.txt'}",
    ])
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=project, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert (project / "rc.txt").read_text().strip() == "2"
    err = [ln for ln in (project / "err.txt").read_text().splitlines() if not ln.startswith(("journey run: config", "  "))]
    assert len(err) == 1 and err[0].startswith("error: cannot write") and "no space left on device" in err[0].lower(), err
    assert (project / "after.txt").read_text() == (project / "before.txt").read_text()
    left = set((project / "ls.txt").read_text().split())
    assert not [n for n in left if "build-" in n or ".tmp-" in n or n.startswith(".scratch-")], left
