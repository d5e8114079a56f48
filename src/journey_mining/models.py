"""Run the SQL models in ``sql/`` (staging -> intermediate -> marts) against a connection.

Each ``.sql`` file is one model: a single ``select`` (import CTEs, named logic CTEs, a final
``select * from final``) that reads other models by table name. Config values are passed as
bound parameters (``$timeout_seconds``), never formatted into the text. Python decides how
a model is materialized; the SQL only says what it is::

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("create table stg_example as select 1 as x")
    >>> model_sql("staging", "stg_source_events")[:2]
    '--'
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from pathlib import Path

import duckdb

__all__ = ["sql_dir", "model_sql", "build_table", "model_params"]

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def sql_dir() -> Path:
    """The SQL models: ``sql/`` in a checkout, shipped in the wheel as package data of
    ``journey_mining.sql`` (read via ``importlib.resources``).

    >>> sorted(p.name for p in sql_dir().iterdir() if p.is_dir())
    ['intermediate', 'marts', 'report', 'staging']
    """
    return Path(str(importlib.resources.files("journey_mining.sql")))


@cache
def model_sql(layer: str, name: str) -> str:
    path = sql_dir() / layer / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def model_params(sql: str, params: dict[str, object] | None) -> dict[str, object]:
    """Only the parameters the model names (DuckDB rejects unused named parameters)."""
    wanted = set(_PARAM.findall(_strip_comments(sql)))
    params = params or {}
    missing = wanted - set(params)
    if missing:
        raise KeyError(f"SQL model needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in wanted}


def build_table(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    name: str,
    params: dict[str, object] | None = None,
    *,
    target: str | None = None,
    temp: bool = False,
) -> str:
    """Materialize model ``layer/name`` as a table (replaced: models are rebuilt, never
    appended, so a re-run gives the same table)."""
    sql = model_sql(layer, name)
    target = target or name
    kind = "temp table" if temp else "table"
    con.execute(f'create or replace {kind} "{target}" as\n{sql}', model_params(sql, params))
    return target


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
