"""Helpers for the journey-inference tests: tiny hand-built stg tables and configs.

Not a pytest conftest (imported explicitly): ``from .conftest_inference import ...``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from journey_mining.config import Config, parse_config
from journey_mining.inference import build_journeys
from journey_mining.schema import STG_EVENT_COLUMNS, STG_PROFILE_COLUMNS

STG_EVENTS = STG_EVENT_COLUMNS
STG_PROFILES = STG_PROFILE_COLUMNS
TABLES = ("events", "sessions", "customers", "identity_links")
DEFAULT_RULES = [
    {"stage": "purchase", "event_type": ["purchase", "order_completed"]},
    {"stage": "consideration", "channel": "web", "event_type": "page_view",
     "match": {"url": ["*/pricing*", "*/compare*"]}},
    {"stage": "retention", "event_type": "order", "after": "purchase"},
    {"stage": "purchase", "event_type": "order"},
    {"stage": "advocacy", "event_type": "nps", "min": {"score": 9}, "max": {"score": 10}},
]


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def ts(value: str) -> datetime:
    """'2024-01-01 10:00:00' (UTC) -> aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _create(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[dict]):
    con.execute(f'create or replace table "{name}" ({", ".join(f"{c} {t}" for c, t in columns.items())})')
    if not rows:
        return
    placeholders = ", ".join("?" for _ in columns)
    values = []
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"unknown columns {unknown}"
        values.append([_value(row.get(c), t) for c, t in columns.items()])
    con.executemany(f'insert into "{name}" values ({placeholders})', values)


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "TIMESTAMPTZ" and isinstance(value, str):
        return ts(value)
    if kind == "JSON" and not isinstance(value, str):
        return json.dumps(value)
    return value


def make_stg(con: duckdb.DuckDBPyConnection, events: list[dict], profiles: list[dict] = ()) -> None:
    """Create ``stg_events`` / ``stg_profiles`` from dicts. Events default to source/channel
    'web', event_type 'page_view'; source_file/source_line are filled in."""
    rows = []
    for i, event in enumerate(events):
        row = {"source": "web", "channel": "web", "event_type": "page_view",
               "source_file": "test.csv", "source_line": i + 1, **event}
        rows.append(row)
    profile_rows = [
        {"source": "crm", "source_file": "crm.csv", "source_line": i + 1, **p}
        for i, p in enumerate(profiles)
    ]
    _create(con, "stg_events", STG_EVENTS, rows)
    _create(con, "stg_profiles", STG_PROFILES, profile_rows)


def make_config(
    rules: list[dict] | None = None,
    touchpoints: list[dict] | None = None,
    timeout_minutes: float = 30,
    order: list[str] | None = None,
    conversion: str | None = None,
) -> Config:
    stages: dict = {"rules": DEFAULT_RULES if rules is None else rules}
    if order is not None:
        stages["order"] = order
    if conversion is not None:
        stages["conversion"] = conversion
    data = {
        "sessions": {"timeout_minutes": timeout_minutes},
        "stages": stages,
        "sources": [{"name": "web", "path": "web/*.csv"}],
        "touchpoints": {"rules": touchpoints or []},
    }
    return parse_config(data, Path("."))


def build(events: list[dict], profiles: list[dict] = (), config: Config | None = None):
    """Build the journey tables for ``events`` on a fresh connection; return it."""
    con = connect()
    make_stg(con, events, profiles)
    build_journeys(con, config or make_config())
    return con


def run(events: list[dict], profiles: list[dict] = (), config: Config | None = None):
    """Build the journey tables for ``events``; return them as DataFrames."""
    con = build(events, profiles, config)
    return {name: con.execute(f'select * from "{name}"').df() for name in TABLES}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """All rows of a query, as tuples."""
    return con.execute(sql).fetchall()


def anon_id(cluster_key: str) -> str:
    """The expected customer_id of an anonymous cluster whose smallest identifier is this."""
    return "anon:" + hashlib.md5(cluster_key.encode()).hexdigest()[:16]


def by_event(tables: dict[str, pd.DataFrame], column: str) -> dict[str, object]:
    """event_id -> value of ``column`` in the events table."""
    events = tables["events"]
    return dict(zip(events["event_id"], events[column], strict=True))
