"""Issue 10: ``run_steps`` (per-step and per-model timings, carried like ``runs``) and the
``[execution]`` settings on every DuckDB connection a run opens for writing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import journey_mining.ingest as ingest
from journey_mining import export, models, pipeline, tables
from journey_mining import warehouse as wh
from journey_mining.config import load_config
from tests.test_run_definition import project  # noqa: F401 - the tiny project fixture


def _steps(warehouse: Path) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    cur = con.execute("select * from run_steps order by run_id, started_at, step, model")
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    con.close()
    return rows


def _count(warehouse: Path, table: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    n = con.execute(f'select count(*) from "{table}"').fetchall()[0][0]
    con.close()
    return n


def test_a_run_records_every_step_and_model(project: Path) -> None:  # noqa: F811
    result = pipeline.run_pipeline(load_config(project / "journey.toml"))
    rows = [r for r in _steps(result.warehouse) if r["run_id"] == result.run_id]
    steps = {r["step"] for r in rows}
    assert steps == {"ingest", "load", "build", "record", "export"}
    # one ingest row per input file, with the rows read
    ingested = sorted((r["detail"].rsplit("/", 1)[-1], r["rows"]) for r in rows if r["step"] == "ingest")
    assert ingested == [("a.csv", 6), ("b.csv", 2), ("crm.csv", 2)]
    assert all(r["started_at"] is not None for r in rows)
    # every SQL model of the build has its row, with the rows of the table it wrote
    built = {r["model"]: r for r in rows if r["step"] == "build" and r["model"] is not None}
    for stage in tables.BUILD_STAGES:
        for t in tables.build_order(stage):
            if t.model is not None:
                assert built[t.name]["detail"] == t.model, t.name
    assert built["events"]["rows"] == _count(result.warehouse, "events") == 5
    assert built["customers"]["rows"] == _count(result.warehouse, "customers")
    # a Python producer has its row (and so do the models it runs itself, label propagation's
    # init and steps)
    labels = {r["detail"] for r in rows if r["model"] in ("int_identity_labels", "int_identity_labels_next")}
    assert {"python", "intermediate/int_identity_labels_init", "intermediate/int_identity_labels_step"} <= labels
    whole = [r for r in rows if r["step"] == "build" and r["model"] is None]
    assert len(whole) == 1 and whole[0]["seconds"] >= max(r["seconds"] for r in built.values())
    (load,) = [r for r in rows if r["step"] == "load"]
    assert load["rows"] == 5  # stg_events: loaded rows (one duplicate, one quarantined row out)
    (exp,) = [r for r in rows if r["step"] == "export"]
    exported = export.read_manifest(result.parquet_dir)["tables"]
    assert exp["rows"] == len(exported) - 1  # every table but run_steps, exported last
    # ... so the export's run_steps holds the export's own row too: it equals the warehouse
    assert exported["run_steps"]["rows"] == len(_steps(result.warehouse))
    assert all(r["seconds"] >= 0 for r in rows)
    assert all(r["cpu_seconds"] >= 0 for r in rows if r["step"] != "ingest")
    assert all(r["peak_rss_mb"] > 0 for r in rows if r["step"] != "ingest")
    assert models.TIMER is None  # nothing records outside a build


def test_run_steps_are_appended_run_after_run(project: Path) -> None:  # noqa: F811
    config = load_config(project / "journey.toml")
    first = pipeline.run_pipeline(config)
    before = [r for r in _steps(first.warehouse) if r["run_id"] == first.run_id]
    second = pipeline.run_pipeline(config)
    after = _steps(second.warehouse)
    assert {r["run_id"] for r in after} == {first.run_id, second.run_id}
    assert [r for r in after if r["run_id"] == first.run_id] == before  # carried unchanged
    # the second run read nothing again: its ingest rows say the staged rows were reused
    ingest_rows = [r for r in after if r["run_id"] == second.run_id and r["step"] == "ingest"]
    assert len(ingest_rows) == 3 and all(r["detail"].endswith("(staged rows reused)") for r in ingest_rows)


def test_a_failed_build_records_nothing_and_stops_recording(project: Path, monkeypatch) -> None:  # noqa: F811
    config = load_config(project / "journey.toml")

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(wh, "carry_history", boom)
    with pytest.raises(RuntimeError, match="boom"):
        pipeline.run_pipeline(config)
    assert models.TIMER is None
    assert not config.warehouse_path.exists()


def test_every_writing_connection_of_a_run_gets_the_execution_settings(project: Path, monkeypatch) -> None:  # noqa: F811
    """Ingest, build and export connections (and the one that records the export's timing)
    all carry [execution] memory_limit, threads and temp_directory; the build and the export
    run without insertion order. No connection that writes is opened any other way."""
    text = (project / "journey.toml").read_text()
    (project / "journey.toml").write_text(text + '\n[execution]\nmemory_limit = "700MB"\nthreads = 1\n')
    config = load_config(project / "journey.toml")
    expected = duckdb.connect()
    expected.execute("set memory_limit = '700MB'")
    limit = expected.execute("select current_setting('memory_limit')").fetchall()[0][0]
    expected.close()

    seen: list[tuple[str, dict]] = []
    original = ingest.new_connection
    opening = []

    def recording(path=":memory:", settings=None):  # noqa: ANN001, ANN202
        opening.append(True)
        try:
            con = original(path, settings)
        finally:
            opening.pop()
        values = dict(zip(
            ("memory_limit", "threads", "temp_directory", "preserve_insertion_order"),
            con.execute(
                "select current_setting('memory_limit'), current_setting('threads'), "
                "current_setting('temp_directory'), current_setting('preserve_insertion_order')"
            ).fetchall()[0], strict=True,
        ))
        seen.append((str(path), values))
        return con

    others: list[str] = []
    read_only_build: list[str] = []
    real_connect = duckdb.connect

    def connect(database=":memory:", read_only=False, *a, **k):  # noqa: ANN001, ANN202, FBT002
        if not opening and not read_only:
            others.append(str(database))
        if read_only and ".build-" in str(database):
            read_only_build.append(str(database))
        return real_connect(database, read_only, *a, **k)

    for module in (ingest, wh, export):
        monkeypatch.setattr(module, "new_connection", recording)
    monkeypatch.setattr(duckdb, "connect", connect)
    pipeline.run_pipeline(config)
    monkeypatch.undo()

    kinds = [p for p, _ in seen]
    assert any(p == ":memory:" for p in kinds)  # ingest (and export)
    assert sum(".build-" in p for p in kinds) == 2  # the build, and recording the export
    for path, values in seen:
        assert values["memory_limit"] == limit, path
        assert values["threads"] == 1, path
        assert values["temp_directory"] == str(config.temp_directory), path
    builds = [v for p, v in seen if ".build-" in p]
    assert builds[0]["preserve_insertion_order"] is False
    # ... ingest (in memory), the build file, the export (in memory), the export's timing
    # the export keeps insertion order: it is what writes each COPY's ORDER BY into the file
    assert seen[-2][0] == ":memory:" and seen[-2][1]["preserve_insertion_order"] is True
    assert ".build-" in seen[-1][0]
    assert others == []  # nothing writing opened without the settings
    # the export's graphs read the build file on the export's connection, not on one of their own
    assert read_only_build == []
