"""The journey map report (docs/report.md): its numbers against the marts and by hand on a
tiny project whose data carries markup, its HTML (stages, personas, pain points, escaping,
offline) and, in headless chromium, that it draws and loads nothing."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from journey_mining import pipeline
from journey_mining.config import load_config
from journey_mining.report import write_report
from journey_mining.report.data import collect, query

from .browser import Browser, skip_reason

CONFIG = """
[warehouse]
path = "out/w.duckdb"
[export]
parquet_dir = "out/parquet"
report = "out/report.html"
[metrics]
min_touchpoint_volume = 1
[stages]
order = ["awareness", "consideration", "decision", "purchase"]
conversion = "purchase"
[[stages.rules]]
stage = "purchase"
event_type = "purchase"
[[stages.rules]]
stage = "decision"
match = { url = "*/checkout*" }
[[stages.rules]]
stage = "decision"
channel = "support"
[[stages.rules]]
stage = "consideration"
match = { url = "*/products*" }
[[stages.rules]]
stage = "awareness"
event_type = "page_view"
[[sources]]
name = "web"
path = "web/*.csv"
[[sources]]
name = "crm"
format = "customers"
path = "crm.csv"
"""

XSS = '"><script>alert(1)</script>'
# a page URL with markup (u2, u3), a quarantined row whose reason quotes markup (u5), a
# persona value that is markup (u3)
WEB = f"""user_id,event_type,occurred_at,url,score,text
u1,page_view,2026-01-01T10:00:00Z,https://x.test/,,
u1,page_view,2026-01-01T10:01:00Z,https://x.test/products/1,,
u1,page_view,2026-01-01T10:03:00Z,https://x.test/checkout,,
u1,purchase,2026-01-01T10:05:00Z,https://x.test/checkout/done,,
u1,review_submitted,2026-01-03T10:05:00Z,,5,Great shop
u2,page_view,2026-01-02T10:00:00Z,https://x.test/,,
u2,page_view,2026-01-02T10:02:00Z,"https://x.test/{XSS.replace('"', '""')}",,
u2,page_view,2026-01-02T10:03:00Z,"https://x.test/{XSS.replace('"', '""')}",,
u2,page_view,2026-01-02T10:04:00Z,https://x.test/products/2,,
u3,page_view,2026-01-02T11:00:00Z,"https://x.test/{XSS.replace('"', '""')}",,
u3,page_view,2026-01-02T11:01:00Z,https://x.test/products/2,,
u3,page_view,2026-01-02T11:09:00Z,https://x.test/checkout,,
u3,ticket_created,2026-01-02T12:00:00Z,,,"Payment failed again, terrible"
u4,page_view,2026-01-03T09:00:00Z,https://x.test/,,
u4,page_view,2026-01-03T09:05:00Z,https://x.test/products/3,,
u4,page_view,2026-01-03T09:07:00Z,https://x.test/checkout,,
u4,purchase,2026-01-03T09:09:00Z,https://x.test/checkout/done,,
u5,page_view,2026-01-04T09:00:00Z,https://x.test/,,
u5,page_view,<script>alert(1)</script>,https://x.test/,,
"""
PERSONA_XSS = "<img src=x onerror=alert(2)>"
CRM = f'user_id,persona\nu1,researcher\nu2,researcher\nu3,"{PERSONA_XSS}"\nu4,bargain_hunter\n'


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    """The tiny project run once (no Prefect): config, warehouse, report and its HTML."""
    root = tmp_path_factory.mktemp("report")
    (root / "web").mkdir()
    (root / "web" / "a.csv").write_text(WEB)
    (root / "crm.csv").write_text(CRM)
    (root / "journey.toml").write_text(CONFIG)
    config = load_config(root / "journey.toml")
    result = pipeline.run_pipeline(config)
    report = Path(result.summary["report"])
    return {"config": config, "warehouse": config.warehouse_path, "report": report,
            "html": report.read_text(encoding="utf-8"), "run_id": result.run_id}


def _con(tiny) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tiny["warehouse"]), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def _sections(page: str) -> list[str]:
    return re.findall(r'<section class="map".*?</section>', page, flags=re.S)


# --------------------------------------------------------------------------- the numbers


def test_maps_by_hand(tiny):
    """Every map's column numbers of the tiny project, counted by hand."""
    con = _con(tiny)
    data = collect(con, persona="persona")
    con.close()
    assert data["stages"] == ["awareness", "consideration", "decision", "purchase"]
    labels = [m["label"] for m in data["maps"]]
    assert labels == ["All customers", PERSONA_XSS, "bargain_hunter", "researcher"]  # text order
    everyone, _, _, researcher = data["maps"]
    # u1..u5 reach awareness; u1..u4 consideration; u1, u3, u4 decision; u1, u4 purchase
    assert [c["customers"] for c in everyone["columns"]] == [5, 4, 3, 2]
    assert [c["dropped"] for c in everyone["columns"]] == [1, 1, 1, 2]
    assert [c["customers"] for c in researcher["columns"]] == [2, 2, 1, 1]  # u1, u2
    # researcher awareness: "/" twice (u1, u2), the markup page twice (u2 only)
    aw = [(t["touchpoint"], t["events"], t["customers"]) for t in researcher["columns"][0]["touchpoints"]]
    assert aw == [("web:page_view:/", 2, 2), (f"web:page_view:/{XSS}", 2, 1)]
    # median time to the next stage (first reach -> first reach of the next stage)
    # awareness->consideration: u1 60 s, u2 240 s, u3 60 s, u4 300 s -> 150 s
    assert everyone["columns"][0]["next_median_seconds"] == 150
    assert researcher["columns"][0]["next_median_seconds"] == 150  # u1 60 s, u2 240 s
    assert everyone["columns"][3]["next_median_seconds"] is None and not everyone["columns"][3]["has_next"]


