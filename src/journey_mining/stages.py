"""Stages (CONTRACT.md section 4): which journey stage each event is in.

Rules are tried in file order and the first matching one wins. A rule's conditions are
ANDed; each condition is a *group* met when any of its values is:

- ``channel``: the event's channel equals one of the values;
- ``event_type``: one of the globs matches (DuckDB ``GLOB``: whole string, case-sensitive);
- ``match = {column = globs}``: one group per column, a canonical column or
  ``properties.<path>`` (read with ``json_extract_string``);
- ``min`` / ``max``: one group per bound, inclusive, numeric (``properties.<path>`` cast with
  ``try_cast(... as double)``); a NULL value fails the bound;
- ``after = S``: only when the customer's furthest stage over the events before this one is S
  or later (so never on a customer's first event).

An event matching no rule carries the stage of the customer's previous event, or the first
stage of ``stages.order``. ``stage_index`` is the 0-based position in ``stages.order``;
``matched_rule`` the 0-based index of the rule in the file (NULL when carried forward).

Rules become rows of ``cfg_stages``, ``cfg_stage_rules`` and ``cfg_stage_rule_conditions``
(inserted with bound parameters); the SQL in ``sql/intermediate/int_stage_*.sql`` and
``int_event_*.sql`` is static::

    >>> from journey_mining.config import StageRule
    >>> rule = StageRule(0, "advocacy", 5, event_type=("nps",), min={"score": 9.0})
    >>> condition_rows(rule)
    [(0, 'event_type', 'event_type', None, 'nps', None), (0, 'min', 'score', None, None, 9.0)]
"""

from __future__ import annotations

import duckdb

from .config import PROPERTIES_PREFIX, StageRule, StagesConfig

__all__ = ["load_stage_rules", "condition_rows", "json_path"]

def json_path(column: str) -> str | None:
    """The JSON path of a ``properties.<path>`` column (``'$."a"."b"'``), else None."""
    if not column.startswith(PROPERTIES_PREFIX):
        return None
    segments = column[len(PROPERTIES_PREFIX) :].split(".")
    return "$." + ".".join(f'"{segment}"' for segment in segments)


def condition_rows(rule: StageRule) -> list[tuple]:
    """Rows of ``cfg_stage_rule_conditions`` for one rule:
    (rule_index, condition_kind, column_name, json_path, pattern, bound)."""
    rows: list[tuple] = []
    for value in rule.channel or ():
        rows.append((rule.index, "channel", "channel", None, value, None))
    for pattern in rule.event_type or ():
        rows.append((rule.index, "event_type", "event_type", None, pattern, None))
    for column, patterns in rule.match.items():
        for pattern in patterns:
            rows.append((rule.index, "match", column, json_path(column), pattern, None))
    for kind, bounds in (("min", rule.min), ("max", rule.max)):
        for column, bound in bounds.items():
            rows.append((rule.index, kind, column, json_path(column), None, float(bound)))
    return rows


def _condition_groups(rule: StageRule) -> int:
    return (
        (rule.channel is not None)
        + (rule.event_type is not None)
        + len(rule.match)
        + len(rule.min)
        + len(rule.max)
    )


def load_stage_rules(con: duckdb.DuckDBPyConnection, stages: StagesConfig) -> None:
    """Replace ``cfg_stages``, ``cfg_stage_rules`` and ``cfg_stage_rule_conditions`` (kept in
    the warehouse, so an event's ``matched_rule`` can be looked up)."""
    con.execute(
        "create or replace table cfg_stages (stage_index integer, stage varchar, is_conversion boolean)"
    )
    con.executemany(
        "insert into cfg_stages values (?, ?, ?)",
        [(i, stage, stage == stages.conversion) for i, stage in enumerate(stages.order)],
    )
    con.execute(
        "create or replace table cfg_stage_rules (rule_index integer, stage varchar, "
        "stage_index integer, after_stage varchar, after_index integer, condition_groups integer)"
    )
    con.execute(
        "create or replace table cfg_stage_rule_conditions (rule_index integer, "
        "condition_kind varchar, column_name varchar, json_path varchar, pattern varchar, "
        "bound double)"
    )
    if not stages.rules:
        return
    _insert(
        con,
        "cfg_stage_rules",
        ("rule_index", "stage", "stage_index", "after_stage", "after_index", "condition_groups"),
        [
            (r.index, r.stage, r.stage_index, r.after, r.after_index, _condition_groups(r))
            for r in stages.rules
        ],
    )
    conditions = [row for rule in stages.rules for row in condition_rows(rule)]
    if conditions:
        _insert(
            con,
            "cfg_stage_rule_conditions",
            ("rule_index", "condition_kind", "column_name", "json_path", "pattern", "bound"),
            conditions,
        )


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` in one statement through an Arrow table (``executemany`` costs ~1 ms
    a row: 10,000 rules took 27 s). Values stay data, never SQL text."""
    import pyarrow as pa

    data = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
    con.register("_jm_cfg_rows", data)
    try:
        con.execute(f"insert into {table} by name select * from _jm_cfg_rows")
    finally:
        con.unregister("_jm_cfg_rows")
