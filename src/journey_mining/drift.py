"""Drift: what changed since the previous run (``metric_history``, ``journey diff``).

Every successful run appends its headline figures to ``metric_history``
(``sql/intermediate/int_metric_history_run.sql``): customers and conversion from the previous stage
per stage, the overall conversion, the top pain points with their scores and the mean
emotion per stage. :func:`compare` puts two runs side by side
(``sql/report/report_metric_changes.sql``) and flags the conversion changes unlikely to be
noise with a two-proportion z-test (:func:`two_proportion_z`):

    z = (p_after - p_before) / sqrt(p (1 - p) (1 / n_before + 1 / n_after)),
    p = (x_before + x_after) / (n_before + n_after)  (pooled),  p_value = erfc(|z| / sqrt 2)

A change is flagged when ``p_value < [metrics] drift_alpha`` (default 0.01) and both runs
have at least ``[metrics] drift_min_n`` customers (default 30) at the previous stage.
Counts, scores and emotions are shown with their change but not tested. Two nightly runs
mostly count the same customers again, so the samples are not independent: the test is a
screen for changes worth a look, not a proof (docs/metrics.md, "Drift").

    >>> z, p = two_proportion_z(50, 100, 30, 100)
    >>> round(z, 6), round(p, 6)
    (-2.886751, 0.003892)
"""

from __future__ import annotations

import math
from datetime import datetime

import duckdb

from .config import MetricsConfig
from .errors import ConfigError
from .models import build_table

__all__ = [
    "HISTORY_PAIN_POINTS", "TESTED_METRICS", "create_metric_history", "record_metric_history", "history_runs",
    "two_proportion_z", "compare", "METRIC_LABELS", "format_value", "changed_rows", "resolve_runs", "changes_since_previous",
]

# how many top-ranked pain points each run records in metric_history
HISTORY_PAIN_POINTS = 10
# the metrics that are proportions (successes / trials): tested for a change
TESTED_METRICS = ("stage_conversion", "overall_conversion")

_SCHEMA = (
    "run_id VARCHAR, recorded_at TIMESTAMPTZ, metric VARCHAR, item VARCHAR, item_index INTEGER, "
    "value DOUBLE, successes BIGINT, trials BIGINT"
)


METRIC_LABELS = {
    "overall_conversion": "overall conversion",
    "stage_customers": "customers",
    "stage_conversion": "conversion from previous",
    "stage_emotion": "mean emotion",
    "pain_score": "pain score",
}


def format_value(metric: str, v: float | None, *, signed: bool = False) -> str:
    """A figure of ``metric_history`` for people: rates as percentages (points for a
    change), counts with separators, scores with two decimals.

    >>> format_value("stage_conversion", 0.5), format_value("stage_conversion", -0.021, signed=True)
    ('50.0%', '-2.1 pts')
    >>> format_value("stage_customers", 1234.0), format_value("pain_score", 0.5, signed=True)
    ('1,234', '+0.50')
    """
    if v is None:
        return "–"
    if metric.endswith("conversion"):
        return f"{v * 100:+.1f} pts" if signed else f"{v:.1%}"
    if metric == "stage_customers":
        return f"{v:+,.0f}" if signed else f"{v:,.0f}"
    return f"{v:+.2f}" if signed else f"{v:.2f}"


def create_metric_history(con: duckdb.DuckDBPyConnection) -> None:
    """The empty ``metric_history`` table of a build (earlier runs' rows are carried over
    from the published warehouse like ``runs``)."""
    con.execute(f"create table if not exists metric_history ({_SCHEMA})")


def record_metric_history(con: duckdb.DuckDBPyConnection, run_id: str, recorded_at: datetime) -> int:
    """Append this run's headline figures (from the marts just built); returns the rows."""
    create_metric_history(con)
    con.execute("delete from metric_history where run_id = $r", {"r": run_id})  # a retried build
    build_table(con, "intermediate", "int_metric_history_run",
                {"run_id": run_id, "recorded_at": recorded_at, "history_pain_points": HISTORY_PAIN_POINTS},
                target="int_metric_history_run", temp=True)
    n = con.execute("select count(*) from int_metric_history_run").fetchall()[0][0]
    con.execute("insert into metric_history by name select * from int_metric_history_run")
    con.execute("drop table int_metric_history_run")
    return int(n)