def test_everyone_map_is_the_marts(tiny):
    """Group 0 of the per-group SQL equals the marts it re-computes (same definitions)."""
    con = _con(tiny)
    data = collect(con, persona="persona")
    columns = data["maps"][0]["columns"]
    durations = con.execute("select from_stage_index, median_seconds from stage_durations "
                            "where customers > 0 order by 1").fetchall()
    assert [(c["index"], c["next_median_seconds"]) for c in columns if c["next_median_seconds"] is not None] \
        == durations
    emotions = con.execute("select stage_index, signals, mean_emotion from emotions "
                           "where level = 'stage' and signals > 0 order by 1").fetchall()
    assert [(c["index"], c["emotion_n"], c["emotion"]) for c in columns if c["emotion_n"]] == emotions
    assert emotions, "the tiny project has emotion signals (a review, a ticket)"
    funnel = con.execute("select customers, dropped from stage_funnel order by stage_index").fetchall()
    assert [(c["customers"], c["dropped"]) for c in columns] == funnel
    # a persona's map is its stage_funnel_breakdown rows
    breakdown = con.execute(
        "select value, stage_index, customers from stage_funnel_breakdown "
        "where dimension_type = 'attribute' and dimension = 'persona' and value is not null order by 1, 2"
    ).fetchall()
    con.close()
    mine = sorted((m["label"], c["index"], c["customers"]) for m in data["maps"][1:] for c in m["columns"])
    assert mine == breakdown


def test_report_sql_leaves_no_tables(tiny):
    con = _con(tiny)
    before = con.execute("select table_name from duckdb_tables() order by 1").fetchall()
    collect(con)
    assert con.execute("select table_name from duckdb_tables() order by 1").fetchall() == before
    assert query(con, "report_header")[0]["events"] == 18
    con.close()


