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

import tempfile
from pathlib import Path

import duckdb

from . import tables
from .config import Config
from .metrics.paths import build_path_metrics
from .metrics.signals import build_signal_metrics
from .schema import STG_EVENT_COLUMNS, STG_PROFILE_COLUMNS
from .sessions import timeout_seconds

__all__ = ["build_journeys", "create_empty_inputs", "journey_params", "MARTS"]

# The journey marts (declared in journey_mining.tables, like every table the build writes).
MARTS = tables.names("journeys", temporary=False)


def journey_params(config: Config) -> dict[str, object]:
    """The bound parameters of the journey models."""
    return {"timeout_seconds": timeout_seconds(config.timeout_minutes)}


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
    con: duckdb.DuckDBPyConnection, config: Config, *, keep_intermediate: bool = False,
    shard_dir: Path | None = None,
) -> None:
    """Build every table of the ``journeys``, ``signals`` and ``paths`` stages of
    :data:`journey_mining.tables.TABLES` (``events``, ``customers``, ``sessions``,
    ``identity_links``, then the metrics marts), each stage in dependency order.

    Reads ``stg_events`` and ``stg_profiles`` (a missing ``stg_profiles`` counts as empty).
    Intermediate ``int_*`` tables are temporary and dropped at the end unless
    ``keep_intermediate`` (then they are regular tables, for debugging). ``cfg_*`` tables
    hold the loaded rules and stay, so ``matched_rule`` can be looked up.

    With ``[execution] shards`` > 1 (or the ``dask`` executor) the per-customer tables are
    built per shard of customers in DuckDB files under ``shard_dir`` (default: a new temporary
    folder) and unioned (:mod:`journey_mining.shards`, docs/scale.md): the same tables.
    """
    create_empty_inputs(con, events=False)
    if config.execution.is_sharded:
        from .metrics.paths import path_params
        from .metrics.signals import signal_params
        from .shards import build_sharded_journeys

        folder = shard_dir or Path(tempfile.mkdtemp(prefix="journey-shards-"))
        # the metrics stages' per-customer partials are built in the shards too (the map);
        # here only their reduce, over the unioned partials
        metrics = {"signals": signal_params(config), "paths": path_params(config)}
        build_sharded_journeys(con, config, {**journey_params(config), **metrics["signals"], **metrics["paths"]},
                               folder, keep_intermediate=keep_intermediate, maps=tuple(metrics))
        for stage, params in metrics.items():
            tables.build_tables(con, config, stage, params, keep_intermediate=keep_intermediate,
                                only=tables.partial_plan(stage)[1])
        return
    tables.build_tables(con, config, "journeys", journey_params(config), keep_intermediate=keep_intermediate)
    build_signal_metrics(con, config, temp=not keep_intermediate)  # emotions, pain_points, attribution
    build_path_metrics(con, config, keep_intermediate=keep_intermediate)
