"""Drift (journey_mining.drift, docs/metrics.md "Drift"): the two-proportion test and the
comparison against hand-computed goldens (tests/golden/drift/), metric_history rows from
hand-built marts, and end to end: two runs -> metric_history, `journey diff`, the report's
and the Prefect artifact's "since the previous run"."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from journey_mining import cli, pipeline
from journey_mining.config import MetricsConfig, load_config, parse_config
from journey_mining.drift import (
    changes_since_previous,
    compare,
    create_metric_history,
    record_metric_history,
    resolve_runs,
    two_proportion_z,
)
from journey_mining.errors import ConfigError
from journey_mining.report.artifacts import artifact_markdown, since_previous_markdown

from .test_report import CONFIG, CRM, WEB

GOLDEN = Path(__file__).parent / "golden" / "drift"


def golden_history() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_metric_history(con)
    con.execute("insert into metric_history select * from read_csv($p, header = true, "
                "timestampformat = '%Y-%m-%d %H:%M:%S%z')", {"p": str(GOLDEN / "metric_history.csv")})
    return con


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and not (isinstance(b, float) and math.isnan(b)) and math.isclose(a, b, abs_tol=5e-7)


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_compare_matches_the_hand_computed_golden(alpha):
    expected = pd.read_csv(GOLDEN / "diff_r1_r2.csv", keep_default_na=True)
    rows = compare(golden_history(), "r1", "r2", MetricsConfig(drift_alpha=alpha, drift_min_n=30))
    assert [(r["metric"], r["item"], r["item_index"]) for r in rows] == list(
        expected[["metric", "item", "item_index"]].itertuples(index=False, name=None))
    for r, (_, e) in zip(rows, expected.iterrows(), strict=True):
        where = f"{r['metric']} {r['item']}"
        for col in ("value_before", "value_after", "change", "z", "p_value"):
            want = None if pd.isna(e[col]) else float(e[col])
            assert _same(want, r[col]), (where, col, r[col], want)
        assert r["is_tested"] == bool(e["is_tested"]), where
        assert r["is_flagged"] == bool(e[f"is_flagged_alpha_{alpha}"]), where


def test_two_proportion_z_by_hand():
    # 50/100 -> 30/100: pooled 0.4, se = sqrt(0.4 * 0.6 * 0.02), z = -0.2 / se = -sqrt(25 / 3)
    z, p = two_proportion_z(50, 100, 30, 100)
    assert z == pytest.approx(-math.sqrt(25 / 3), abs=1e-12)
    assert p == pytest.approx(0.0038924171, abs=1e-9)
    assert two_proportion_z(0, 50, 0, 80) == (0.0, 1.0)  # no variance
    assert two_proportion_z(3, 3, 5, 5) == (0.0, 1.0)
    with pytest.raises(ValueError):
        two_proportion_z(0, 0, 1, 1)


def test_min_n_keeps_small_samples_untested():
    rows = compare(golden_history(), "r1", "r2", MetricsConfig(drift_min_n=200))
    tested = {(r["metric"], r["item"]) for r in rows if r["is_tested"]}
    assert tested == {("overall_conversion", "buy"), ("stage_conversion", "cart")}  # n = 400 both
    assert not any(r["is_flagged"] for r in rows)  # buy (n = 120) would be, but is untested


def test_resolve_runs_defaults_and_errors():
    con = golden_history()
    assert resolve_runs(con) == ("r1", "r2")
    assert resolve_runs(con, "r1") == ("r1", "r2")
    assert resolve_runs(con, "r2", "r1") == ("r2", "r1")
    with pytest.raises(ConfigError, match="no headline figures"):
        resolve_runs(con, "r9")
    con.execute("delete from metric_history where run_id = 'r2'")
    with pytest.raises(ConfigError, match="needs two successful runs"):
        resolve_runs(con)
    assert changes_since_previous(con) is None


def test_record_metric_history_from_hand_built_marts():
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("""create table stage_funnel as select * from (values
        ('visit', 0, 100::bigint, false), ('cart', 1, 40::bigint, false), ('buy', 2, 10::bigint, true))
        t(stage, stage_index, customers, is_conversion)""")
    con.execute("""create table pain_points as select * from (values
        (1, 'web:pay', null, 2.5, 50, true), (2, 'mail:x', 'campaign=a', 1.5, 30, true),
        (null, 'web:faq', null, 0.0, 3, false)) t(rank, touchpoint, segment, score, sessions, is_ranked)""")
    con.execute("""create table emotions as select * from (values
        ('stage', 'visit', 0, -0.25, 8), ('stage', 'cart', 1, null, 0), ('touchpoint', 'web:pay', 1, 0.5, 2))
        t(level, name, stage_index, mean_emotion, signals)""")
    create_metric_history(con)
    at = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    assert record_metric_history(con, "r1", at) == 9
    assert record_metric_history(con, "r1", at) == 9  # a retried build replaces, never doubles
    got = con.execute("select metric, item, item_index, value, successes, trials from metric_history "
                      "order by metric, item_index").fetchall()
    assert got == [
        ("overall_conversion", "buy", 2, 0.1, 10, 100),
        ("pain_score", "web:pay", 1, 2.5, None, 50),
        ("pain_score", "mail:x / campaign=a", 2, 1.5, None, 30),
        ("stage_conversion", "cart", 1, 0.4, 40, 100),
        ("stage_conversion", "buy", 2, 0.25, 10, 40),
        ("stage_customers", "visit", 0, 100.0, 100, None),
        ("stage_customers", "cart", 1, 40.0, 40, None),
        ("stage_customers", "buy", 2, 10.0, 10, None),
        ("stage_emotion", "visit", 0, -0.25, None, 8),
    ]


def test_drift_settings_are_validated():
    base = {"sources": [{"name": "web", "path": "web/*.csv"}], "stages": {"order": ["a"], "rules": []}}
    cfg = parse_config({**base, "metrics": {"drift_alpha": 0.05, "drift_min_n": 100}}, Path("."))
    assert (cfg.metrics.drift_alpha, cfg.metrics.drift_min_n) == (0.05, 100)
    for bad in ({"drift_alpha": 1.5}, {"drift_alpha": 0}, {"drift_min_n": 0}, {"drift_min_n": 2.5}):
        with pytest.raises(ConfigError, match="drift_"):
            parse_config({**base, "metrics": bad}, Path("."))


# --------------------------------------------------------------------------- end to end

NIGHT_2 = """user_id,event_type,occurred_at,url,score,text
u6,page_view,2026-01-05T09:00:00Z,https://x.test/,,
u6,page_view,2026-01-05T09:01:00Z,https://x.test/products/1,,
u7,page_view,2026-01-05T10:00:00Z,https://x.test/,,
"""


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("drift")
    (root / "web").mkdir()
    (root / "web" / "a.csv").write_text(WEB)
    (root / "crm.csv").write_text(CRM)
    (root / "journey.toml").write_text(CONFIG)
    config = load_config(root / "journey.toml")
    first = pipeline.run_pipeline(config)
    first_html = Path(first.summary["report"]).read_text(encoding="utf-8")
    (root / "web" / "b.csv").write_text(NIGHT_2)
    second = pipeline.run_pipeline(config)
    return {"config": config, "first": first.run_id, "second": second.run_id, "first_html": first_html,
            "html": Path(second.summary["report"]).read_text(encoding="utf-8")}


def test_each_run_appends_its_figures(two_nights):
    con = duckdb.connect(str(two_nights["config"].warehouse_path), read_only=True)
    try:
        runs = con.execute("select run_id, count(*) from metric_history group by 1 order by 1").fetchall()
        after = dict(con.execute("select item, successes from metric_history where run_id = $r "
                                 "and metric = 'stage_customers'", {"r": two_nights["second"]}).fetchall())
        funnel = dict(con.execute("select stage, customers from stage_funnel").fetchall())
    finally:
        con.close()
    assert [r[0] for r in runs] == sorted([two_nights["first"], two_nights["second"]])
    assert after == funnel  # the latest figures are the published marts'


def test_journey_diff_json_and_table(capsys, two_nights):
    wh = str(two_nights["config"].warehouse_path)
    assert cli.main(["diff", "--warehouse", wh, "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert {(r["run_before"], r["run_after"]) for r in recs} == {(two_nights["first"], two_nights["second"])}
    awareness = next(r for r in recs if r["metric"] == "stage_customers" and r["item"] == "awareness")
    assert awareness["change"] == 2  # u6, u7 (u5's only row is quarantined)
    assert cli.main(["diff", "--warehouse", wh]) == 0
    out = capsys.readouterr().out
    assert f"Changes from {two_nights['first']} to {two_nights['second']}" in out and "two-proportion" in out
    assert cli.main(["diff", "nope", "--warehouse", wh]) == 2
    assert "no headline figures" in capsys.readouterr().err


def test_report_and_artifact_show_since_the_previous_run(two_nights):
    assert "No earlier run to compare with" in two_nights["first_html"]
    page = two_nights["html"]
    assert "Since the previous run" in page and 'id="since-previous"' in page
    assert f"{two_nights['first']} → {two_nights['second']}" in page
    con = duckdb.connect(str(two_nights["config"].warehouse_path), read_only=True)
    try:
        md = artifact_markdown(con, None, two_nights["second"])
    finally:
        con.close()
    assert "## Since the previous run" in md and "| customers | awareness |" in md


def test_flagged_change_in_the_artifact_markdown():
    md = "\n".join(since_previous_markdown(golden_history(), "r2", MetricsConfig(drift_alpha=0.01)))
    assert "r1 → r2: 1 change(s) unlikely to be noise" in md
    line = next(x for x in md.splitlines() if x.startswith("| conversion from previous | buy |"))
    assert line.endswith("| 0.00011 | ⚑ |")