def history_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The runs in ``metric_history``, oldest first (empty without the table)."""
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'metric_history' and not temporary"
    ).fetchall()[0][0]
    if not found:
        return []
    return [r[0] for r in con.execute(
        "select run_id from metric_history group by run_id order by min(recorded_at), run_id"
    ).fetchall()]


def two_proportion_z(x_before: int, n_before: int, x_after: int, n_after: int) -> tuple[float, float]:
    """The pooled two-proportion z statistic of ``x_after / n_after`` against
    ``x_before / n_before`` and its two-sided p-value. Equal proportions with a pooled rate
    of 0 or 1 (no variance) give ``(0.0, 1.0)``.

    >>> two_proportion_z(10, 20, 10, 20)
    (0.0, 1.0)
    >>> z, p = two_proportion_z(120, 400, 150, 400)
    >>> round(z, 4), round(p, 4)
    (2.2431, 0.0249)
    """
    if n_before <= 0 or n_after <= 0:
        raise ValueError("both samples need at least one trial")
    p1, p2 = x_before / n_before, x_after / n_after
    pooled = (x_before + x_after) / (n_before + n_after)
    var = pooled * (1 - pooled) * (1 / n_before + 1 / n_after)
    if var <= 0:
        return 0.0, 1.0
    z = (p2 - p1) / math.sqrt(var)
    return z, math.erfc(abs(z) / math.sqrt(2))


def resolve_runs(con: duckdb.DuckDBPyConnection, run_a: str | None = None, run_b: str | None = None) -> tuple[str, str]:
    """The two runs to compare: given ones (checked), else the previous and the latest of
    ``metric_history``; with only ``run_a``, ``run_a`` against the latest."""
    runs = history_runs(con)
    for r in (run_a, run_b):
        if r is not None and r not in runs:
            known = ", ".join(runs[-5:]) or "none"
            raise ConfigError(f"run {r!r} has no headline figures in metric_history (latest: {known})")
    if run_a is not None and run_b is not None:
        return run_a, run_b
    if len(runs) < 2 and not (run_a is not None and runs and run_a != runs[-1]):
        raise ConfigError(f"metric_history holds {len(runs)} run(s): a diff needs two successful runs")
    if run_a is not None:
        return run_a, runs[-1]
    return runs[-2], runs[-1]


def compare(con: duckdb.DuckDBPyConnection, run_a: str, run_b: str,
            metrics: MetricsConfig | None = None) -> list[dict]:
    """Every headline figure of ``run_a`` (before) and ``run_b`` (after) with its change;
    conversions (:data:`TESTED_METRICS`) with ``z``, ``p_value`` and ``is_flagged``.

    >>> con = duckdb.connect()
    >>> create_metric_history(con)
    >>> _ = con.execute("insert into metric_history values "
    ...     "('a', '2026-01-01', 'stage_conversion', 'buy', 1, 0.5, 50, 100), "
    ...     "('b', '2026-01-02', 'stage_conversion', 'buy', 1, 0.3, 30, 100)")
    >>> row = compare(con, 'a', 'b')[0]
    >>> row['change'], round(row['z'], 4), round(row['p_value'], 6), row['is_flagged']
    (-0.2, -2.8868, 0.003892, True)
    """
    from .report.data import query

    metrics = metrics or MetricsConfig()
    rows = query(con, "report_metric_changes", {"run_a": run_a, "run_b": run_b})
    out = []
    for r in rows:
        before, after = r["value_before"], r["value_after"]
        change = None if before is None or after is None else round(after - before, 12)
        z = p = None
        tested = False
        if r["metric"] in TESTED_METRICS and None not in (r["successes_before"], r["trials_before"],
                                                            r["successes_after"], r["trials_after"]):
            n1, n2 = r["trials_before"], r["trials_after"]
            if min(n1, n2) >= metrics.drift_min_n:
                z, p = two_proportion_z(r["successes_before"], n1, r["successes_after"], n2)
                tested = True
        out.append({
            "metric": r["metric"], "item": r["item"], "item_index": r["item_index"],
            "value_before": before, "value_after": after, "change": change,
            "successes_before": r["successes_before"], "trials_before": r["trials_before"],
            "successes_after": r["successes_after"], "trials_after": r["trials_after"],
            "is_tested": tested, "z": z, "p_value": p,
            "is_flagged": bool(tested and p is not None and p < metrics.drift_alpha),
        })
    return out


def changes_since_previous(con: duckdb.DuckDBPyConnection, run_id: str | None = None,
                           metrics: MetricsConfig | None = None) -> dict | None:
    """What the report and the Prefect artifact show: ``run_id`` (default: the latest run
    in ``metric_history``) against the run before it. None when there is no earlier run.

    >>> changes_since_previous(duckdb.connect()) is None
    True
    """
    runs = history_runs(con)
    if run_id is None and runs:
        run_id = runs[-1]
    if run_id not in runs or runs.index(run_id) == 0:
        return None
    metrics = metrics or MetricsConfig()
    before = runs[runs.index(run_id) - 1]
    changes = compare(con, before, run_id, metrics)
    return {"run_before": before, "run_after": run_id, "alpha": metrics.drift_alpha, "min_n": metrics.drift_min_n,
            "changes": changes, "flagged": [c for c in changes if c["is_flagged"]]}


def changed_rows(changes: dict | None) -> list[dict]:
    """The rows of :func:`changes_since_previous` worth showing people (a report, an
    artifact): figures that changed, appeared or disappeared, formatted, flagged first
    within their order.

    >>> changed_rows(None)
    []
    """
    if not changes:
        return []
    out = []
    for r in changes["changes"]:
        if r["change"] == 0 and not r["is_flagged"]:
            continue
        m = r["metric"]
        out.append({"figure": METRIC_LABELS.get(m, m), "item": r["item"],
                    "before": format_value(m, r["value_before"]), "after": format_value(m, r["value_after"]),
                    "change": format_value(m, r["change"], signed=True),
                    "p_value": None if r["p_value"] is None else f"{r['p_value']:.2g}", "is_flagged": r["is_flagged"]})
    return out
