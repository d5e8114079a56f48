"""Path metrics: golden tests on tiny hand-made journeys (tests/metrics_journeys.py, answers
computed by hand in tests/golden/metrics/), an independent directly-follows count on the
real helpdesk log, reconciliation of graph, funnel and drop-off, order and re-run
invariance."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from journey_mining import metrics
from journey_mining.config import SourceConfig, parse_config
from journey_mining.export import export_parquet
from journey_mining.graph import END, START, build_transition_graph, flow_balance
from journey_mining.inference import build_journeys
from journey_mining.ingest import SourcePlan, ingest_source, new_connection
from journey_mining.metrics.paths import PATH_INTERMEDIATE, PATH_MARTS

from .conftest_inference import build, make_stg, rows
from .helpers import GOLDEN, REALDATA
from .metrics_journeys import EVENTS, PROFILES, config

GOLDEN_METRICS = GOLDEN / "metrics"
KEYS = {
    "stage_funnel": ["stage_index"],
    "stage_durations": ["from_stage_index"],
    "stage_transitions": ["from_stage", "to_stage"],
    "touchpoint_transitions": ["from_touchpoint", "to_touchpoint"],
    "drop_off": ["level", "exit_point"],
    "exit_paths": ["level", "exit_point", "path_rank"],
    "journey_variants": ["level", "grain", "variant_rank"],
    "touchpoint_loops": ["touchpoint"],
    "stage_funnel_breakdown": ["dimension_type", "dimension", "value", "stage_index"],
}


def table(con, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    df = con.execute(f"select * from {name}").df()
    df = df[columns] if columns else df
    keys = [k for k in KEYS.get(name, list(df.columns)) if k in df.columns]
    return df.sort_values(keys, na_position="first").reset_index(drop=True)


def golden(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN_METRICS / f"{name}.csv", keep_default_na=False, na_values=[""])


def assert_golden(con, mart: str, name: str | None = None) -> None:
    expected = golden(name or mart)
    got = table(con, mart, list(expected.columns))
    expected = expected.sort_values(KEYS[mart], na_position="first").reset_index(drop=True)
    for column in got.columns:  # nullable integers (NULL stage_index) compare as floats
        if str(got[column].dtype) in ("Int32", "Int64"):
            got[column] = got[column].astype("float64")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-12)


@pytest.fixture(scope="module")
def tiny():
    return build(EVENTS, PROFILES, config())


@pytest.mark.parametrize("mart", [
    "stage_funnel", "stage_durations", "stage_transitions", "touchpoint_transitions",
    "drop_off", "exit_paths", "journey_variants", "touchpoint_loops",
])
def test_golden(tiny, mart):
    assert_golden(tiny, mart)


def test_funnel_breakdown_by_persona_golden(tiny):
    expected = golden("stage_funnel_breakdown_persona")
    got = metrics.funnel(tiny, by="persona")[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_funnel_breakdown_groups_add_up_to_the_funnel(tiny):
    breakdown = table(tiny, "stage_funnel_breakdown")
    assert set(breakdown.dimension) == {"persona", "segment", "first_touch_channel", "acquisition_week"}
    overall = table(tiny, "stage_funnel").set_index("stage_index")
    for _, group in breakdown.groupby("dimension"):
        sums = group.groupby("stage_index")[["customers", "dropped"]].sum()
        pd.testing.assert_frame_equal(sums, overall[["customers", "dropped"]], check_dtype=False, check_index_type=False)
    weeks = breakdown[(breakdown.dimension == "acquisition_week") & (breakdown.stage_index == 0)]
    assert dict(zip(weeks.value, weeks.customers, strict=True)) == {"2024-01-01": 2, "2024-02-26": 2}
    segment = breakdown[(breakdown.dimension == "segment") & (breakdown.stage_index == 4)]
    assert dict(zip(segment.value.fillna("NULL"), segment.customers, strict=True)) == {"NULL": 1, "s1": 1}


def test_breakdown_leaves_out_attributes_with_too_many_values(monkeypatch):
    from journey_mining.metrics import paths

    profiles = [{**p, "attributes": {**p["attributes"], "signed_up_at": p["user_id"]}} for p in PROFILES]
    monkeypatch.setattr(paths, "BREAKDOWN_MAX_VALUES", 2)  # persona: x, y; signed_up_at: a, b, c
    con = build(EVENTS, profiles, config())
    dimensions = {r[0] for r in rows(con, "select distinct dimension from stage_funnel_breakdown")}
    assert dimensions == {"persona", "segment", "first_touch_channel", "acquisition_week"}
    monkeypatch.setattr(paths, "BREAKDOWN_MAX_VALUES", 3)
    con = build(EVENTS, profiles, config())
    assert "signed_up_at" in {r[0] for r in rows(con, "select distinct dimension from stage_funnel_breakdown")}


def test_funnel_window(tiny):
    # a reaches retention 23 h 40 min after purchase: outside a 12-hour window, so a counts
    # up to purchase only; d reaches every stage with one event (0 s) and stays at advocacy.
    con = build(EVENTS, PROFILES, config(funnel_window_days=0.5))
    assert_golden(con, "stage_funnel", "stage_funnel_window")
    # a window wider than every gap gives the contract's funnel
    wide = build(EVENTS, PROFILES, config(funnel_window_days=1.0))
    pd.testing.assert_frame_equal(table(wide, "stage_funnel"), table(tiny, "stage_funnel"))


def test_inactive_after_days_moves_gone_quiet_customers(tiny):
    # b's last event is 60 days before the latest event (c's): inactive at 30 days, active at 61
    con = build(EVENTS, PROFILES, config(inactive_after_days=61.0))
    assert rows(con, "select sum(dropped_active), sum(dropped_inactive) from drop_off where level = 'stage'") == [(2, 0)]
    assert rows(tiny, "select sum(dropped_active), sum(dropped_inactive) from drop_off where level = 'stage'") == [(1, 1)]


def test_top_n_keeps_the_most_frequent(tiny):
    con = build(EVENTS, PROFILES, config(top_n=2))
    got = rows(con, "select variant_rank, variant from journey_variants where level = 'stage' and grain = 'customer' order by 1")
    assert got == [(1, "advocacy"), (2, "awareness > consideration")]
    assert rows(con, "select max(path_rank) from exit_paths") == [(1,)]


def test_intermediates_are_dropped(tiny):
    names = {r[0] for r in rows(tiny, "select table_name from duckdb_tables()")}
    assert set(PATH_MARTS) <= names
    assert not names & set(PATH_INTERMEDIATE)


# -- reconciliation: graph vs funnel vs drop-off ---------------------------------------

def check_reconciliation(con) -> None:
    customers = rows(con, "select count(*) from customers")[0][0]
    not_converted = rows(con, "select count(*) from customers where not converted")[0][0]
    funnel = table(con, "stage_funnel")
    conversion_index = rows(con, "select stage_index from cfg_stages where is_conversion")[0][0]
    assert funnel.customers.iloc[0] == customers == funnel.dropped.sum()
    # without a window, dropped before the conversion stage = customers who did not convert
    assert funnel[funnel.stage_index < conversion_index].dropped.sum() == not_converted
    drop = table(con, "drop_off")
    for level in ("stage", "touchpoint"):
        G = build_transition_graph(con, level=level)
        # every customer leaves (start) once and enters (end) once
        assert G.out_degree(START, weight="transitions") == customers == funnel.customers.iloc[0]
        assert G.in_degree(END, weight="transitions") == customers
        assert sum(d["customers"] for _, _, d in G.out_edges(START, data=True)) == customers
        # flow conservation at every other node: as many transitions in as out
        assert set(flow_balance(G).values()) == {0}
        for node in G.nodes - {START, END}:
            assert G.nodes[node]["visits"] == G.in_degree(node, weight="transitions")
        # probabilities leaving a node add up to 1
        for node in G.nodes - {END}:
            assert sum(d["probability"] for _, _, d in G.out_edges(node, data=True)) == pytest.approx(1.0)
        # transitions into (end) from X = journeys that end at X (drop_off.ended)
        level_drop = drop[drop.level == level].set_index("exit_point")
        ended = {u: d["transitions"] for u, _, d in G.in_edges(END, data=True)}
        assert ended == {k: v for k, v in level_drop.ended.items() if v}
        assert level_drop.dropped.sum() == not_converted
        assert (level_drop.dropped_active + level_drop.dropped_inactive == level_drop.dropped).all()
        assert {n: G.nodes[n]["customers"] for n in G.nodes - {START, END}} == level_drop.journeys.to_dict()
    # stage graph: customers entering a stage's node never exceed the funnel at that stage
    G = build_transition_graph(con, level="stage")
    for _, row in funnel.iterrows():
        if row.stage in G:
            assert G.nodes[row.stage]["customers"] <= row.customers


def test_reconciliation_tiny(tiny):
    check_reconciliation(tiny)


# -- invariance --------------------------------------------------------------------------

def marts(con) -> dict[str, pd.DataFrame]:
    return {name: table(con, name) for name in PATH_MARTS}


def assert_same_marts(a: dict, b: dict) -> None:
    for name in PATH_MARTS:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_marts_identical_under_shuffle_and_rerun(tiny):
    expected = marts(tiny)
    for seed in range(3):
        shuffled, profiles = list(EVENTS), list(PROFILES)
        random.Random(seed).shuffle(shuffled)
        random.Random(seed).shuffle(profiles)
        assert_same_marts(marts(build(shuffled, profiles, config())), expected)
    con = build(EVENTS, PROFILES, config())
    make_stg(con, EVENTS, PROFILES)
    build_journeys(con, config())  # re-run on the same connection
    assert_same_marts(marts(con), expected)


# -- the graph API and the export --------------------------------------------------------

def test_graph_matches_the_transitions_mart(tiny):
    G = build_transition_graph(tiny, level="touchpoint")
    df = table(tiny, "touchpoint_transitions")
    assert G.number_of_edges() == len(df)
    edge = G["web:page_view:/"]["web:page_view:/pricing"]
    assert edge == {"transitions": 2, "customers": 2, "probability": 1.0, "median_seconds": 240.0}
    assert "median_seconds" not in G[START]["web:nps"]  # NULL: no time before the first event
    assert G.graph == {"level": "touchpoint", "customers": 4}
    with pytest.raises(ValueError):
        build_transition_graph(tiny, level="session")


def test_export_writes_graphml_and_node_link_json(tmp_path, tiny):
    warehouse = tmp_path / "w.duckdb"
    tiny.execute(f"attach '{warehouse}' as w")
    for name in ("customers", "cfg_stages", *PATH_MARTS):
        tiny.execute(f'create table w."{name}" as select * from "{name}"')
    tiny.execute("detach w")
    out = tmp_path / "parquet"
    export_parquet(warehouse, out)
    for level in ("stage", "touchpoint"):
        G = nx.read_graphml(out / "_graph" / f"{level}_transitions.graphml")
        H = build_transition_graph(tiny, level=level)
        assert sorted(G.edges) == sorted(H.edges)
        assert {e: G.edges[e]["transitions"] for e in G.edges} == {e: H.edges[e]["transitions"] for e in H.edges}
        data = json.loads((out / "_graph" / f"{level}_transitions.json").read_text())
        J = nx.node_link_graph(data, edges="edges")
        assert {(u, v): d for u, v, d in J.edges(data=True)} == {(u, v): d for u, v, d in H.edges(data=True)}
        assert dict(J.nodes(data=True)) == dict(H.nodes(data=True))
    assert (out / "stage_funnel" / "data_0.parquet").exists()


# -- the real helpdesk log ---------------------------------------------------------------

@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory):
    out = tmp_path_factory.mktemp("helpdesk")
    src = SourceConfig(
        "helpdesk", "support", "events", str(REALDATA / "helpdesk" / "helpdesk.csv"),
        columns={"user_id": "customer", "event_type": "concept:name", "occurred_at": "time:timestamp"},
    )
    counts = ingest_source(SourcePlan(src, (Path(src.path),)), out)
    assert counts.rows_loaded == 21348
    return out / "events.parquet"


def build_helpdesk(events_parquet: Path, order_by: str):
    cfg = parse_config({"sources": [{"name": "helpdesk", "path": "x"}], "stages": {"rules": [
        {"stage": "consideration", "event_type": "Assign seriousness"},
        {"stage": "decision", "event_type": "Take in charge ticket"},
        {"stage": "purchase", "event_type": "Resolve ticket"},
        {"stage": "retention", "event_type": "Closed", "after": "purchase"},
    ]}}, Path("."))
    con = new_connection()
    con.execute(f"create table stg_events as select * from read_parquet($p) order by {order_by}",
                {"p": str(events_parquet)})
    build_journeys(con, cfg)
    return con


def directly_follows(events: pd.DataFrame, node: str) -> pd.DataFrame:
    """An independent count: sort each customer's events by the contract's order, collapse
    consecutive repeats, frame with (start)/(end), count pairs and time spent in `from`."""
    ev = events.sort_values(["customer_id", "occurred_at", "source", "event_id"])
    out = []
    for customer, g in ev.groupby("customer_id", sort=False):
        values, times = g[node].tolist(), g.occurred_at.tolist()
        seq = [(v, t) for i, (v, t) in enumerate(zip(values, times, strict=True)) if i == 0 or values[i - 1] != v]
        last_at = times[-1]
        out.append((customer, START, seq[0][0], None))
        for (a, ta), (b, tb) in zip(seq, seq[1:], strict=False):
            out.append((customer, a, b, (tb - ta).total_seconds()))
        out.append((customer, seq[-1][0], END, (last_at - seq[-1][1]).total_seconds()))
    pairs = pd.DataFrame(out, columns=["customer_id", "from", "to", "seconds"])
    got = pairs.groupby(["from", "to"]).agg(
        transitions=("customer_id", "size"), customers=("customer_id", "nunique"),
        median_seconds=("seconds", "median"),
    ).reset_index()
    got["probability"] = got.transitions / got.groupby("from").transitions.transform("sum")
    return got.sort_values(["from", "to"]).reset_index(drop=True)


@pytest.mark.parametrize("level", ["touchpoint", "stage"])
def test_helpdesk_transitions_match_an_independent_directly_follows_count(helpdesk, level):
    con = build_helpdesk(helpdesk, "source_line")
    events = con.execute("select customer_id, occurred_at, source, event_id, touchpoint, stage from events").df()
    assert len(events) == 21348 and events.customer_id.nunique() == 397
    expected = directly_follows(events, level)
    got = metrics.transitions(con, level=level).rename(
        columns={f"from_{level}": "from", f"to_{level}": "to"}
    )[["from", "to", "transitions", "customers", "median_seconds", "probability"]]
    got = got.sort_values(["from", "to"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)
    assert len(got) > 50 if level == "touchpoint" else len(got) > 5


def test_helpdesk_reconciles_and_is_order_invariant(helpdesk):
    con = build_helpdesk(helpdesk, "source_line")
    check_reconciliation(con)
    expected = marts(con)
    assert_same_marts(marts(build_helpdesk(helpdesk, "md5(event_id)")), expected)

