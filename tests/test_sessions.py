"""Sessions (CONTRACT.md section 4) and event order: tiny timelines, exact sessions."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest_inference import build, make_config, make_stg, rows, ts

SESSIONS = (
    "select customer_id, session_index, strftime(started_at, '%H:%M:%S'), "
    "strftime(ended_at, '%H:%M:%S'), duration_seconds, events, channels, entry_touchpoint, "
    "exit_touchpoint from sessions order by customer_id, session_index"
)


def session_id(customer_id: str, source: str, event_id: str) -> str:
    key = json.dumps([customer_id, source, event_id], separators=(",", ":"))
    return hashlib.md5(key.encode()).hexdigest()


def test_same_timestamp_events_are_ordered_by_source_then_event_id():
    at = "2024-01-01 10:00:00"
    con = build([
        dict(event_id="b", source="web", occurred_at=at, user_id="u1"),
        dict(event_id="a", source="web", occurred_at=at, user_id="u1"),
        dict(event_id="z", source="app", occurred_at=at, user_id="u1", channel="app"),
        dict(event_id="first", source="zzz", occurred_at="2024-01-01 09:59:59.999", user_id="u1"),
    ])
    assert rows(con, "select event_id, event_index from events order by event_index") == [
        ("first", 1), ("z", 2), ("a", 3), ("b", 4),
    ]
    assert rows(con, "select session_id, entry_touchpoint, exit_touchpoint from sessions") == [
        (session_id("u1", "zzz", "first"), "web:page_view", "web:page_view"),
    ]


def test_a_gap_of_exactly_the_timeout_stays_one_more_second_splits():
    con = build([
        dict(event_id="e1", occurred_at="2024-01-01 10:00:00", user_id="u1"),
        dict(event_id="e2", occurred_at="2024-01-01 10:30:00", user_id="u1",  # gap 1800 s
             source="mail", channel="email", event_type="click"),
        dict(event_id="e3", occurred_at="2024-01-01 11:00:01", user_id="u1"),  # gap 1801 s
        dict(event_id="e4", occurred_at="2024-01-01 11:30:01", user_id="u1",  # gap 1800 s
             event_type="signup"),
    ])
    assert rows(con, SESSIONS) == [
        ("u1", 1, "10:00:00", "10:30:00", 1800.0, 2, "email,web", "web:page_view", "email:click"),
        ("u1", 2, "11:00:01", "11:30:01", 1800.0, 2, "web", "web:page_view", "web:signup"),
    ]
    assert rows(con, "select event_id, session_index, session_id from events order by 1") == [
        ("e1", 1, session_id("u1", "web", "e1")),
        ("e2", 1, session_id("u1", "web", "e1")),
        ("e3", 2, session_id("u1", "web", "e3")),
        ("e4", 2, session_id("u1", "web", "e3")),
    ]
    assert rows(con, "select customer_id, sessions, events from customers") == [("u1", 2, 4)]


def test_timeout_is_a_setting_and_sub_second_gaps_are_exact():
    con = build(
        [
            dict(event_id="e1", occurred_at="2024-01-01 10:00:00", user_id="u1"),
            dict(event_id="e2", occurred_at="2024-01-01 10:05:00", user_id="u1"),
            dict(event_id="e3", occurred_at="2024-01-01 10:10:00.000001", user_id="u1"),
        ],
        config=make_config(timeout_minutes=5),
    )
    assert rows(con, "select event_id, session_index from events order by 1") == [
        ("e1", 1), ("e2", 1), ("e3", 2),
    ]


def test_sessions_follow_the_stitched_customer_across_channels():
    con = build([
        dict(event_id="w1", occurred_at="2024-01-01 10:00:00", anonymous_id="c1"),
        dict(event_id="m1", occurred_at="2024-01-01 10:10:00", email="a@x.com", source="mail",
             channel="email", event_type="open"),
        dict(event_id="w2", occurred_at="2024-01-01 10:20:00", anonymous_id="c1", user_id="u1",
             email="a@x.com", event_type="login"),
    ])
    assert rows(con, SESSIONS) == [
        ("u1", 1, "10:00:00", "10:20:00", 1200.0, 3, "email,web", "web:page_view", "web:login"),
    ]


# ----------------------------------------------------------------------- properties


@st.composite
def timelines(draw):
    n = draw(st.integers(1, 16))
    start = ts("2024-01-01 00:00:00")
    events = []
    for i in range(n):
        ids = {
            "user_id": draw(st.sampled_from([None, None, "u1", "u2"])),
            "anonymous_id": draw(st.sampled_from([None, "c1", "c2", "c3"])),
            "email": draw(st.sampled_from([None, None, "a@x"])),
        }
        if not any(ids.values()):
            ids["email"] = "a@x"
        events.append(dict(
            event_id=f"e{i:02}",
            source_line=i + 1,
            source=draw(st.sampled_from(["web", "mail"])),
            channel=draw(st.sampled_from(["web", "email"])),
            event_type=draw(st.sampled_from(["page_view", "order", "purchase", "nps", "open"])),
            url=draw(st.sampled_from([None, "https://x.io/pricing?a=1", "/blog/a"])),
            score=draw(st.sampled_from([None, 3.0, 9.0])),
            occurred_at=start + timedelta(minutes=draw(st.sampled_from([0, 10, 30, 31, 60, 200]))),
            **ids,
        ))
    profiles = draw(st.lists(st.fixed_dictionaries({
        "user_id": st.sampled_from([None, "u1", "u2"]),
        "email": st.sampled_from([None, "a@x", "b@x"]),
        "attributes": st.sampled_from([None, {"segment": "smb"}, {"segment": "ent", "k": 1}]),
    }), max_size=3))
    profiles = [{**p, "source_line": i + 1} for i, p in enumerate(profiles)]
    return events, profiles


def _tables(con):
    """Every output table as a sorted list of rows (order-independent comparison)."""
    return {
        name: sorted(rows(con, f"select * from {name}"), key=repr)
        for name in ("events", "sessions", "customers", "identity_links")
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines(), st.randoms(use_true_random=False))
def test_shuffling_the_input_rows_changes_no_output_table(timeline, rnd):
    events, profiles = timeline
    con = build(events, profiles)
    expected = _tables(con)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    shuffled_profiles = list(profiles)
    rnd.shuffle(shuffled_profiles)
    # source_line travels with its row, as when a file is re-read in another order
    con2 = build(shuffled, shuffled_profiles)
    assert _tables(con2) == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines(), st.sampled_from([10, 30]))
def test_sessions_partition_each_customers_events_without_overlap(timeline, timeout):
    events, profiles = timeline
    con = build(events, profiles, config=make_config(timeout_minutes=timeout))
    assert rows(con, "select count(*) from events where session_id is null") == [(0,)]
    assert rows(con, "select count(*) from (select session_id from events group by 1 "
                     "having count(distinct customer_id) > 1)") == [(0,)]
    assert rows(con, "select sum(events) from sessions") == [(len(events),)]
    # Consecutive sessions of a customer: the next starts more than the timeout after the end.
    overlaps = rows(con, f"""
        select count(*) from (
            select started_at, lag(ended_at) over (partition by customer_id
                order by session_index) as previous_end from sessions)
        where started_at - previous_end <= interval {int(timeout)} minute
    """)
    assert overlaps == [(0,)]
    # Within a session no gap exceeds the timeout.
    assert rows(con, f"""
        select count(*) from (select session_id, occurred_at - lag(occurred_at) over (
            partition by customer_id order by event_index) as gap,
            session_index = lag(session_index) over (partition by customer_id
                order by event_index) as is_same from events)
        where is_same and gap > interval {int(timeout)} minute
    """) == [(0,)]


def test_rebuilding_on_the_same_connection_gives_the_same_tables():
    events = [dict(event_id=f"e{i}", occurred_at=f"2024-01-01 1{i}:00:00", anonymous_id="c1",
                   user_id="u1" if i == 3 else None) for i in range(6)]
    random.Random(7).shuffle(events)
    con = build(events)
    first = _tables(con)
    from journey_mining.inference import build_journeys
    make_stg(con, events)
    build_journeys(con, make_config())
    assert _tables(con) == first