def test_one_pass_over_events_gives_the_per_event_definitions(tiny):
    """The touchpoint columns, the touchpoint graph's stages and the time between stages read
    report_customer_stage_touchpoints (the report's one pass over events) and give what the
    per-event definitions give when computed from events directly."""
    from journey_mining.models import build_table, model_sql

    for name in ("report_stage_touchpoints", "report_touchpoint_stages", "report_stage_durations"):
        assert re.search(r"\bfrom events\b", model_sql("report", name)) is None, name
    con = _con(tiny)
    build_table(con, "report", "report_customer_groups", {"persona": "persona"}, temp=True)
    build_table(con, "report", "report_customer_stage_touchpoints", {}, temp=True)
    params = {"top_touchpoints": 1000, "top_pain_points": 10}
    got = [(r["group_id"], r["stage_index"], r["touchpoint"], r["events"], r["customers"])
           for r in query(con, "report_stage_touchpoints", params)]
    want = con.execute("""
        select group_id, stage_index, touchpoint, count(*), count(distinct customer_id)
        from events inner join report_customer_groups using (customer_id)
        where touchpoint is not null group by all order by all""").fetchall()
    assert sorted(got) == want and want
    got = [(r["touchpoint"], r["stage_index"], r["events"]) for r in query(con, "report_touchpoint_stages")]
    want = con.execute("""
        select touchpoint, arg_max(stage_index, (n, -stage_index)), sum(n)
        from (select touchpoint, stage_index, count(*) as n from events where touchpoint is not null group by all)
        group by touchpoint order by touchpoint""").fetchall()
    assert got == want
    got = [(r["group_id"], r["from_stage_index"], r["customers"], r["median_seconds"])
           for r in query(con, "report_stage_durations")]
    want = con.execute("""
        with firsts as (select customer_id, stage_index, min(occurred_at) as first_at from events group by all),
        reach as (select customer_id, s.stage_index, min(first_at) as at from firsts
                  inner join cfg_stages as s on firsts.stage_index >= s.stage_index group by all)
        select group_id, a.stage_index, count(*), median((epoch_us(b.at) - epoch_us(a.at)) / 1000000)
        from reach as a inner join reach as b on b.customer_id = a.customer_id and b.stage_index = a.stage_index + 1
        inner join report_customer_groups as g on g.customer_id = a.customer_id group by all order by all""").fetchall()
    assert got == want and want
    con.close()


# --------------------------------------------------------------------------- the HTML


def test_header(tiny):
    page = tiny["html"]
    assert "2026-01-01</b> – <b>2026-01-04" in page
    assert "Sources <b>crm, web</b>" in page
    assert "Events <b>18</b>" in page and "Customers <b>5</b>" in page
    assert "Quarantined rows <b>1</b>" in page
    assert f"Run <b>{tiny['run_id']}</b>" in page


def test_stages_in_order_in_every_map(tiny):
    sections = _sections(tiny["html"])
    assert len(sections) == 4
    for s in sections:
        assert re.findall(r'data-stage="([^"]*)"', s) == ["awareness", "consideration", "decision", "purchase"]
    assert "hidden" not in sections[0].split(">", 1)[0] and all("hidden" in s.split(">", 1)[0] for s in sections[1:])


def test_persona_options(tiny):
    options = re.findall(r'<option value="(\d+)">([^<]*)</option>', tiny["html"])
    assert [v for v, _ in options] == ["0", "1", "2", "3"]
    assert options[0][1].startswith("All customers")
    assert options[1][1].startswith(html.escape(PERSONA_XSS, quote=False))
    assert options[3][1].startswith("researcher (persona)")


def test_pain_points_marked_with_their_reasons(tiny):
    con = _con(tiny)
    ranked = con.execute("select touchpoint, reason from pain_points where is_ranked order by rank").fetchall()
    con.close()
    assert ranked
    first_map = _sections(tiny["html"])[0]
    for touchpoint, reason in ranked:
        assert escape(reason) in tiny["html"]
        # marked in the map on its touchpoint
        assert re.search(r'<li class="pain">\s*<span class="tp-name">' + re.escape(str(escape(touchpoint))), first_map)


def test_every_string_from_data_is_escaped(tiny):
    page = tiny["html"]
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert escape(f"web:page_view:/{XSS}") in page  # the touchpoint shows as text
    assert "occurred_at &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in page  # quarantine reason
    assert page.count("<script") == page.count("</script>")
    # in the inline scripts (the charts' data) the markup is text too
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        assert all(before.endswith("&lt;script&gt;") for before in re.findall(r"(.{0,14})alert\(1\)", script))
        assert "<img" not in script


