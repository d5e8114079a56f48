"""Prefect artifacts of a run: the headline funnel, top pain points and the changes since
the previous run (flagged when unlikely to be noise) as markdown (with the report's path) and the funnel as a table, so the Prefect UI shows each run's result.
Called inside a flow run (``flows/journey_flow.py``); the numbers come from the published
warehouse through the report's SQL (``sql/report/``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import MetricsConfig
from ..drift import changed_rows, changes_since_previous
from .data import TOP_PAIN_POINTS, query

__all__ = ["ARTIFACT_PAIN_POINTS", "publish_artifacts", "artifact_markdown", "since_previous_markdown", "funnel_rows"]

# pain points listed in the markdown artifact
ARTIFACT_PAIN_POINTS = 5


def _md(text: object) -> str:
    """Text from data inside a markdown table cell: no pipes, no HTML, no line breaks."""
    s = "" if text is None else str(text)
    for a, b in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("\n", " "), ("\r", " ")):
        s = s.replace(a, b)
    return s


def funnel_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The funnel as table-artifact rows (stage, customers, conversion from the previous
    stage and from the start, dropped)."""
    rows = con.execute(
        "select stage, customers, conversion_from_previous, conversion_from_start, dropped "
        "from stage_funnel order by stage_index"
    ).fetchall()
    return [{"stage": s, "customers": c, "conversion_from_previous": None if p is None or p != p else round(p, 4),
             "conversion_from_start": round(f, 4), "dropped": d} for s, c, p, f, d in rows]


def since_previous_markdown(con: duckdb.DuckDBPyConnection, run_id: str | None,
                            metrics: MetricsConfig | None = None) -> list[str]:
    """The "since the previous run" section: changed headline figures, flagged ones marked
    (journey_mining.drift)."""
    since = changes_since_previous(con, run_id, metrics)
    lines = ["## Since the previous run", ""]
    if since is None:
        return lines + ["No earlier run to compare with."]
    rows = changed_rows(since)
    lines.append(f"{_md(since['run_before'])} → {_md(since['run_after'])}: {len(since['flagged'])} change(s) "
                 f"unlikely to be noise (⚑: p < {since['alpha']:g}, two-proportion z-test on conversion, "
                 f"n ≥ {since['min_n']}).")
    if not rows:
        return lines + ["", "No headline figure changed."]
    lines += ["", "| figure | item | before | after | change | p | |", "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {_md(r['figure'])} | {_md(r['item'] or '')} | {r['before']} | {r['after']} | {r['change']} "
                     f"| {r['p_value'] or ''} | {'⚑' if r['is_flagged'] else ''} |")
    return lines


def artifact_markdown(con: duckdb.DuckDBPyConnection, report_path: str | Path | None, run_id: str | None,
                      metrics: MetricsConfig | None = None) -> str:
    """The markdown artifact: headline funnel, top pain points, where the report is."""
    funnel = funnel_rows(con)
    pain = query(con, "report_pain_points", {"top_pain_points": min(ARTIFACT_PAIN_POINTS, TOP_PAIN_POINTS)})
    lines = [f"# Journey run {_md(run_id or '')}", ""]
    if funnel:
        first, conv = funnel[0]["customers"], [r for r in funnel]
        lines += ["## Funnel", "", "| stage | customers | from previous | from start |", "|---|---:|---:|---:|"]
        for r in conv:
            prev = "" if r["conversion_from_previous"] is None else f"{r['conversion_from_previous']:.1%}"
            lines.append(f"| {_md(r['stage'])} | {r['customers']:,} | {prev} | {r['conversion_from_start']:.1%} |")
        lines += ["", f"{first:,} customers started the journey.", ""]
    lines += ["## Top pain points", ""]
    if pain:
        lines += ["| # | touchpoint | segment | stage | score | why |", "|---:|---|---|---|---:|---|"]
        for p in pain:
            lines.append(f"| {p['rank']} | {_md(p['touchpoint'])} | {_md(p['segment'] or '')} | {_md(p['stage'])} "
                         f"| {p['score']:.2f} | {_md(p['reason'])} |")
    else:
        lines.append("No ranked pain point.")
    lines += ["", *since_previous_markdown(con, run_id, metrics)]
    if report_path:
        uri = Path(report_path).resolve().as_uri()
        lines += ["", "## Report", "", f"[{_md(Path(report_path).name)}]({uri}) — `{_md(report_path)}`"]
    return "\n".join(lines) + "\n"


def publish_artifacts(warehouse_path: str | Path, report_path: str | Path | None = None,
                      run_id: str | None = None, metrics: MetricsConfig | None = None) -> dict:
    """Create the run's markdown and table artifacts (inside a Prefect flow or task run);
    returns their ids. Keys ``journey-summary`` and ``journey-funnel`` group them per night
    in the UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        markdown = artifact_markdown(con, report_path, run_id, metrics)
        table = funnel_rows(con)
    finally:
        con.close()
    md_id = create_markdown_artifact(markdown=markdown, key="journey-summary",
                                     description="Headline funnel, top pain points and the report")
    table_id = create_table_artifact(table=table, key="journey-funnel", description="Stage funnel")
    return {"markdown": md_id, "table": table_id}
