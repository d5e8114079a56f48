"""Everything the report shows, read from a published warehouse with the SQL in
``sql/report/`` (set-based, parameters bound). Python only arranges the rows per map.

    >>> from journey_mining.metrics.signals import example_warehouse
    >>> con = example_warehouse()
    >>> _ = con.execute("create table quarantine (source varchar, reason varchar)")
    >>> data = collect(con, persona="persona")
    >>> [m["label"] for m in data["maps"]], data["stages"]
    (['All customers'], ['awareness', 'decision', 'purchase'])
    >>> [c["customers"] for c in data["maps"][0]["columns"]]
    [3, 2, 1]
"""

from __future__ import annotations

import math

import duckdb

from ..metrics.emotions import NEGATIVE_AT_OR_BELOW, score_texts
from ..models import build_table, model_sql

__all__ = [
    "TOP_TOUCHPOINTS", "TOP_PAIN_POINTS", "TOP_REASONS", "TOP_VARIANTS", "TOP_ATTRIBUTION",
    "collect", "query",
]

# How much the report shows (docs/report.md).
# touchpoints listed per stage column of the map (plus any pain point's touchpoint there)
TOP_TOUCHPOINTS = 5
# ranked pain points marked on the map and listed
TOP_PAIN_POINTS = 10
# quarantine reasons in the header
TOP_REASONS = 5
# stage sequences in the variants chart
TOP_VARIANTS = 10
# touchpoints in the attribution chart
TOP_ATTRIBUTION = 10

_TEMP = ("report_customer_groups", "report_customer_stage_touchpoints", "int_sentiment_texts", "int_sentiment_signals")


def query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """The rows of ``sql/report/<name>.sql`` as dicts (NaN and NULL become None)."""
    from ..models import model_params

    sql = model_sql("report", name)
    cur = con.execute(sql, model_params(sql, params))
    cols = [d[0] for d in cur.description]
    return [{c: _clean(v) for c, v in zip(cols, row, strict=True)} for row in cur.fetchall()]


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "select count(*) from duckdb_tables() where table_name = $t and not temporary", {"t": name}
    ).fetchone()[0])


def collect(con: duckdb.DuckDBPyConnection, persona: str = "persona", run_id: str | None = None) -> dict:
    """All report data from the warehouse behind ``con`` (temp tables only: a read-only
    connection works). ``maps``: one map for everyone, then one per value of ``persona``."""
    params = {
        "persona": persona, "top_touchpoints": TOP_TOUCHPOINTS, "top_pain_points": TOP_PAIN_POINTS,
        "top_reasons": TOP_REASONS, "top_variants": TOP_VARIANTS, "top_attribution": TOP_ATTRIBUTION,
        "negative_at_or_below": NEGATIVE_AT_OR_BELOW,
    }
    build_table(con, "report", "report_customer_groups", params, temp=True)
    build_table(con, "report", "report_customer_stage_touchpoints", params, temp=True)
    score_texts(con, temp=True)
    build_table(con, "intermediate", "int_sentiment_signals", params, temp=True)
    try:
        stages = [r[0] for r in con.execute("select stage from cfg_stages order by stage_index").fetchall()]
        funnel = query(con, "report_group_funnel", params)
        touchpoints = query(con, "report_stage_touchpoints", params)
        durations = query(con, "report_stage_durations", params)
        emotions = query(con, "report_stage_emotions", params)
        pain = query(con, "report_pain_points", params)
        groups = con.execute(
            "select distinct group_id, persona from report_customer_groups order by group_id"
        ).fetchall()
        if run_id is None and _table_exists(con, "runs"):
            row = con.execute("select run_id from runs where status = 'success' "
                              "order by finished_at desc limit 1").fetchall()
            run_id = row[0][0] if row else None
        header = query(con, "report_header")[0]
        header["run_id"] = run_id
        header["reasons"] = query(con, "report_quarantine_reasons", params)
        header["sources"] = query(con, "report_sources", {"run_id": run_id}) if run_id else []
        charts = {
            "flows": query(con, "report_stage_flows"),
            "variants": query(con, "report_variants", params),
            "attribution": query(con, "report_attribution", params),
            "touchpoint_stages": query(con, "report_touchpoint_stages"),
        }
    finally:
        for t in _TEMP:
            con.execute(f'drop table if exists temp."{t}"')
    with_funnel = {r["group_id"] for r in funnel}
    maps = [
        _one_map(gid, label, stages, funnel, touchpoints, durations, emotions, pain)
        for gid, label in groups if gid in with_funnel
    ]
    return {"stages": stages, "persona": persona, "maps": maps, "pain_points": pain,
            "header": header, "charts": charts}


def _one_map(gid, label, stages, funnel, touchpoints, durations, emotions, pain) -> dict:
    """One map: a column per stage (customers, conversion, touchpoints with pain marks,
    emotion, drop-off, time to the next stage)."""
    by_stage = {r["stage_index"]: r for r in funnel if r["group_id"] == gid}
    dur = {r["from_stage_index"]: r for r in durations if r["group_id"] == gid}
    emo = {r["stage_index"]: r for r in emotions if r["group_id"] == gid}
    columns = []
    for i, stage in enumerate(stages):
        f = by_stage.get(i, {})
        customers = f.get("customers") or 0
        tps = []
        for t in touchpoints:
            if t["group_id"] != gid or t["stage_index"] != i:
                continue
            marks = [p for p in pain if p["touchpoint"] == t["touchpoint"] and p["stage_index"] == i]
            tps.append({**t, "pain": marks})
        columns.append({
            "stage": stage,
            "index": i,
            "customers": customers,
            "conversion": f.get("conversion_from_previous"),
            "dropped": f.get("dropped") or 0,
            "drop_rate": (f.get("dropped") or 0) / customers if customers else None,
            "touchpoints": tps,
            "emotion": emo.get(i, {}).get("mean_emotion"),
            "emotion_n": emo.get(i, {}).get("signals", 0),
            "share_negative": emo.get(i, {}).get("share_negative"),
            "next_median_seconds": dur.get(i, {}).get("median_seconds"),
            "next_customers": dur.get(i, {}).get("customers", 0),
            "has_next": i + 1 < len(stages),
        })
    return {"group_id": gid, "label": "All customers" if gid == 0 else label,
            "customers": columns[0]["customers"] if columns else 0, "columns": columns}
