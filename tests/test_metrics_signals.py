"""Signal marts (issue 8, items 5-7): emotions, pain_points, attribution.

Golden tests on tiny hand-built journeys with hand-computed answers, the published Markov
examples, invariants (credits add up to the conversions; identical under shuffled input and
on a re-run) and the sample's five planted pain points found without being named.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from collections import Counter

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journey_mining import pipeline
from journey_mining.config import load_config, parse_config, sample_config_path
from journey_mining.inference import build_journeys
from journey_mining.metrics.attribution import attribution, markov_credits
from journey_mining.metrics.emotions import emotions
from journey_mining.metrics.pain_points import pain_points
from journey_mining.metrics.signals import SIGNAL_MARTS, build_signal_metrics

from .conftest_inference import connect, make_stg
from .helpers import GOLDEN, assert_golden, normalize

SIGNAL_TABLES = {
    "emotions": "level, name",
    "pain_points": "touchpoint, segment",
    "attribution": "level, name, model",
}


def _config(order, rules, **metrics):
    return parse_config(
        {"sources": [{"name": "web", "path": "web/*.csv"}],
         "stages": {"order": order, "conversion": order[-1] if len(order) > 1 else order[0],
                    "rules": rules},
         "metrics": metrics},
        sample_config_path().parent,
    )


def _run(events, config, shuffle_seed=None):
    con = connect()
    rows = list(events)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    make_stg(con, rows)
    build_journeys(con, config)
    return con


def _table(con, name):
    return con.sql(f"select * from {name} order by {SIGNAL_TABLES[name]}").df()


# --------------------------------------------------------------------------- attribution

def test_markov_analyzecore_2016_example():
    # analyzecore.com/2016/08/03/attribution-model-r-part-1/: C1 > C2 > C3 converts, C1 and
    # C2 > C3 do not. P(conv) = 2/3*1/2*1*1/2 + 1/3*1*1/2 = 1/3; without C1 only the C2 path
    # remains (1/6): RE = 1/2; without C2 or C3 nothing converts: RE = 1. 0.5/1/1 of 1 conversion.
    credits = markov_credits([
        ("(start)", "C1", 2), ("(start)", "C2", 1), ("C1", "C2", 1), ("C1", "(null)", 1),
        ("C2", "C3", 2), ("C3", "(conversion)", 1), ("C3", "(null)", 1),
    ])
    assert {k: round(v[0], 12) for k, v in credits.items()} == {"C1": 0.2, "C2": 0.4, "C3": 0.4}
    assert {k: round(v[1], 12) for k, v in credits.items()} == {"C1": 0.5, "C2": 1.0, "C3": 1.0}


def test_markov_removal_effect_example_two_channels():
    # serhiipuzyrov.com (2019) "simple explanation of removal effect": google ads x2 conv,
    # mailing conv, google ads > mailing conv, google ads null. P = 0.8*(0.5+0.25) + 0.2 = 0.8;
    # without ads 0.2 (RE 0.75), without mailing 0.8*0.5 = 0.4 (RE 0.5): 4 * 0.75/1.25 = 2.4.
    credits = markov_credits([
        ("(start)", "ads", 4), ("(start)", "mail", 1), ("ads", "(conversion)", 2),
        ("ads", "mail", 1), ("ads", "(null)", 1), ("mail", "(conversion)", 2),
    ])
    assert {k: round(v[0], 12) for k, v in credits.items()} == {"ads": 2.4, "mail": 1.6}


def test_markov_loops_and_no_conversions():
    # A > B > A > conv and B > null: a loop between A and B. P(conv) from start: from A:
    # a = 1/2*1 (A->conv) + 1/2*b, b = 1/2*a (B->A) + 1/2*0 -> a = 2/3; start -> A 1/2, -> B 1/2:
    # P = 1/2*2/3 + 1/2*1/3 = 1/2. Without A: 0 (RE 1); without B: 1/2*1/2 = 1/4 (RE 1/2).
    credits = markov_credits([
        ("(start)", "A", 1), ("(start)", "B", 1), ("A", "B", 1), ("B", "A", 1),
        ("A", "(conversion)", 1), ("B", "(null)", 1),
    ])
    assert {k: round(v[0], 12) for k, v in credits.items()} == {"A": 0.666666666667, "B": 0.333333333333}
    assert markov_credits([("(start)", "A", 3), ("A", "(null)", 3)]) == {"A": (0.0, 0.0)}


ANALYZECORE_EVENTS = [
    # a: C1 > C2 > C2 > C3 > purchase (the repeat collapses): converted path C1 > C2 > C3
    {"event_id": "a1", "user_id": "a", "occurred_at": "2026-01-01 10:00:00", "touchpoint": "C1"},
    {"event_id": "a2", "user_id": "a", "occurred_at": "2026-01-01 10:01:00", "touchpoint": "C2"},
    {"event_id": "a3", "user_id": "a", "occurred_at": "2026-01-01 10:02:00", "touchpoint": "C2"},
    {"event_id": "a4", "user_id": "a", "occurred_at": "2026-01-02 10:00:00", "touchpoint": "C3"},
    {"event_id": "a5", "user_id": "a", "occurred_at": "2026-01-02 10:01:00", "event_type": "purchase",
     "touchpoint": "buy"},
    {"event_id": "a6", "user_id": "a", "occurred_at": "2026-01-02 10:02:00", "touchpoint": "C1"},
    # b: C1 (not converted); c: C2 > C3 (not converted)
    {"event_id": "b1", "user_id": "b", "occurred_at": "2026-01-01 09:00:00", "touchpoint": "C1"},
    {"event_id": "c1", "user_id": "c", "occurred_at": "2026-01-01 09:00:00", "touchpoint": "C2"},
    {"event_id": "c2", "user_id": "c", "occurred_at": "2026-01-03 09:00:00", "touchpoint": "C3"},
]
ANALYZECORE_CONFIG = dict(order=["visit", "purchase"], rules=[{"stage": "purchase", "event_type": "purchase"}])


def test_attribution_mart_golden_analyzecore_journeys():
    con = _run(ANALYZECORE_EVENTS, _config(**ANALYZECORE_CONFIG))
    actual = con.sql(
        "select level, name, model, credit, share, conversions from attribution "
        "order by level, name, model").df()
    assert_golden(normalize(actual), GOLDEN / "metrics" / "attribution_analyzecore.csv")
    markov = attribution(con, level="touchpoint", model="markov")
    assert markov[["name", "credit"]].values.tolist() == [["C2", 0.4], ["C3", 0.4], ["C1", 0.2]]


def test_attribution_first_event_converts_and_position_based_middle():
    # d buys first (one-step path: the purchase's own touchpoint); e: P > Q > R > S > buy:
    # position-based 0.4 / 0.1 / 0.1 / 0.4
    events = [
        {"event_id": "d1", "user_id": "d", "occurred_at": "2026-01-01 10:00:00",
         "event_type": "purchase", "touchpoint": "buy"},
        *[{"event_id": f"e{i}", "user_id": "e", "occurred_at": f"2026-01-01 1{i}:00:00", "touchpoint": t}
          for i, t in enumerate("PQRS")],
        {"event_id": "e9", "user_id": "e", "occurred_at": "2026-01-01 19:00:00",
         "event_type": "purchase", "touchpoint": "buy"},
    ]
    con = _run(events, _config(**ANALYZECORE_CONFIG))
    got = dict(con.execute(
        "select name, credit from attribution where level = 'touchpoint' and model = 'position_based'"
    ).fetchall())
    assert got == {"buy": 1.0, "P": 0.4, "Q": 0.1, "R": 0.1, "S": 0.4}


# --------------------------------------------------------------------------- emotions

EMOTION_EVENTS = [
    {"event_id": "s1", "user_id": "u1", "channel": "support", "source": "desk", "event_type": "csat_rated",
     "occurred_at": "2026-01-01 10:00:00", "score": 1.0},
    {"event_id": "s2", "user_id": "u1", "channel": "support", "source": "desk", "event_type": "csat_rated",
     "occurred_at": "2026-01-01 10:01:00", "score": 0.0},
    {"event_id": "s3", "user_id": "u1", "channel": "support", "source": "desk", "event_type": "ticket_reply",
     "occurred_at": "2026-01-01 10:02:00", "text": "Terrible, awful, broken."},
    {"event_id": "n1", "user_id": "u2", "event_type": "nps_response", "occurred_at": "2026-01-01 10:00:00", "score": 0.0},
    {"event_id": "n2", "user_id": "u2", "event_type": "nps_response", "occurred_at": "2026-01-01 10:01:00", "score": 5.0},
    {"event_id": "n3", "user_id": "u2", "event_type": "nps_response", "occurred_at": "2026-01-01 10:02:00", "score": 10.0},
    {"event_id": "r1", "user_id": "u3", "event_type": "review_submitted", "occurred_at": "2026-01-01 10:00:00", "score": 1.0},
    {"event_id": "r2", "user_id": "u3", "event_type": "review_submitted", "occurred_at": "2026-01-01 10:01:00", "score": 3.0},
    {"event_id": "r3", "user_id": "u3", "event_type": "review_submitted", "occurred_at": "2026-01-01 10:02:00", "score": 5.0,
     "text": "I love it"},
    {"event_id": "m1", "user_id": "u4", "channel": "email", "source": "mail", "event_type": "email_unsubscribe",
     "occurred_at": "2026-01-01 10:00:00"},
    {"event_id": "m2", "user_id": "u4", "channel": "email", "source": "mail", "event_type": "email_bounce",
     "occurred_at": "2026-01-01 10:01:00"},
    {"event_id": "w1", "user_id": "u4", "event_type": "page_view", "occurred_at": "2026-01-01 11:00:00",
     "url": "https://x.test/"},
]


def test_emotions_golden_mappings():
    con = _run(EMOTION_EVENTS, _config(["all"], []))
    by_tp = {r[0]: r[1:] for r in con.execute(
        "select name, signals, mean_emotion, share_negative, texts, scores, behaviours "
        "from emotions where level = 'touchpoint'").fetchall()}
    # csat 1/0 -> +1/-1; the agent's reply (ticket_reply) is not a customer's emotion
    assert by_tp["support:csat_rated"] == (2, 0.0, 0.5, 0, 2, 0)
    assert "support:ticket_reply" not in by_tp
    # NPS 0/5/10 -> -1/0/+1
    assert by_tp["web:nps_response"] == (3, 0.0, pytest.approx(1 / 3), 0, 3, 0)
    # ratings 1/3/5 -> -1/0/+1, plus VADER's 0.6369 for "I love it"
    assert by_tp["web:review_submitted"] == (4, pytest.approx(0.6369 / 4), 0.25, 1, 3, 0)
    assert by_tp["email:email_unsubscribe"] == (1, -1.0, 1.0, 0, 0, 1)
    assert by_tp["email:email_bounce"] == (1, -0.5, 1.0, 0, 0, 1)
    assert "web:page_view:/" not in by_tp
    stage = con.execute("select name, stage_index, signals, mean_emotion, share_negative "
                        "from emotions where level = 'stage'").fetchall()
    assert stage == [("all", 0, 11, pytest.approx((0.6369 - 1.5) / 11), pytest.approx(5 / 11))]


def test_emotions_curve_has_every_stage_in_order():
    con = _run(EMOTION_EVENTS, _config(["a", "b", "c"], [{"stage": "c", "event_type": "review_submitted"}]))
    got = emotions(con, by="stage")[["name", "stage_index", "signals"]].values.tolist()
    assert got == [["a", 0, 7], ["b", 1, 0], ["c", 2, 4]]


# --------------------------------------------------------------------------- pain points

PAIN_EVENTS = [
    # p1 reaches /pay and leaves; a ticket follows 2 h later and is rated bad
    {"event_id": "p1a", "user_id": "p1", "occurred_at": "2026-01-01 10:00:00", "url": "https://x.test/a"},
    {"event_id": "p1b", "user_id": "p1", "occurred_at": "2026-01-01 10:01:00", "url": "https://x.test/pay"},
    {"event_id": "p1t", "user_id": "p1", "channel": "support", "source": "desk", "event_type": "ticket_created",
     "occurred_at": "2026-01-01 12:01:00", "properties": {"ticket_id": "t1", "topic": "pay"}},
    {"event_id": "p1r", "user_id": "p1", "channel": "support", "source": "desk", "event_type": "csat_rated",
     "occurred_at": "2026-01-02 12:00:00", "score": 0.0, "properties": {"ticket_id": "t1", "topic": "pay"}},
    # p2 pays and buys
    {"event_id": "p2a", "user_id": "p2", "occurred_at": "2026-01-01 10:00:00", "url": "https://x.test/a"},
    {"event_id": "p2b", "user_id": "p2", "occurred_at": "2026-01-01 10:01:00", "url": "https://x.test/pay"},
    {"event_id": "p2c", "user_id": "p2", "occurred_at": "2026-01-01 10:02:00", "event_type": "purchase"},
    # p3 leaves on /a; p4 loops /a /b /a /b /a (three runs of /a) and leaves on /a
    {"event_id": "p3a", "user_id": "p3", "occurred_at": "2026-01-01 10:00:00", "url": "https://x.test/a"},
    *[{"event_id": f"p4{i}", "user_id": "p4", "occurred_at": f"2026-01-01 10:0{i}:00",
       "url": f"https://x.test/{'ab'[i % 2]}"} for i in range(5)],
]


def test_pain_points_golden_signals():
    config = _config(["visit", "purchase"], [{"stage": "purchase", "event_type": "purchase"}],
                     min_touchpoint_volume=2, support_window_hours=24)
    con = _run(PAIN_EVENTS, config)
    cols = ("sessions, exit_sessions, exit_rate, peer_exit_rate, repeat_sessions, support_sessions, "
            "followed_tickets, rated_tickets, bad_rated_tickets, is_ranked")
    got = {r[0]: r[1:] for r in con.execute(
        f"select touchpoint, {cols} from pain_points where segment is null").fetchall()}
    # web touchpoints of stage 'visit': /a 4 sessions (2 exits), /pay 2 (1), /b 1 (0): 3/7
    assert got["web:page_view:/a"] == (4, 2, 0.5, 3 / 7, 1, 1, 1, 1, 1, True)
    assert got["web:page_view:/pay"] == (2, 1, 0.5, 3 / 7, 0, 1, 1, 1, 1, True)
    assert got["web:page_view:/b"][:6] == (1, 0, 0.0, 3 / 7, 0, 0)
    assert got["web:page_view:/b"][-1] is False  # 1 session < min_touchpoint_volume 2
    # the ticket's topic is a segment of the support touchpoints ([metrics] segment_by)
    segments = con.execute("select touchpoint, segment, sessions from pain_points "
                           "where segment is not null order by all").fetchall()
    assert segments == [("support:csat_rated", "topic=pay", 1), ("support:ticket_created", "topic=pay", 1)]
    # the window: at 1 h the ticket (2 h after /pay) no longer follows it
    con = _run(PAIN_EVENTS, dataclasses.replace(
        config, metrics=dataclasses.replace(config.metrics, support_window_hours=1.0)))
    assert con.execute("select sum(support_sessions) from pain_points where segment is null").fetchone()[0] == 0


def test_pain_points_reason_and_unranked_rows():
    config = _config(["visit", "purchase"], [{"stage": "purchase", "event_type": "purchase"}],
                     min_touchpoint_volume=2, support_window_hours=24)
    df = pain_points(_run(PAIN_EVENTS, config), ranked_only=False)
    assert df["rank"].dropna().tolist() == list(range(1, df["rank"].notna().sum() + 1))
    unranked = df[df.touchpoint == "web:page_view:/b"].iloc[0]
    assert unranked.reason == "not ranked: 1 sessions, fewer than the minimum of 2"
    assert df.reason.str.len().gt(0).all()


# --------------------------------------------------------------------------- invariants

@pytest.mark.parametrize("events, cfg", [
    (ANALYZECORE_EVENTS, ANALYZECORE_CONFIG),
    (PAIN_EVENTS, dict(order=["visit", "purchase"], rules=[{"stage": "purchase", "event_type": "purchase"}])),
    (EMOTION_EVENTS, dict(order=["all"], rules=[])),
])
def test_signal_marts_identical_under_shuffled_input_and_rerun(events, cfg):
    config = _config(**cfg, min_touchpoint_volume=1)
    base = _run(events, config)
    expected = {name: _table(base, name) for name in SIGNAL_MARTS}
    build_signal_metrics(base, config)  # re-run on the same connection
    for seed in (1, 2):
        shuffled = _run(events, config, shuffle_seed=seed)
        for name in SIGNAL_MARTS:
            pd.testing.assert_frame_equal(_table(shuffled, name), expected[name])
            pd.testing.assert_frame_equal(_table(base, name), expected[name])


def test_no_intermediate_tables_left():
    con = _run(ANALYZECORE_EVENTS, _config(**ANALYZECORE_CONFIG))
    names = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert not {n for n in names if n.startswith(("int_sentiment", "int_pain", "int_attribution"))}
    assert set(SIGNAL_MARTS) <= names



# --------------------------------------------------------------------------- the sample

@pytest.fixture(scope="module")
def sample_wh(tmp_path_factory):
    out = tmp_path_factory.mktemp("signals")
    cfg = load_config(sample_config_path(), output_base=out)
    result = pipeline.run_pipeline(cfg)
    yield result.warehouse, cfg


def test_sample_five_planted_pain_points_in_the_top_ranks(sample_wh):
    warehouse, _ = sample_wh
    ranking = pain_points(warehouse)
    with pd.option_context("display.width", 300, "display.max_colwidth", 120, "display.max_columns", 10):
        print(ranking[["rank", "touchpoint", "segment", "stage", "sessions", "score", "reason"]].head(15))
    top = ranking[ranking["rank"] <= 10]

    def found(touchpoint=None, segment=None):
        hit = top
        if touchpoint:
            hit = hit[hit.touchpoint.str.fullmatch(touchpoint)]
        if segment:
            hit = hit[hit.segment == segment]
        return len(hit) > 0

    assert found("web:page_view:/checkout/payment")  # 1: the payment step
    assert found("web:page_view:/(pricing|compare)")  # 2: the pricing <-> compare loop
    assert found("support:.*", "topic=checkout_error")  # 3: the angry checkout-error tickets
    assert found("email:.*", "campaign=daily_deals_blast")  # 4: the unsubscribe-heavy campaign
    assert found("web:review_submitted", "category=footwear")  # 5: the footwear reviews
    payment = ranking[ranking.touchpoint == "web:page_view:/checkout/payment"].iloc[0]
    assert payment.exit_sessions == 547 and payment.sessions == 1193  # docs/sample-data.md


def test_sample_credits_add_up_to_the_conversions(sample_wh):
    warehouse, _ = sample_wh
    con = duckdb.connect(str(warehouse), read_only=True)
    sums = con.execute("select level, model, sum(credit), min(conversions), max(conversions) "
                       "from attribution group by all").fetchall()
    assert len(sums) == 10
    for level, model, total, low, high in sums:
        assert low == high == 557, (level, model)  # converted customers (docs/sample-data.md)
        assert total == pytest.approx(557, abs=1e-6), (level, model)
    curve = emotions(con, by="stage")
    assert curve.stage_index.tolist() == list(range(6))
    assert curve.set_index("name").loc["advocacy", "mean_emotion"] > 0.5
    assert curve.set_index("name").loc["decision", "mean_emotion"] < 0
    con.close()


def test_sample_signal_marts_identical_on_a_rerun(sample_wh, tmp_path):
    warehouse, cfg = sample_wh
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("set TimeZone = 'UTC'")
    before = {name: _table(con, name) for name in SIGNAL_MARTS}
    build_signal_metrics(con, cfg)
    for name in SIGNAL_MARTS:
        pd.testing.assert_frame_equal(_table(con, name), before[name])
    con.close()


def test_segment_by_setting_is_validated_and_can_turn_segments_off():
    from journey_mining.errors import ConfigError

    with pytest.raises(ConfigError, match="metrics.segment_by"):
        _config(["all"], [], segment_by=["url"])
    with pytest.raises(ConfigError, match="metrics.segment_by"):
        _config(["all"], [], segment_by="campaign")
    config = _config(["visit", "purchase"], [{"stage": "purchase", "event_type": "purchase"}],
                     segment_by=[], min_touchpoint_volume=1)
    con = _run(PAIN_EVENTS, config)
    assert con.execute("select count(*) from pain_points where segment is not null").fetchone()[0] == 0

PATHS = st.lists(
    st.tuples(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=6), st.booleans()),
    min_size=1, max_size=25,
)


def _transitions(paths):
    counts = Counter()
    for steps, converted in paths:
        collapsed = [s for i, s in enumerate(steps) if i == 0 or steps[i - 1] != s]
        chain = ["(start)", *collapsed, "(conversion)" if converted else "(null)"]
        counts.update(zip(chain[:-1], chain[1:], strict=True))
    return [(f, t, n) for (f, t), n in counts.items()]


@settings(max_examples=60, deadline=None)
@given(PATHS, st.randoms(use_true_random=False))
def test_markov_credits_add_up_and_ignore_row_order(paths, rnd):
    rows = _transitions(paths)
    conversions = sum(1 for _, converted in paths if converted)
    credits = markov_credits(rows)
    assert all(credit >= 0 and 0 <= effect <= 1 for credit, effect in credits.values())
    assert sum(c for c, _ in credits.values()) == pytest.approx(conversions, abs=1e-9)
    rnd.shuffle(rows)
    again = markov_credits(rows)
    assert again.keys() == credits.keys()
    for name in credits:
        assert again[name][0] == pytest.approx(credits[name][0], abs=1e-9)


def test_every_mart_column_has_a_type_bi_tools_read(sample_wh):
    """count_if/sum over booleans give HUGEINT (int128) in DuckDB, which Parquet readers and
    BI tools handle badly: the marts cast counts to BIGINT."""
    warehouse, _ = sample_wh
    con = duckdb.connect(str(warehouse), read_only=True)
    odd = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where data_type = 'HUGEINT' or data_type like 'DECIMAL%'"
    ).fetchall()
    con.close()
    assert odd == []