def test_offline(tiny):
    """Nothing that would load from the network: no http(s) or protocol-relative src/href,
    no external stylesheet or script."""
    page = tiny["html"]
    # outside the inline scripts (plotly.js holds link texts such as its own home page)
    markup = re.sub(r"<script[^>]*>.*?</script>", "<script></script>", page, flags=re.S)
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", markup, flags=re.I)
    assert not re.search(r"<link\b", markup, flags=re.I)
    assert not re.search(r"<script[^>]*\bsrc=", markup, flags=re.I)
    assert "@import" not in markup and "url(" not in markup
    assert page.count("Plotly.newPlot") == 6
    assert len(page) > 1_000_000  # plotly.js is inlined


def test_one_map_when_nobody_has_the_persona(tiny, tmp_path):
    config = dataclasses.replace(tiny["config"], report_path=tmp_path / "r.html",
                                 report=dataclasses.replace(tiny["config"].report, persona="shoe_size"))
    page = write_report(tiny["warehouse"], config).read_text()
    assert len(_sections(page)) == 1 and "<select" not in page
    assert "no customer has the attribute “shoe_size”" in page


def test_write_is_atomic(tiny, tmp_path, monkeypatch):
    """A failing render leaves the previous report and no temp file."""
    import journey_mining.report as report

    config = dataclasses.replace(tiny["config"], report_path=tmp_path / "r.html")
    (tmp_path / "r.html").write_text("previous")

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "render_report", boom)
    with pytest.raises(RuntimeError):
        write_report(tiny["warehouse"], config)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert (tmp_path / "r.html").read_text() == "previous"
    # a write killed half-way left its temp file: the next write removes it (only that)
    (tmp_path / ".r.html.abc123.journey-tmp").write_text("<html")
    (tmp_path / ".r.html.notes").write_text("mine")
    monkeypatch.undo()
    write_report(tiny["warehouse"], config)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.html.notes", "r.html"]
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


# --------------------------------------------------------------------------- the browser


