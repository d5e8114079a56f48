"""Issue 7: the declared tables (journey_mining.tables) drive the build, the clean-up of
temporaries and the history carried from run to run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from journey_mining import pipeline, tables
from journey_mining.config import load_config
from journey_mining.inference import build_journeys, create_empty_inputs
from journey_mining.models import sql_dir
from tests.test_run_definition import project  # noqa: F401 - the fixture

# models that are not tables of their own: the rounds of int_identity_labels' producer
NOT_TABLES = {"intermediate/int_identity_labels_init", "intermediate/int_identity_labels_step",
              "intermediate/int_incremental_affected_step"}


def test_every_sql_model_is_declared_once():
    models = {f"{p.parent.name}/{p.stem}" for layer in ("intermediate", "marts") for p in (sql_dir() / layer).glob("*.sql")}
    declared = [t.model for t in tables.TABLES.values() if t.model]
    assert len(declared) == len(set(declared))
    assert models - NOT_TABLES == set(declared)


def test_every_table_has_a_description_and_a_write_disposition():
    for t in tables.TABLES.values():
        assert t.description.strip().endswith("."), t.name
        assert t.write in ("replace", "append", "history"), t.name
    assert tables.carried_tables("append") == ["runs", "run_sources", "run_steps", "metric_history", "erasures"]
    assert tables.carried_tables("history") == ["quarantine", "input_files", "suppressions"]


def test_build_order_is_topological_per_stage():
    seen: set[str] = set(tables.names("load"))
    for stage in tables.BUILD_STAGES:
        for t in tables.build_order(stage):
            missing = [d for d in t.depends_on if d not in seen]
            assert not missing, f"{t.name} is built before {missing}"
            seen.add(t.name)
    # a temporary table is only read within its own stage (it is dropped at the stage's end)
    for t in tables.TABLES.values():
        for d in t.depends_on:
            if tables.TABLES[d].temporary and tables.TABLES[d].stage in tables.BUILD_STAGES:
                assert tables.TABLES[d].stage == t.stage, (t.name, d)


def test_dependencies_are_read_from_the_sql_and_declared_for_python_producers():
    assert tables.TABLES["int_event_sessions"].depends_on == ("int_events", "int_event_customers")
    # an import CTE named like a table reads that table; a CTE defined above is no table
    assert "events" in tables.TABLES["int_pain_event_flow"].depends_on
    assert "events" not in tables.TABLES["int_event_sessions"].depends_on
    markov = tables.TABLES["int_attribution_markov"]
    assert markov.function is not None and markov.depends_on == ("int_attribution_transitions",)
    assert "int_attribution_markov" in tables.TABLES["attribution"].depends_on


def test_a_run_writes_exactly_the_declared_kept_tables(project):  # noqa: F811
    cfg = load_config(project / "journey.toml")
    pipeline.run_pipeline(cfg)
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    written = {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}
    con.close()
    kept = {t.name for t in tables.TABLES.values() if not t.temporary}
    assert written == kept


def test_keep_intermediate_keeps_every_temporary_table_of_the_build(project):  # noqa: F811
    cfg = load_config(project / "journey.toml")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_empty_inputs(con)
    con.execute("insert into stg_events (event_id, source, channel, event_type, occurred_at, anonymous_id, properties) "
                "values ('e1', 'web', 'web', 'page_view', '2026-01-01T00:00:00Z', 'c1', '{}')")
    build_journeys(con, cfg, keep_intermediate=True)
    have = {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}
    built = {t.name for s in tables.BUILD_STAGES for t in tables.build_order(s)}
    assert built <= have
    con.close()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_empty_inputs(con)
    build_journeys(con, cfg)
    have = {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}
    assert not have & {n for s in tables.BUILD_STAGES for n in tables.temporary_tables(s)}


def test_a_python_producer_is_a_declared_way_in(monkeypatch, project):  # noqa: F811
    """A table produced by Python (say, a graph export) is one registry entry: it is built in
    dependency order and, when temporary, cleaned up."""
    calls = []

    def produce(con, config, temp):
        calls.append(temp)
        con.execute("create or replace temp table int_example as select count(*) as n from events")

    extra = tables.Table("int_example", "An example.", function=produce, declared_depends_on=("events",),
                         temporary=True, stage="paths")
    registry = (*tables._REGISTRY, extra)
    monkeypatch.setattr(tables, "_REGISTRY", registry)
    monkeypatch.setitem(tables.TABLES, "int_example", extra)
    order = [t.name for t in tables.build_order("paths")]
    assert "int_example" in order
    cfg = load_config(Path(project) / "journey.toml")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_empty_inputs(con)
    build_journeys(con, cfg)
    assert calls == [True]
    assert "int_example" not in {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}


def test_registry_rejects_a_table_without_a_producer():
    with pytest.raises(ValueError):
        tables.Table("x", "X.", stage="journeys")
