"""Build the signal marts (``emotions``, ``pain_points``, ``attribution``) at the end of
``build_journeys``; shared helpers for the metrics API.

The marts read the ``events`` mart and ``cfg_stages``. The stage is a map and a reduce
(:data:`journey_mining.tables.STORED_PARTIALS`): per-customer models (the ``int_sentiment*``,
``int_pain_*`` per-event intermediates and ``int_attribution_paths``, temporary) feed the
stored per-customer partials (``partial_touchpoint_events``, ``partial_pain_units``,
``partial_pain_dwell``, ``partial_emotion_signals``, ``partial_attribution_transitions``,
``partial_attribution_credits``: counts, sums and dwell distributions, kept in the warehouse);
the reduce models (``int_pain_touchpoints``, ``int_pain_unit_signals``,
``int_pain_unit_scores``, ``int_attribution_transitions``, the Markov credits and the three
marts) read only the partials and the cfg_* tables, so an incremental night rebuilds the
partials of the affected customers only. Temporaries are dropped at the end (kept, for
debugging, with ``temp=False``). Every mart is replaced on each run (``create or replace``):
a re-run over the same events gives identical tables.

    >>> con = example_warehouse()
    >>> sorted(t for (t,) in con.execute("show tables").fetchall() if t in SIGNAL_MARTS)
    ['attribution', 'emotions', 'pain_points']
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .. import tables
from ..config import PROPERTIES_PREFIX, Config, MetricsConfig
from ..stages import json_path
from .emotions import NEGATIVE_AT_OR_BELOW

__all__ = [
    "SIGNAL_MARTS",
    "PRIOR_WEIGHT",
    "MAX_SIGNAL_POINTS",
    "REASON_MIN_POINTS",
    "build_signal_metrics",
    "example_warehouse",
]

SIGNAL_MARTS = tuple(n for n in tables.names("signals", temporary=False)
                     if not n.startswith("cfg_") and n not in tables.STORED_PARTIALS)

# Pain-point scoring (docs/pain-points.md). A rate is shrunk towards its baseline as if
# PRIOR_WEIGHT more observations had shown exactly the baseline, so a handful of sessions
# cannot produce a huge lift; each signal adds log2(lift) points, at most MAX_SIGNAL_POINTS.
PRIOR_WEIGHT = 10.0
MAX_SIGNAL_POINTS = 4.0
# The reason names the signals worth at least this many points (a 1.41x lift).
REASON_MIN_POINTS = 0.5



def _load_segments(con: duckdb.DuckDBPyConnection, metrics: MetricsConfig) -> None:
    """``cfg_pain_segments``: one row per ``[metrics] segment_by`` dimension (bound values)."""
    con.execute(
        "create or replace table cfg_pain_segments "
        "(dimension varchar, column_name varchar, json_path varchar)"
    )
    rows = [
        (d.removeprefix(PROPERTIES_PREFIX), None if d.startswith(PROPERTIES_PREFIX) else d, json_path(d))
        for d in metrics.segment_by
    ]
    if rows:
        con.executemany("insert into cfg_pain_segments values (?, ?, ?)", rows)


def signal_params(config: Config | MetricsConfig) -> dict[str, object]:
    """The bound parameters of the signal models (emotions, pain points)."""
    metrics = config.metrics if isinstance(config, Config) else config
    return {
        "negative_at_or_below": NEGATIVE_AT_OR_BELOW,
        "support_window_seconds": metrics.support_window_hours * 3600.0,
        "support_window_hours": metrics.support_window_hours,
        "min_volume": metrics.min_touchpoint_volume,
        "prior_weight": PRIOR_WEIGHT,
        "max_signal_points": MAX_SIGNAL_POINTS,
        "reason_min_points": REASON_MIN_POINTS,
    }


def load_pain_segments(con: duckdb.DuckDBPyConnection, config: Config | MetricsConfig) -> None:
    """``cfg_pain_segments`` from ``[metrics] segment_by``."""
    _load_segments(con, config.metrics if isinstance(config, Config) else config)


def build_signal_metrics(
    con: duckdb.DuckDBPyConnection, config: Config | MetricsConfig, *, temp: bool = True
) -> None:
    """Build ``emotions``, ``pain_points`` and ``attribution`` from ``events`` and
    ``cfg_stages`` (replaced on every run), in the order and with the clean-up that
    :data:`journey_mining.tables.TABLES` declares (stage ``signals``)."""
    tables.build_tables(con, config, "signals", signal_params(config), keep_intermediate=not temp)


def example_warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse of three tiny journeys (for the docstring examples): ``c1``
    reads a page, pays and buys; ``c2`` gets a mail, unsubscribes; ``c3`` views the
    payment page, leaves, and writes an angry ticket."""
    from ..config import parse_config
    from ..inference import build_journeys
    from ..schema import STG_EVENT_COLUMNS

    config = parse_config(
        {
            "sources": [{"name": "web", "path": "web/*.csv"}],
            "metrics": {"min_touchpoint_volume": 1},
            "stages": {
                "order": ["awareness", "decision", "purchase"],
                "conversion": "purchase",
                "rules": [
                    {"stage": "purchase", "event_type": "purchase"},
                    {"stage": "decision", "event_type": "page_view", "match": {"url": "*/pay*"}},
                    {"stage": "decision", "channel": "support"},
                ],
            },
        },
        Path("."),
    )
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    columns = ", ".join(f'"{name}" {kind}' for name, kind in STG_EVENT_COLUMNS.items())
    con.execute(f"create temp table stg_events ({columns})")
    rows = [
        ("e1", "web", "web", "page_view", "2026-01-01 10:00", "c1", "https://x.test/", None, None),
        ("e2", "web", "web", "page_view", "2026-01-01 10:01", "c1", "https://x.test/pay", None, None),
        ("e3", "web", "web", "purchase", "2026-01-01 10:02", "c1", None, None, None),
        ("e4", "mail", "email", "email_delivered", "2026-01-01 09:00", "c2", None, None, None),
        ("e5", "mail", "email", "email_unsubscribe", "2026-01-01 09:05", "c2", None, None, None),
        ("e6", "web", "web", "page_view", "2026-01-01 11:00", "c3", "https://x.test/pay", None, None),
        ("e7", "desk", "support", "ticket_created", "2026-01-01 13:00", "c3", None, None,
         "Useless. Still broken."),
    ]
    con.executemany(
        "insert into stg_events (event_id, source, channel, event_type, occurred_at, user_id, "
        "url, score, text) values (?, ?, ?, ?, ?::timestamptz, ?, ?, ?, ?)",
        rows,
    )
    build_journeys(con, config)
    return con
