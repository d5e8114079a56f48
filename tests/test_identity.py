"""Identity stitching (CONTRACT.md section 4): tiny timelines with their exact customers."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest_inference import anon_id, build, rows

CUSTOMER_OF = "select event_id, customer_id, identity_rule from events order by event_id"
CUSTOMERS = (
    "select customer_id, user_id, events, sessions, identifiers, attributes::varchar "
    "from customers order by customer_id"
)


def test_login_after_anonymous_browsing_goes_to_the_user():
    con = build([
        dict(event_id="e1", occurred_at="2024-01-01 10:00:00", anonymous_id="c1"),
        dict(event_id="e2", occurred_at="2024-01-01 10:05:00", anonymous_id="c1"),
        dict(event_id="e3", occurred_at="2024-01-01 10:10:00", anonymous_id="c1", user_id="u1",
             event_type="login"),
        dict(event_id="e4", occurred_at="2024-01-03 09:00:00", anonymous_id="c1"),
        dict(event_id="e5", occurred_at="2024-01-03 09:00:00", anonymous_id="c9"),
    ])
    assert rows(con, CUSTOMER_OF) == [
        ("e1", "u1", "cluster"),
        ("e2", "u1", "cluster"),
        ("e3", "u1", "user_id"),
        ("e4", "u1", "cluster"),
        ("e5", anon_id("anonymous_id:c9"), "anonymous"),
    ]
    assert rows(con, CUSTOMERS) == [
        (anon_id("anonymous_id:c9"), None, 1, 1, 1, "{}"),
        ("u1", "u1", 4, 2, 2, "{}"),
    ]
    assert rows(con, "select * exclude (first_seen_at) from identity_links") == [
        ("user_id", "u1", "anonymous_id", "c1", "event", "web", "e3", "test.csv", 3,
         1, 1, 0, "u1", 1, "anonymous_id:c1", 1, False),
    ]


def test_two_devices_of_one_user_are_one_customer():
    con = build([
        dict(event_id="p1", occurred_at="2024-01-01 10:00:00", anonymous_id="laptop"),
        dict(event_id="p2", occurred_at="2024-01-01 10:01:00", anonymous_id="laptop", user_id="u1"),
        dict(event_id="m1", occurred_at="2024-01-02 20:00:00", anonymous_id="phone"),
        dict(event_id="m2", occurred_at="2024-01-02 20:01:00", anonymous_id="phone", user_id="u1"),
    ])
    assert {r[1] for r in rows(con, CUSTOMER_OF)} == {"u1"}
    assert rows(con, CUSTOMERS) == [("u1", "u1", 4, 2, 3, "{}")]


def test_shared_device_is_resolved_by_time_and_never_merges_users():
    con = build([
        dict(event_id="e1", occurred_at="2024-01-01 09:00:00", anonymous_id="kiosk"),  # first after
        dict(event_id="e2", occurred_at="2024-01-01 10:00:00", anonymous_id="kiosk", user_id="u1"),
        dict(event_id="e3", occurred_at="2024-01-01 10:10:00", anonymous_id="kiosk"),  # last before
        dict(event_id="e4", occurred_at="2024-01-01 12:00:00", anonymous_id="kiosk", user_id="u2"),
        dict(event_id="e5", occurred_at="2024-01-01 12:05:00", anonymous_id="kiosk"),
        dict(event_id="e6", occurred_at="2024-01-01 12:06:00", user_id="u1"),
    ])
    assert rows(con, CUSTOMER_OF) == [
        ("e1", "u1", "shared_after"),
        ("e2", "u1", "user_id"),
        ("e3", "u1", "shared_before"),
        ("e4", "u2", "user_id"),
        ("e5", "u2", "shared_before"),
        ("e6", "u1", "user_id"),
    ]
    assert rows(con, "select customer_id, events from customers order by 1") == [("u1", 4), ("u2", 2)]
    assert rows(
        con,
        "select from_value, to_value, event_id, customer_id, cluster_users, is_ambiguous "
        "from identity_links order by from_value",
    ) == [("u1", "kiosk", "e2", "u1", 2, True), ("u2", "kiosk", "e4", "u2", 2, True)]


def test_shared_inbox_known_only_from_profiles_goes_to_the_smallest_user():
    con = build(
        [dict(event_id="n1", occurred_at="2024-01-01 09:00:00", email="team@x.com",
              source="mail", channel="email", event_type="open")],
        profiles=[dict(user_id="u2", email="team@x.com"), dict(user_id="u1", email="team@x.com")],
    )
    assert rows(con, CUSTOMER_OF) == [("n1", "u1", "shared_profile")]
    assert rows(con, "select customer_id, is_ambiguous, link_source from identity_links "
                     "order by from_value") == [(None, True, "profile"), (None, True, "profile")]


def test_email_in_mixed_case_links_email_events_to_the_user_via_a_profile():
    # The reader normalised 'Ann@Example.COM ' to 'ann@example.com' before staging.
    con = build(
        [
            dict(event_id="w1", occurred_at="2024-01-01 10:00:00", user_id="u7"),
            dict(event_id="m1", occurred_at="2024-01-05 08:00:00", email="ann@example.com",
                 source="mail", channel="email", event_type="open"),
        ],
        profiles=[
            dict(user_id="u7", email="ann@example.com",
                 attributes={"persona": "researcher", "segment": "smb"}),
            dict(user_id="u7", attributes={"segment": "enterprise", "plan": None}),
            dict(user_id="u8", email="bob@example.com", attributes={"persona": "buyer"}),
        ],
    )
    assert rows(con, CUSTOMER_OF) == [("m1", "u7", "cluster"), ("w1", "u7", "user_id")]
    # Later profile rows win; a null never overrides; u8 has no events: not a customer.
    assert rows(con, CUSTOMERS) == [
        ("u7", "u7", 2, 2, 2, json.dumps({"persona": "researcher", "segment": "enterprise"},
                                           separators=(",", ":"))),
    ]
    assert rows(
        con,
        "select from_value, to_value, link_source, source, source_line, links, customer_id "
        "from identity_links order by from_value",
    ) == [
        ("u7", "ann@example.com", "profile", "crm", 1, 1, None),
        ("u8", "bob@example.com", "profile", "crm", 3, 1, None),
    ]


def test_a_user_known_only_through_a_profile_gets_its_attributes():
    con = build(
        [dict(event_id="m1", occurred_at="2024-01-05 08:00:00", email="ann@example.com",
              source="mail", channel="email", event_type="open")],
        profiles=[dict(user_id="u7", email="ann@example.com", attributes={"persona": "buyer"})],
    )
    assert rows(con, CUSTOMERS) == [("u7", "u7", 1, 1, 2, '{"persona":"buyer"}')]


def test_identifiers_are_typed_and_clusters_are_transitive():
    con = build([
        dict(event_id="a1", occurred_at="2024-01-01 10:00:00", user_id="x"),
        dict(event_id="a2", occurred_at="2024-01-01 10:00:00", anonymous_id="x"),
        # c1 - e@x.com - c2: one anonymous customer, named after its smallest identifier.
        dict(event_id="b1", occurred_at="2024-01-01 10:00:00", anonymous_id="c2", email="e@x.com"),
        dict(event_id="b2", occurred_at="2024-01-01 11:00:00", anonymous_id="c1", email="e@x.com"),
        dict(event_id="b3", occurred_at="2024-01-01 12:00:00", anonymous_id="c2"),
    ])
    assert rows(con, CUSTOMER_OF) == [
        ("a1", "x", "user_id"),
        ("a2", anon_id("anonymous_id:x"), "anonymous"),
        ("b1", anon_id("anonymous_id:c1"), "anonymous"),
        ("b2", anon_id("anonymous_id:c1"), "anonymous"),
        ("b3", anon_id("anonymous_id:c1"), "anonymous"),
    ]
    assert rows(con, "select customer_id, identifiers from customers order by 1") == sorted([
        (anon_id("anonymous_id:x"), 1), (anon_id("anonymous_id:c1"), 3), ("x", 1),
    ])


def test_a_long_chain_of_links_is_one_cluster():
    n = 40  # c0 - m0 - c1 - m1 - ... : label propagation needs many rounds
    events = []
    for i in range(n):
        events.append(dict(event_id=f"a{i:02}", occurred_at="2024-01-01 10:00:00",
                           anonymous_id=f"c{i:02}", email=f"m{i:02}@x"))
        events.append(dict(event_id=f"b{i:02}", occurred_at="2024-01-01 10:00:00",
                           anonymous_id=f"c{i + 1:02}", email=f"m{i:02}@x"))
    events.append(dict(event_id="z", occurred_at="2024-01-02 10:00:00", anonymous_id="c40",
                       user_id="u1"))
    random.Random(1).shuffle(events)
    con = build(events)
    assert rows(con, "select distinct customer_id from events") == [("u1",)]


# ----------------------------------------------------------------------- properties

USERS = st.sampled_from([None, None, "u1", "u2", "u3"])
COOKIES = st.sampled_from([None, "c1", "c2", "c3", "c4"])
EMAILS = st.sampled_from([None, None, "a@x", "b@x"])


@st.composite
def timelines(draw):
    n = draw(st.integers(1, 14))
    events = []
    for i in range(n):
        ids = {"user_id": draw(USERS), "anonymous_id": draw(COOKIES), "email": draw(EMAILS)}
        if not any(ids.values()):
            ids["anonymous_id"] = "c1"
        events.append(dict(
            event_id=f"e{i:02}", source=draw(st.sampled_from(["web", "app"])),
            occurred_at=f"2024-01-01 10:{draw(st.integers(0, 59)):02}:00", **ids,
        ))
    profiles = draw(st.lists(
        st.fixed_dictionaries({"user_id": USERS, "email": EMAILS, "anonymous_id": COOKIES}),
        max_size=3,
    ))
    return events, profiles


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_every_event_has_one_customer_and_user_ids_never_share_one(timeline):
    events, profiles = timeline
    con = build(events, profiles)
    assert rows(con, "select count(*), count(distinct event_id) from events") == [(len(events),) * 2]
    assert rows(con, "select count(*) from events where customer_id is null") == [(0,)]
    # An event with a user_id belongs to it; no customer holds two user_ids.
    assert rows(con, "select count(*) from events where customer_id <> user_id") == [(0,)]
    assert rows(con, "select count(*) from (select customer_id from events where user_id "
                     "is not null group by 1 having count(distinct user_id) > 1)") == [(0,)]
    # customers agrees with events.
    assert rows(con, "select sum(events) from customers") == [(len(events),)]
    assert rows(con, "select count(*) from customers where user_id is not null "
                     "and user_id <> customer_id") == [(0,)]
    # Every event's identifier links to its customer when the cluster is unambiguous.
    assert rows(con, """
        select count(*) from events e join identity_links l
          on l.to_value in (e.anonymous_id, e.email) and l.from_type = 'user_id'
        where e.user_id is null and not l.is_ambiguous and e.customer_id <> l.from_value
    """) == [(0,)]
