"""Touchpoints (CONTRACT.md section 6): where an event is met, e.g. ``web:page_view:/pricing``.

An event's raw touchpoint is the input's ``touchpoint`` when present, otherwise
``channel:event_type``, and for page views ``channel:page_view:<url path>`` (no scheme, host,
query or fragment). ``[[touchpoints.rules]]`` then rename or group them: the first rule in
file order whose glob (``GLOB``, case-sensitive) or regex (``regexp_full_match``) matches the
whole raw touchpoint gives its ``name`` (a regex name may use ``\\1``)::

    >>> import duckdb
    >>> from journey_mining.config import TouchpointRule
    >>> con = duckdb.connect()
    >>> load_touchpoint_rules(con, [TouchpointRule(0, "glob", "web:page_view:/blog/*", "web:blog")])
    >>> con.execute("select name from cfg_touchpoint_rules").fetchall()
    [('web:blog',)]

The rules are loaded into the table ``cfg_touchpoint_rules`` with bound parameters; the SQL
model ``sql/intermediate/int_event_touchpoints.sql`` applies them to each distinct raw
touchpoint once.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from .config import TouchpointRule

__all__ = ["load_touchpoint_rules"]


def load_touchpoint_rules(con: duckdb.DuckDBPyConnection, rules: Iterable[TouchpointRule]) -> None:
    """Replace ``cfg_touchpoint_rules`` with ``rules`` (kept in the warehouse for audit)."""
    con.execute(
        "create or replace table cfg_touchpoint_rules ("
        "rule_index integer, kind varchar, glob_pattern varchar, regex_pattern varchar, "
        "name varchar)"
    )
    rows = [
        (
            rule.index,
            rule.kind,
            rule.pattern if rule.kind == "glob" else None,
            rule.pattern if rule.kind == "regex" else None,
            rule.name,
        )
        for rule in rules
    ]
    if rows:
        con.executemany("insert into cfg_touchpoint_rules values (?, ?, ?, ?, ?)", rows)