def test_report_in_headless_chromium(tiny, tmp_path):
    """chromium loads the report: no console error, no exception, no dialog (the markup in
    the data stays text), the six charts drawn, no request but the file itself, the persona
    selector redraws the map. The screenshot is kept in the test's tmp path."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    report = tmp_path / "report.html"
    shutil.copy(tiny["report"], report)
    with Browser() as b:
        b.open(report)
        drawn = b.evaluate("""Array.from(document.querySelectorAll('.js-plotly-plot')).map(
            d => [d.id, d.querySelectorAll('svg.main-svg').length, d.querySelectorAll('path, rect, canvas').length])""")
        sankey = b.evaluate("document.querySelectorAll('#chart-sankey .sankey-node').length")
        visible = b.evaluate("Array.from(document.querySelectorAll('section.map')).filter(s => !s.hidden)"
                             ".map(s => s.dataset.group)")
        b.evaluate("var s = document.getElementById('persona'); s.value = '3';"
                   "s.dispatchEvent(new Event('change'))")
        after = b.evaluate("Array.from(document.querySelectorAll('section.map')).filter(s => !s.hidden)"
                           ".map(s => s.dataset.group)")
        shown_text = b.evaluate("document.body.innerText")
        shot = b.screenshot(tmp_path / "report.png", full_page=True)
    assert b.console_errors == [] and b.exceptions == [] and b.dialogs == []
    assert b.requests == [report.resolve().as_uri()]
    assert [d[0] for d in drawn] == ["chart-funnel", "chart-emotions", "chart-sankey", "chart-graph",
                                     "chart-variants", "chart-attribution"]
    assert all(svgs >= 1 and marks > 0 for _, svgs, marks in drawn), drawn
    assert sankey > 0
    assert visible == ["0"] and after == ["3"]
    assert f"web:page_view:/{XSS}" in shown_text  # shown as text, never run
    assert shot.stat().st_size > 20_000


# --------------------------------------------------------------------------- Prefect artifacts


@pytest.mark.flow
def test_artifacts_in_a_flow_run(tiny, monkeypatch, tmp_path):
    """Inside a flow run, publish_artifacts creates the markdown summary (funnel, pain points
    with their reasons, the report's path) and the funnel table; read back through the
    client they hold the warehouse's numbers."""
    import json

    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.testing.utilities import prefect_test_harness

    from journey_mining.report.artifacts import publish_artifacts

    @flow(name="artifacts-test")
    def nightly() -> dict:
        return publish_artifacts(tiny["warehouse"], tiny["report"], tiny["run_id"])

    with prefect_test_harness(server_startup_timeout=90):
        nightly()
        with get_client(sync_client=True) as client:
            found = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["journey-summary", "journey-funnel"])))
    by_key = {a.key: a for a in found}
    assert set(by_key) == {"journey-summary", "journey-funnel"}
    assert by_key["journey-summary"].type == "markdown" and by_key["journey-funnel"].type == "table"
    assert by_key["journey-summary"].flow_run_id is not None
    md = by_key["journey-summary"].data
    assert f"# Journey run {tiny['run_id']}" in md
    assert "| awareness | 5 |" in md and "| purchase | 2 | 66.7% | 40.0% |" in md
    con = _con(tiny)
    reasons = [r for (r,) in con.execute("select reason from pain_points where is_ranked order by rank limit 5").fetchall()]
    con.close()
    assert reasons and all(r in md for r in reasons)
    assert str(tiny["report"]) in md and tiny["report"].resolve().as_uri() in md
    table = by_key["journey-funnel"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert [(r["stage"], r["customers"], r["dropped"]) for r in table] == [
        ("awareness", 5, 1), ("consideration", 4, 1), ("decision", 3, 1), ("purchase", 2, 2)]


# -- a real log ---------------------------------------------------------------------------


def test_report_of_the_real_helpdesk_log(tmp_path):
    """The whole run on a real public log (../shared/realdata/helpdesk: 21,348 ticket events)
    writes a map whose numbers are the warehouse's: events and customers in the header,
    every reached stage with its customers, the top pain points named where they happen."""
    from journey_mining.config import load_config

    from .helpers import REALDATA

    src = REALDATA / "helpdesk" / "helpdesk.csv"
    if not src.exists():
        pytest.skip(f"no real data at {src}")
    cfg = tmp_path / "journey.toml"
    cfg.write_text(f"""
[warehouse]
path = "out/w.duckdb"
[export]
parquet_dir = "out/parquet"
report = "out/report.html"
[[sources]]
name = "helpdesk"
channel = "support"
format = "events"
path = {str(src)!r}
[sources.columns]
user_id = "customer"
event_type = "concept:name"
occurred_at = "time:timestamp"
[[stages.rules]]
stage = "consideration"
event_type = "Assign seriousness"
[[stages.rules]]
stage = "decision"
event_type = "Take in charge ticket"
[[stages.rules]]
stage = "purchase"
event_type = "Resolve ticket"
[[stages.rules]]
stage = "retention"
event_type = "Closed"
after = "purchase"
""", encoding="utf-8")
    config = load_config(cfg)
    result = pipeline.run_pipeline(config)
    page = config.report_path.read_text(encoding="utf-8")
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        events, customers = con.execute("select (select count(*) from events), (select count(*) from customers)").fetchall()[0]
        funnel = con.execute("select stage, customers from stage_funnel where customers > 0 order by stage_index").fetchall()
        top = [r[0] for r in con.execute("select touchpoint from pain_points where rank <= 3 order by rank").fetchall()]
    finally:
        con.close()
    assert events == 21348
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert re.search(rf"Events\s+{events:,}\b", text) and re.search(rf"Customers\s+{customers:,}\b", text)
    assert len(funnel) >= 4
    for stage, n in funnel:
        assert re.search(rf"{re.escape(stage)}\s+{n:,}\b", text), (stage, n)
    assert top and all(str(escape(t)) in page for t in top)
