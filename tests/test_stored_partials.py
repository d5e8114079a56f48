"""The stored per-customer partials (``tables.STORED_PARTIALS``, issues 10 and 11).

An incremental night rebuilds every partial only for the affected customers (with
``events`` / ``sessions`` / ``customers`` restricted to them), replaces those customers' rows
and runs the reduce models over the full partials. That is exact only if each customer's rows
of a partial depend on nothing but that customer's rows (plus the ``cfg_*`` tables and
per-text deterministic scores). The test below checks it generically, for every partial:
built from a subset of customers, a partial has exactly those customers' rows of the full
build. A partial that reads a global table (another stage's mart, a baseline over all
customers) fails it: either the table is missing in the subset build, or the rows differ.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey_mining import pipeline, tables
from journey_mining.config import load_config
from journey_mining.generate import generate
from journey_mining.metrics.paths import path_params
from journey_mining.metrics.signals import signal_params

# inputs a partial may read besides the tables its own stage builds from them
PER_CUSTOMER_INPUTS = ("events", "sessions", "customers")
# doubles are compared at the precision benchmarks/table_hashes.py hashes them: a sum within
# one customer may be added up in another order by a parallel aggregate
DOUBLE_DIGITS = 9


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    """A whole run over 300 generated customers: the warehouse and its config."""
    base = tmp_path_factory.mktemp("partials")
    generate(base / "data", customers=300, seed=5)
    cfg = load_config(base / "data" / "journey.toml", output_base=base / "out")
    result = pipeline.run_pipeline(cfg)
    return result.warehouse, cfg


def _needed(stage: str) -> list[tables.Table]:
    """The tables of ``stage`` the stage's partials need (the partials and what they read
    within the stage), in build order."""
    own = {t.name for t in tables.build_order(stage)}
    todo = [p for p in tables.STORED_PARTIALS if p in own]
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo.extend(d for d in tables.TABLES[name].depends_on if d in own)
    return [t for t in tables.build_order(stage) if t.name in needed]


def build_partials_for(warehouse, config, customer_ids: list[str]) -> duckdb.DuckDBPyConnection:
    """A fresh connection holding only ``customer_ids``' rows of events / sessions /
    customers and every ``cfg_*`` table of ``warehouse``, with every stored partial built
    from them (the way an incremental night builds them for the affected customers)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("attach $p as full_wh (read_only)", {"p": str(warehouse)})
    con.execute("create temp table chosen as select unnest($ids::varchar[]) as customer_id", {"ids": customer_ids})
    for name in PER_CUSTOMER_INPUTS:
        con.execute(f"create table {name} as select * from full_wh.{name} "
                    "where customer_id in (select customer_id from chosen)")
    for (name,) in con.execute("select table_name from duckdb_tables() where database_name = 'full_wh' "
                               "and table_name like 'cfg\\_%' escape '\\'").fetchall():
        con.execute(f"create table {name} as select * from full_wh.{name}")
    con.execute("detach full_wh")
    params = {**signal_params(config), **path_params(config)}
    from journey_mining.models import build_table

    called: set[int] = set()
    for stage in tables.BUILD_STAGES:
        for t in _needed(stage):
            if t.model is not None:
                layer, name = t.model.split("/")
                build_table(con, layer, name, params, target=t.name, temp=False)
            elif id(t.function) not in called:
                called.add(id(t.function))
                t.function(con, config, False)
    return con


def _rows(con: duckdb.DuckDBPyConnection, relation: str, name: str) -> list[tuple]:
    columns = con.execute(f"select column_name, data_type from duckdb_columns() where table_name = '{name}' "
                          "order by column_index").fetchall()
    select = ", ".join(f"round({c}, {DOUBLE_DIGITS})" if kind == "DOUBLE" else c for c, kind in columns)
    return sorted(con.execute(f"select {select} from {relation}").fetchall(), key=repr)


def assert_partials_per_customer(warehouse, config, customer_ids: list[str]) -> None:
    subset = build_partials_for(warehouse, config, customer_ids)
    subset.execute("attach $p as full_wh (read_only)", {"p": str(warehouse)})
    for name in tables.STORED_PARTIALS:
        got = _rows(subset, name, name)
        expected = _rows(subset, f"(select * from full_wh.{name} where customer_id in "
                                 f"(select customer_id from chosen))", name)
        assert got, f"{name}: no rows for the chosen customers"
        assert got == expected, f"{name}: the chosen customers' rows differ from the full build's"
    subset.close()


def test_every_partial_is_declared_documented_and_keyed_by_customer(full_build):
    from journey_mining import table_docs

    warehouse, _ = full_build
    con = duckdb.connect(str(warehouse), read_only=True)
    for name in tables.STORED_PARTIALS:
        t = tables.TABLES[name]
        assert name.startswith("partial_") and not t.temporary and t.stage in tables.BUILD_STAGES
        assert name in table_docs.TABLES and set(table_docs.COLUMNS[name]) == {
            c for (c,) in con.execute(f"select column_name from duckdb_columns() where table_name = '{name}'").fetchall()}
        assert con.execute(f"select count(*), count(customer_id) from {name}").fetchone()[0] > 0
        nulls = con.execute(f"select count(*) - count(customer_id) from {name}").fetchone()[0]
        assert nulls == 0, name
    con.close()


def test_each_partial_built_from_some_customers_equals_their_rows_of_the_full_build(full_build):
    warehouse, config = full_build
    con = duckdb.connect(str(warehouse), read_only=True)
    everyone = [c for (c,) in con.execute("select customer_id from customers order by customer_id").fetchall()]
    # converted customers, support contacts and texts are among them (every partial gets rows)
    con.close()
    assert len(everyone) > 100
    assert_partials_per_customer(warehouse, config, everyone[::3])
    assert_partials_per_customer(warehouse, config, everyone[1::7])


# --------------------------------------------------------------------------- exact medians

_UNIT_COLUMNS = ("sessions", "exit_sessions", "repeat_sessions", "support_sessions", "behaviour_sessions", "texts",
                 "negative_texts", "scores", "low_scores", "followed_tickets", "rated_tickets", "bad_rated_tickets")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(["A", "B"]),
                          st.one_of(st.integers(0, 30).map(float),
                                    st.floats(0, 1e6, allow_nan=False, allow_infinity=False))),
                min_size=1, max_size=40))
def test_unit_median_from_summed_partials_equals_duckdbs_median_of_the_events(dwells):
    """int_pain_unit_signals takes the median of each unit's dwell distribution summed over
    the customers' partial_pain_dwell rows: it equals DuckDB's median() over the events
    (the middle value, or the mean of the two middle ones)."""
    from journey_mining.models import build_table

    con = duckdb.connect()
    con.execute("create table dwell_events (customer_id varchar, touchpoint varchar, dwell_seconds double)")
    con.executemany("insert into dwell_events values (?, ?, ?)", dwells)
    con.execute("create table partial_pain_dwell as select customer_id, touchpoint, '' as dimension, "
                "'' as segment_value, dwell_seconds, count(*) as events from dwell_events group by all")
    counts = ", ".join(f"1::bigint as {c}" for c in _UNIT_COLUMNS)
    con.execute(f"create table partial_pain_units as select distinct customer_id, touchpoint, '' as dimension, "
                f"'' as segment_value, {counts} from dwell_events")
    build_table(con, "intermediate", "int_pain_unit_signals", {})
    got = con.execute("select touchpoint, median_dwell_seconds from int_pain_unit_signals order by 1").fetchall()
    expected = con.execute("select touchpoint, median(dwell_seconds) from dwell_events group by 1 order by 1").fetchall()
    assert got == expected
