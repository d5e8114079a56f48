"""The metrics reduce over stored per-customer partials gives the same numbers whatever order
the partial rows are summed in (a nightly run must equal its full rebuild). A double sum is
not associative: at 10M events a night's `attribution` differed from its full rebuild's in
the 9th decimal. The reduce sums exactly (DECIMAL); these inputs make any double sum show it:
1e16 + 1 - 1e16 is 0 in one order and 1 in the other."""

from __future__ import annotations

import duckdb
import pytest

from journey_mining.ingest import new_connection
from journey_mining.models import build_table

ORDERS = [(1e16, 1.0, -1e16), (1e16, -1e16, 1.0)]


def _attribution(values: tuple[float, ...]) -> list[tuple]:
    con = new_connection(settings={"threads": 1})
    con.execute("create table partial_attribution_credits (customer_id VARCHAR, level VARCHAR, name VARCHAR, "
                "first_touch DOUBLE, last_touch DOUBLE, linear DOUBLE, position_based DOUBLE)")
    con.executemany("insert into partial_attribution_credits values (?, 'channel', 'web', ?, ?, ?, ?)",
                    [(f"c{i}", v, v, v, v) for i, v in enumerate(values)])
    con.execute("create table partial_attribution_transitions as select * from (values "
                "('c0', 'channel', '(start)', 'web', 3::bigint), ('c0', 'channel', 'web', '(conversion)', 3::bigint)) "
                "t(customer_id, level, from_state, to_state, transitions)")
    con.execute("create table int_attribution_markov as select 'channel' as level, 'web' as name, "
                "1.0::double as credit, 1.0::double as removal_effect")
    build_table(con, "marts", "attribution")
    rows = con.execute("select model, credit from attribution where model <> 'markov' order by model").fetchall()
    con.close()
    return rows


def _emotions(values: tuple[float, ...]) -> list[tuple]:
    con = new_connection(settings={"threads": 1})
    con.execute("create table cfg_stages as select 0 as stage_index, 'awareness' as stage, false as is_conversion")
    con.execute("create table int_pain_touchpoints as select 'home' as touchpoint, 0 as stage_index, "
                "'web' as channel, false as is_support")
    con.execute("create table partial_emotion_signals (customer_id VARCHAR, touchpoint VARCHAR, stage_index INTEGER, "
                "signal_kind VARCHAR, signals BIGINT, value_sum DOUBLE, negatives BIGINT)")
    con.executemany("insert into partial_emotion_signals values (?, 'home', 0, 'text', 1, ?, 0)",
                    [(f"c{i}", v) for i, v in enumerate(values)])
    build_table(con, "marts", "emotions")
    rows = con.execute("select level, mean_emotion, mean_text from emotions order by level").fetchall()
    con.close()
    return rows


@pytest.mark.parametrize("reduce", [_attribution, _emotions], ids=["attribution", "emotions"])
def test_the_reduce_does_not_depend_on_the_order_of_partial_rows(reduce) -> None:  # noqa: ANN001
    try:
        first, second = (reduce(order) for order in ORDERS)
    except duckdb.Error as e:  # the model's inputs changed: this test must follow them
        pytest.fail(f"set-up no longer matches the model: {e}")
    assert first == second
