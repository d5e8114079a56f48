"""Path metrics: funnel, durations, transitions, drop-off, exit paths, variants, loops.

``build_path_metrics`` builds the marts (``sql/marts/``) from ``events``, ``sessions``,
``customers`` and ``cfg_stages``; the readers below return them as DataFrames from a
warehouse path or an open DuckDB connection. Definitions: docs/metrics.md.

    >>> con = example_warehouse()
    >>> funnel(con)[["stage", "customers", "dropped"]]
               stage  customers  dropped
    0      awareness          2        0
    1  consideration          2        1
    2       purchase          1        1
    >>> transitions(con, level="stage")[["from_stage", "to_stage", "transitions"]]
          from_stage       to_stage  transitions
    0        (start)      awareness            2
    1      awareness  consideration            2
    2  consideration          (end)            1
    3  consideration       purchase            1
    4       purchase          (end)            1
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .. import tables
from ..config import Config
from .base import read_frame

__all__ = [
    "PATH_MARTS",
    "PATH_INTERMEDIATE",
    "PATH_PARTIALS",
    "BREAKDOWN_MAX_VALUES",
    "build_path_metrics",
    "funnel",
    "durations",
    "transitions",
    "drop_off",
    "exit_paths",
    "variants",
    "loops",
    "example_warehouse",
]

# Built in this order; each is replaced on every run (create or replace), so a re-run gives
# identical tables. Intermediates are temp tables, dropped at the end. The stored per-customer
# partials (PATH_PARTIALS, tables.STORED_PARTIALS: the map) are kept; the marts are reduced
# from them (tables.partial_plan).
PATH_INTERMEDIATE = tables.names("paths", temporary=True)
PATH_PARTIALS = tuple(n for n in tables.names("paths", temporary=False) if n in tables.STORED_PARTIALS)
PATH_MARTS = tuple(n for n in tables.names("paths", temporary=False) if n not in tables.STORED_PARTIALS)

_DAY_SECONDS = 86400.0
# stage_funnel_breakdown: a customer attribute with more distinct values than this (an id, a
# timestamp) is not a grouping and is left out of the breakdown.
BREAKDOWN_MAX_VALUES = 50


def path_params(config: Config) -> dict[str, object]:
    """The bound parameters of the path models."""
    settings = config.metrics
    window = settings.funnel_window_days
    return {
        "window_seconds": None if window is None else window * _DAY_SECONDS,
        "inactive_seconds": settings.inactive_after_days * _DAY_SECONDS,
        "top_n": settings.top_n,
        "breakdown_max_values": BREAKDOWN_MAX_VALUES,
    }


def build_path_metrics(
    con: duckdb.DuckDBPyConnection, config: Config, *, keep_intermediate: bool = False
) -> None:
    """Build the path marts (:data:`PATH_MARTS`) from the journey tables on ``con``."""
    tables.build_tables(con, config, "paths", path_params(config), keep_intermediate=keep_intermediate)




def funnel(warehouse, by: str | None = None) -> pd.DataFrame:
    """The stage funnel (``stage_funnel``), or with ``by`` its breakdown by one dimension
    (a customer attribute such as ``"persona"``, ``"first_touch_channel"`` or
    ``"acquisition_week"``) from ``stage_funnel_breakdown``.

    >>> con = example_warehouse()
    >>> funnel(con, by="persona")[["value", "stage", "customers"]]
      value          stage  customers
    0     a      awareness          1
    1     a  consideration          1
    2     a       purchase          1
    3     b      awareness          1
    4     b  consideration          1
    5     b       purchase          0
    """
    if by is None:
        return read_frame(warehouse, "select * from stage_funnel order by stage_index")
    return read_frame(
        warehouse,
        "select * from stage_funnel_breakdown where dimension = $by "
        "order by dimension_type, value nulls first, stage_index",
        {"by": by},
    )


def durations(warehouse) -> pd.DataFrame:
    """Median and p90 seconds from first reaching each stage to first reaching the next
    (``stage_durations``).

    >>> durations(example_warehouse())[["from_stage", "to_stage", "customers", "median_seconds"]]
          from_stage       to_stage  customers  median_seconds
    0      awareness  consideration          2           450.0
    1  consideration       purchase          1           300.0
    """
    return read_frame(warehouse, "select * from stage_durations order by from_stage_index")


def transitions(warehouse, level: str = "stage") -> pd.DataFrame:
    """``stage_transitions`` (``level="stage"``) or ``touchpoint_transitions``
    (``level="touchpoint"``), ordered by from/to.

    >>> transitions(example_warehouse(), level="touchpoint").shape
    (5, 6)
    """
    table = _level_table(level, "{}_transitions")
    cols = "from_stage, to_stage" if level == "stage" else "from_touchpoint, to_touchpoint"
    return read_frame(warehouse, f"select * from {table} order by {cols}")


def drop_off(warehouse, level: str | None = None) -> pd.DataFrame:
    """Where journeys end without converting (``drop_off``); ``level`` 'stage' or
    'touchpoint' keeps one level.

    >>> drop_off(example_warehouse(), level="stage")[["exit_point", "ended", "dropped"]]
          exit_point  ended  dropped
    0      awareness      0        0
    1  consideration      1        1
    2       purchase      1        0
    """
    return _by_level(warehouse, "drop_off", level, "level, stage_index, exit_point")


def exit_paths(warehouse, level: str | None = None) -> pd.DataFrame:
    """The most frequent last 3 touchpoints before leaving, per exit point (``exit_paths``).

    >>> exit_paths(example_warehouse(), level="touchpoint")[["exit_point", "path"]]
                   exit_point                                      path
    0  web:page_view:/pricing  web:page_view:/ > web:page_view:/pricing
    """
    return _by_level(warehouse, "exit_paths", level, "level, exit_point, path_rank")


def variants(warehouse, level: str = "touchpoint", grain: str = "customer") -> pd.DataFrame:
    """The most frequent paths (``journey_variants``) for one level ('stage' |
    'touchpoint') and grain ('customer' | 'session'), with share and conversion rate.

    >>> variants(example_warehouse(), level="stage")[["variant", "journeys", "conversion_rate"]]
                                    variant  journeys  conversion_rate
    0             awareness > consideration         1              0.0
    1  awareness > consideration > purchase         1              1.0
    """
    if grain not in ("customer", "session"):
        raise ValueError(f"grain must be 'customer' or 'session', got {grain!r}")
    _level_table(level, "{}")
    return read_frame(
        warehouse,
        "select * from journey_variants where level = $level and grain = $grain order by variant_rank",
        {"level": level, "grain": grain},
    )



def loops(warehouse) -> pd.DataFrame:
    """Per touchpoint: repeats, A -> B -> A loops and steps back to an earlier stage
    (``touchpoint_loops``).

    >>> loops(example_warehouse())[["touchpoint", "repeats", "loops"]].head(2)
                   touchpoint  repeats  loops
    0         web:page_view:/        1      0
    1  web:page_view:/pricing        0      0
    """
    return read_frame(warehouse, "select * from touchpoint_loops order by touchpoint")


def _level_table(level: str, pattern: str) -> str:
    if level not in ("stage", "touchpoint"):
        raise ValueError(f"level must be 'stage' or 'touchpoint', got {level!r}")
    return pattern.format(level)


def _by_level(warehouse, table: str, level: str | None, order: str) -> pd.DataFrame:
    if level is None:
        return read_frame(warehouse, f"select * from {table} order by {order}")
    _level_table(level, "{}")
    return read_frame(
        warehouse, f"select * from {table} where level = $level order by {order}", {"level": level}
    )


def example_warehouse() -> duckdb.DuckDBPyConnection:
    """A tiny in-memory warehouse for the examples: customer ``u1`` (persona a) views the
    home page twice and pricing, then buys; ``u2`` (persona b) views home then pricing."""
    from ..config import parse_config
    from ..inference import build_journeys, create_empty_inputs

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_empty_inputs(con)
    rows = [
        ("e1", "page_view", "2024-01-01 10:00:00", "u1", "https://x.test/"),
        ("e2", "page_view", "2024-01-01 10:05:00", "u1", "https://x.test/"),
        ("e3", "page_view", "2024-01-01 10:10:00", "u1", "https://x.test/pricing"),
        ("e4", "purchase", "2024-01-01 10:15:00", "u1", None),
        ("e5", "page_view", "2024-01-02 09:00:00", "u2", "https://x.test/"),
        ("e6", "page_view", "2024-01-02 09:05:00", "u2", "https://x.test/pricing"),
    ]
    con.executemany(
        "insert into stg_events (event_id, source, channel, event_type, occurred_at, user_id, url) "
        "values (?, 'web', 'web', ?, ?::timestamptz, ?, ?)",
        rows,
    )
    con.execute(
        "insert into stg_profiles (source, user_id, attributes) values "
        "('crm', 'u1', '{\"persona\": \"a\"}'), ('crm', 'u2', '{\"persona\": \"b\"}')"
    )
    config = parse_config(
        {
            "sources": [{"name": "web", "path": "web/*.csv"}],
            "stages": {
                "order": ["awareness", "consideration", "purchase"],
                "conversion": "purchase",
                "rules": [
                    {"stage": "purchase", "event_type": "purchase"},
                    {"stage": "consideration", "event_type": "page_view", "match": {"url": "*/pricing*"}},
                ],
            },
        },
        Path("."),
    )
    build_journeys(con, config)
    return con
