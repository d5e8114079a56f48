"""The bundled sample, run once (no Prefect): CONTRACT.md section 4 holds on every table."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from journey_mining import pipeline
from journey_mining.config import load_config, sample_config_path


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    cfg = load_config(sample_config_path(), output_base=out)
    result = pipeline.run_pipeline(dataclasses.replace(cfg))
    con = duckdb.connect(str(result.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield con, cfg
    con.close()


def q(con, sql):
    return con.sql(sql).fetchall()


def test_every_loaded_event_has_one_customer_and_one_session_of_that_customer(wh):
    con, _ = wh
    loaded = q(con, "select sum(rows_loaded) from run_sources where source <> 'customers'")[0][0]
    assert q(con, "select count(*), count(customer_id), count(session_id) from events")[0] == (loaded, loaded, loaded)
    assert q(con, """
        select count(*) from events e join sessions s using (session_id)
        where e.customer_id <> s.customer_id""")[0][0] == 0
    assert q(con, "select count(*) from (select session_id from sessions group by 1 having count(*) > 1)")[0][0] == 0


def test_sessions_follow_the_timeout_and_never_overlap(wh):
    con, cfg = wh
    ev = con.sql("select customer_id, session_id, occurred_at, source, event_id from events").df()
    ev = ev.sort_values(["customer_id", "occurred_at", "source", "event_id"])
    gap = ev.groupby("customer_id").occurred_at.diff()
    same_customer_next_session = ev.session_id.ne(ev.groupby("customer_id").session_id.shift()) & gap.notna()
    limit = pd.Timedelta(minutes=cfg.timeout_minutes)
    assert (gap[same_customer_next_session] > limit).all()  # a new session only after a longer gap
    assert (gap[~same_customer_next_session & gap.notna()] <= limit).all()  # never inside one
    s = con.sql("select customer_id, started_at, ended_at from sessions order by customer_id, started_at").df()
    prev_end = s.groupby("customer_id").ended_at.shift()
    assert (s.started_at[prev_end.notna()] > prev_end[prev_end.notna()]).all()
    assert len(s) == int((gap.isna() | same_customer_next_session).sum())


def test_customers_furthest_stage_and_conversion(wh):
    con, cfg = wh
    conversion = cfg.stages.index_of(cfg.stages.conversion)
    bad = q(con, f"""
        with e as (select customer_id, max(stage_index) as m, count(*) as n,
                          count(distinct session_id) as s from events group by 1)
        select count(*) from customers c join e using (customer_id)
        where c.furthest_stage_index <> e.m or c.events <> e.n or c.sessions <> e.s
           or c.converted <> (e.m >= {conversion})""")[0][0]
    assert bad == 0
    assert q(con, "select count(*) from customers")[0][0] == q(con, "select count(distinct customer_id) from events")[0][0]


def test_two_user_ids_never_share_a_customer(wh):
    con, _ = wh
    assert q(con, """
        select count(*) from (select customer_id from events where user_id is not null
                              group by 1 having count(distinct user_id) > 1)""")[0][0] == 0
    assert q(con, "select count(*) from events where user_id is not null and user_id <> customer_id")[0][0] == 0
    # the shared cookies of the sample are resolved per event, and flagged in identity_links
    assert q(con, "select count(*) from identity_links where is_ambiguous")[0][0] > 0


def test_the_planted_payment_step_exit_shows_in_sessions(wh):
    """docs/sample-data.md: about 46% of sessions reaching /checkout/payment end there."""
    con, _ = wh
    share = dict(q(con, """
        with touched as (
            select s.session_id, e.touchpoint, s.exit_touchpoint
            from sessions s join events e using (session_id)
            where e.touchpoint in ('web:page_view:/checkout/payment', 'web:page_view:/checkout/shipping')
            group by all)
        select touchpoint, avg((exit_touchpoint = touchpoint)::int) from touched group by 1"""))
    payment, shipping = share["web:page_view:/checkout/payment"], share["web:page_view:/checkout/shipping"]
    assert 0.40 < payment < 0.52
    assert shipping < 0.15
