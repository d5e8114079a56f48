"""Journey inference: from ``stg_events`` and ``stg_profiles`` to the analysts' tables.

``build_journeys`` runs the SQL models in ``sql/intermediate`` and ``sql/marts`` in order:
identities (``identity``), touchpoints (``touchpoints``), sessions (``sessions``), stages
(``stages``), then the marts ``events``, ``sessions``, ``customers`` and ``identity_links``.
Config values reach SQL only as bound parameters or as rows of the ``cfg_*`` tables. See
``docs/definitions.md`` for every definition and choice::

    >>> import duckdb
    >>> from journey_mining.config import parse_config
    >>> from pathlib import Path
    >>> config = parse_config({"sources": [{"name": "web", "path": "web/*.csv"}]}, Path("."))
    >>> con = duckdb.connect()
    >>> _ = con.execute("set TimeZone = 'UTC'")
    >>> create_empty_inputs(con)
    >>> build_journeys(con, config)
    >>> con.execute("select count(*) from customers").fetchone()
    (0,)
"""

from __future__ import annotations

import duckdb

from .config import Config
from .identity import describe_customers, stitch_identities
from .metrics.paths import build_path_metrics
from .metrics.signals import build_signal_metrics
from .models import build_table
from .schema import STG_EVENT_COLUMNS, STG_PROFILE_COLUMNS
from .sessions import sessionize
from .stages import assign_stages, load_stage_rules
from .touchpoints import assign_touchpoints, load_touchpoint_rules

__all__ = ["build_journeys", "create_empty_inputs", "MARTS", "INTERMEDIATE_TABLES"]

# Replaced on every run (create or replace): the marts are rebuilt from the staged inputs,
# so a re-run gives identical tables.
MARTS = ("events", "sessions", "customers", "identity_links")
INTERMEDIATE_TABLES = (
    "int_events",
    "int_profiles",
    "int_identity_link_evidence",
    "int_identity_nodes",
    "int_identity_edges",
    "int_identity_labels",
    "int_identity_clusters",
    "int_event_customers",
    "int_event_touchpoints",
    "int_event_sessions",
    "int_stage_condition_checks",
    "int_event_rule_matches",
    "int_stage_levels",
    "int_event_stages",
    "int_customer_identifiers",
    "int_customer_profiles",
    "int_customer_attributes",
)

def _columns_sql(columns: dict[str, str]) -> str:
    return ", ".join(f'"{name}" {kind}' for name, kind in columns.items())


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    try:
        con.execute(f'select * from "{name}" limit 0')
    except duckdb.CatalogException:
        return False
    return True


def create_empty_inputs(con: duckdb.DuckDBPyConnection, *, events: bool = True) -> None:
    """Create empty ``stg_profiles`` (and, with ``events``, ``stg_events``) temp tables where
    they are missing."""
    if events and not _table_exists(con, "stg_events"):
        columns = _columns_sql(STG_EVENT_COLUMNS)
        con.execute(f"create temp table stg_events ({columns})")
    if not _table_exists(con, "stg_profiles"):
        con.execute(f"create temp table stg_profiles ({_columns_sql(STG_PROFILE_COLUMNS)})")


def build_journeys(
    con: duckdb.DuckDBPyConnection, config: Config, *, keep_intermediate: bool = False
) -> None:
    """Build the ``events``, ``customers``, ``sessions`` and ``identity_links`` tables.

    Reads ``stg_events`` and ``stg_profiles`` (a missing ``stg_profiles`` counts as empty).
    Intermediate ``int_*`` tables are temporary and dropped at the end unless
    ``keep_intermediate`` (then they are regular tables, for debugging). ``cfg_*`` tables
    hold the loaded rules and stay, so ``matched_rule`` can be looked up.
    """
    create_empty_inputs(con, events=False)
    temp = not keep_intermediate
    load_stage_rules(con, config.stages)
    load_touchpoint_rules(con, config.touchpoint_rules)
    build_table(con, "intermediate", "int_events", temp=temp)
    build_table(con, "intermediate", "int_profiles", temp=temp)
    stitch_identities(con, temp=temp)
    assign_touchpoints(con, temp=temp)
    sessionize(con, config.timeout_minutes, temp=temp)
    assign_stages(con, temp=temp)
    describe_customers(con, temp=temp)
    for mart in MARTS:
        build_table(con, "marts", mart)
    build_signal_metrics(con, config, temp=temp)  # emotions, pain_points, attribution
    if not keep_intermediate:
        for name in INTERMEDIATE_TABLES:
            con.execute(f'drop table if exists "{name}"')
    build_path_metrics(con, config, keep_intermediate=keep_intermediate)
