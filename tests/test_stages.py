"""Stages (CONTRACT.md section 4): first matching rule, carry-forward, `after`, bounds."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest_inference import build, make_config, rows

STAGES = "select event_id, stage, stage_index, matched_rule from events order by customer_id, event_index"


def stages_of(con):
    return rows(con, STAGES)


def test_an_event_matching_two_rules_takes_the_first():
    config = make_config(rules=[
        {"stage": "decision", "event_type": "pricing_*"},
        {"stage": "consideration", "event_type": "pricing_view"},
    ])
    con = build([dict(event_id="e1", occurred_at="2024-01-01 10:00:00", user_id="u1",
                      event_type="pricing_view")], config=config)
    assert stages_of(con) == [("e1", "decision", 2, 0)]


def test_unmatched_first_event_is_the_first_stage_and_later_ones_carry_forward():
    con = build([
        dict(event_id="e1", occurred_at="2024-01-01 10:00:00", user_id="u1", url="/blog/a"),
        dict(event_id="e2", occurred_at="2024-01-01 10:01:00", user_id="u1",
             url="https://shop.io/pricing?plan=pro"),
        dict(event_id="e3", occurred_at="2024-01-01 10:02:00", user_id="u1", url="/blog/b"),
        dict(event_id="e4", occurred_at="2024-01-01 10:03:00", user_id="u1",
             url="https://shop.io/pricing", channel="app"),  # the rule wants channel web
    ])
    assert stages_of(con) == [
        ("e1", "awareness", 0, None),
        ("e2", "consideration", 1, 1),
        ("e3", "consideration", 1, None),
        ("e4", "consideration", 1, None),
    ]


def test_after_rule_makes_a_repeat_order_retention_and_a_first_order_a_purchase():
    con = build([
        dict(event_id="a1", occurred_at="2024-01-01 10:00:00", user_id="u1", url="/pricing"),
        dict(event_id="a2", occurred_at="2024-01-02 10:00:00", user_id="u1", event_type="order"),
        dict(event_id="a3", occurred_at="2024-01-03 10:00:00", user_id="u1", url="/blog"),
        dict(event_id="a4", occurred_at="2024-01-04 10:00:00", user_id="u1", event_type="order"),
        # two orders at the same instant: source 'pos' sorts before 'web'
        dict(event_id="b2", occurred_at="2024-01-01 10:00:00", user_id="u2", event_type="order"),
        dict(event_id="b1", occurred_at="2024-01-01 10:00:00", user_id="u2", event_type="order",
             source="pos", channel="store"),
    ])
    assert stages_of(con) == [
        ("a1", "consideration", 1, 1),
        ("a2", "purchase", 3, 3),
        ("a3", "purchase", 3, None),
        ("a4", "retention", 4, 2),
        ("b1", "purchase", 3, 3),
        ("b2", "retention", 4, 2),
    ]
    assert rows(con, "select customer_id, furthest_stage, furthest_stage_index, converted "
                     "from customers order by 1") == [
        ("u1", "retention", 4, True), ("u2", "retention", 4, True)]


def test_after_rules_enable_each_other_in_order():
    config = make_config(rules=[
        {"stage": "decision", "event_type": "demo", "after": "consideration"},
        {"stage": "purchase", "event_type": "contract", "after": "decision"},
        {"stage": "consideration", "event_type": "pricing"},
    ])
    types = ["contract", "demo", "pricing", "contract", "demo", "contract"]
    con = build([dict(event_id=f"e{i}", occurred_at=f"2024-01-0{i + 1} 10:00:00", user_id="u1",
                      event_type=t) for i, t in enumerate(types)], config=config)
    assert stages_of(con) == [
        ("e0", "awareness", 0, None),
        ("e1", "awareness", 0, None),
        ("e2", "consideration", 1, 2),
        ("e3", "consideration", 1, None),
        ("e4", "decision", 2, 0),
        ("e5", "purchase", 3, 1),
    ]


def test_an_earlier_after_rule_may_lower_the_stage_and_furthest_stays():
    config = make_config(rules=[
        {"stage": "consideration", "event_type": "visit", "after": "decision"},
        {"stage": "purchase", "event_type": "visit"},
    ])
    con = build([dict(event_id=f"e{i}", occurred_at=f"2024-01-0{i + 1} 10:00:00", user_id="u1",
                      event_type="visit") for i in range(3)], config=config)
    assert stages_of(con) == [
        ("e0", "purchase", 3, 1), ("e1", "consideration", 1, 0), ("e2", "consideration", 1, 0),
    ]
    assert rows(con, "select furthest_stage, converted from customers") == [("purchase", True)]


def test_after_the_first_stage_matches_every_event_but_the_first():
    config = make_config(rules=[{"stage": "retention", "event_type": "visit", "after": "awareness"}])
    con = build([dict(event_id=f"e{i}", occurred_at=f"2024-01-0{i + 1} 10:00:00", user_id="u1",
                      event_type="visit") for i in range(2)], config=config)
    assert stages_of(con) == [("e0", "awareness", 0, None), ("e1", "retention", 4, 0)]


def test_min_max_score_rule_nps_9_to_10_is_advocacy():
    scores = [9, 10, 8, None, 10.5, 9.0]
    con = build([dict(event_id=f"e{i}", occurred_at=f"2024-01-0{i + 1} 10:00:00", user_id="u1",
                      event_type="nps", score=s) for i, s in enumerate(scores)])
    assert stages_of(con) == [
        ("e0", "advocacy", 5, 4),
        ("e1", "advocacy", 5, 4),
        ("e2", "advocacy", 5, None),
        ("e3", "advocacy", 5, None),
        ("e4", "advocacy", 5, None),
        ("e5", "advocacy", 5, 4),
    ]
    con = build([dict(event_id="e0", occurred_at="2024-01-01 10:00:00", user_id="u1",
                      event_type="nps", score=8)])
    assert stages_of(con) == [("e0", "awareness", 0, None)]


def test_properties_fields_match_globs_and_bounds():
    config = make_config(rules=[
        {"stage": "purchase", "min": {"properties.cart.total": 100}},
        {"stage": "decision", "match": {"properties.plan": ["pro*", "team"]}},
    ])
    props = [{"plan": "pro-annual"}, {"plan": "Pro"}, {"cart": {"total": "120"}},
             {"cart": {"total": 99.5}}, {"cart": {"total": "abc"}}, {"plan": "team"}, None]
    con = build([dict(event_id=f"u{i}", occurred_at="2024-01-01 10:00:00", user_id=f"u{i}",
                      properties=p) for i, p in enumerate(props)], config=config)
    assert stages_of(con) == [
        ("u0", "decision", 2, 1),
        ("u1", "awareness", 0, None),  # GLOB is case-sensitive
        ("u2", "purchase", 3, 0),
        ("u3", "awareness", 0, None),
        ("u4", "awareness", 0, None),
        ("u5", "decision", 2, 1),
        ("u6", "awareness", 0, None),
    ]


def test_custom_stage_order_conversion_and_session_flags():
    config = make_config(order=["visit", "lead", "won"], conversion="lead",
                         rules=[{"stage": "lead", "event_type": "signup"},
                                {"stage": "won", "event_type": "deal"}])
    con = build([
        dict(event_id="e1", occurred_at="2024-01-01 10:00:00", user_id="u1"),
        dict(event_id="e2", occurred_at="2024-01-02 10:00:00", user_id="u1", event_type="signup"),
        dict(event_id="e3", occurred_at="2024-01-03 10:00:00", user_id="u1"),
        dict(event_id="f1", occurred_at="2024-01-01 10:00:00", user_id="u2"),
    ], config=config)
    assert rows(con, "select customer_id, session_index, furthest_stage, furthest_stage_index, "
                     "is_converted, is_conversion_session from sessions order by 1, 2") == [
        ("u1", 1, "visit", 0, False, False),
        ("u1", 2, "lead", 1, True, True),
        ("u1", 3, "lead", 1, True, False),
        ("u2", 1, "visit", 0, False, False),
    ]
    assert rows(con, "select customer_id, furthest_stage, converted from customers order by 1") == [
        ("u1", "lead", True), ("u2", "visit", False)]
    assert rows(con, "select rule_index, stage, condition_groups from cfg_stage_rules") == [
        (0, "lead", 1), (1, "won", 1)]


# ----------------------------------------------------------------------- properties

ORDER = ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")
TYPES = ["visit", "order", "nps", "demo"]


@st.composite
def rule_sets(draw):
    rules = []
    for _ in range(draw(st.integers(0, 5))):
        rule = {"stage": draw(st.sampled_from(ORDER)),
                "event_type": draw(st.sampled_from([*TYPES, "*", "[dn]*"]))}
        if draw(st.booleans()):
            rule["after"] = draw(st.sampled_from(ORDER))
        if draw(st.integers(0, 3)) == 0:
            rule["min"] = {"score": draw(st.sampled_from([0, 5, 9]))}
        if draw(st.integers(0, 3)) == 0:
            rule["channel"] = draw(st.sampled_from(["web", "email"]))
        if draw(st.integers(0, 4)) == 0:
            rule["match"] = {"properties.tier": "gold"}
        rules.append(rule)
    return rules


@st.composite
def timelines(draw):
    events = []
    for i in range(draw(st.integers(1, 14))):
        events.append(dict(
            event_id=f"e{i:02}",
            user_id=draw(st.sampled_from(["u1", "u2"])),
            channel=draw(st.sampled_from(["web", "email"])),
            event_type=draw(st.sampled_from(TYPES)),
            score=draw(st.sampled_from([None, 3.0, 9.0])),
            properties=draw(st.sampled_from([None, {"tier": "gold"}])),
            occurred_at=f"2024-01-01 10:{draw(st.integers(0, 20)):02}:00",
        ))
    return events


def _matches(rule, event) -> bool:
    if rule.channel is not None and event["channel"] not in rule.channel:
        return False
    if rule.event_type is not None and not any(
        fnmatchcase(event["event_type"], p) for p in rule.event_type
    ):
        return False
    for column, bound in rule.min.items():
        if event.get(column) is None or event[column] < bound:
            return False
    for column, globs in rule.match.items():
        value = (json.loads(event["properties"]) if event["properties"] else {}).get(
            column.split(".", 1)[1])
        if value is None or not any(fnmatchcase(str(value), g) for g in globs):
            return False
    return True


def reference_stages(events, rules):
    """A plain sequential reading of the definition, one customer at a time."""
    out = {}
    for customer in sorted({e["customer_id"] for e in events}):
        furthest = None  # None: no events before
        previous = None
        for event in sorted((e for e in events if e["customer_id"] == customer),
                            key=lambda e: e["event_index"]):
            matched = next((r for r in rules if (r.after_index is None or (
                furthest is not None and furthest >= r.after_index)) and _matches(r, event)), None)
            stage = matched.stage_index if matched else (previous if previous is not None else 0)
            out[event["event_id"]] = (stage, matched.index if matched else None)
            previous = stage
            furthest = stage if furthest is None else max(furthest, stage)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets(), timelines())
def test_stages_agree_with_a_sequential_reading_of_the_definition(rules, events):
    config = make_config(rules=rules)
    con = build(events, config=config)
    cur = con.execute("select event_id, customer_id, event_index, channel, event_type, score, "
                      "properties::varchar as properties, stage_index, matched_rule from events")
    names = [d[0] for d in cur.description]
    built = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    expected = reference_stages(built, config.stages.rules)
    assert {e["event_id"]: (e["stage_index"], e["matched_rule"]) for e in built} == expected
    # The first event of each customer is in stage 0 unless a rule without `after` matches.
    assert rows(con, """
        select count(*) from events e left join cfg_stage_rules r on r.rule_index = e.matched_rule
        where e.event_index = 1 and not (
            (e.matched_rule is null and e.stage_index = 0)
            or (e.matched_rule is not null and r.after_index is null))
    """) == [(0,)]
