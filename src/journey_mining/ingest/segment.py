"""Reader for Segment Tracking API messages (format ``segment``).

Follows the Segment Spec (https://segment.com/docs/connections/spec/, now at
https://www.twilio.com/docs/segment/connections/spec): the common fields (``type``,
``messageId``, ``userId``, ``anonymousId``, ``context``, ``timestamp``,
``originalTimestamp``, ``sentAt``, ``receivedAt``) and the ``track``, ``page``, ``screen``,
``identify``, ``group`` and ``alias`` calls. Input: one message per line (``.jsonl``,
``.jsonl.gz``), a JSON array of messages, or HTTP API batch documents
``{"batch": [...], "context": {...}, "sentAt": ...}`` (batch-level ``context`` is merged
under each message's own; batch ``sentAt`` is the last timestamp fallback).

Default mapping (``source.columns`` / ``source.constants`` override it):

==============  =====================================================================
event_id        ``messageId``
event_type      track: ``event`` in snake_case ("Order Completed" -> ``order_completed``);
                page -> ``page_view``; screen -> ``screen_view``; identify, group, alias
                -> the type itself (a message without ``type`` but with ``event`` is a track)
occurred_at     ``timestamp``, else ``originalTimestamp``, ``sentAt``, ``receivedAt`` (ISO-8601)
user_id         ``userId``
anonymous_id    ``anonymousId``; alias: ``previousId`` (so stitching links the two ids)
email           ``traits.email``, ``context.traits.email``, ``properties.email``
url, referrer   ``context.page.url`` / ``.referrer``, else ``properties.url`` / ``.referrer``
utm_source      ``context.campaign.source`` (medium, name likewise); campaign: ``context.campaign.name``
revenue         ``properties.revenue``, else ``properties.total``
score           ``properties.score``, else ``properties.rating``
text            ``properties.text``, ``properties.comment``, ``properties.review_body``
properties      the message's ``properties`` object, plus ``name``/``category`` (page, screen),
                ``traits`` (identify, group) and ``group_id`` (group)
==============  =====================================================================

Fields for ``source.columns``: every key path down to three levels, dotted
(``userId``, ``properties.plan``, ``context.page.path``, ``context.traits.email``).

``line``: the physical line in a JSON-lines file (``position_kind = "line"``); when the file
is a JSON document or holds batch documents, the message's ordinal in the file
(``position_kind = "record"``). A line or element that is not a JSON object is an error row;
so is a message whose ``userId``, ``anonymousId``, ``previousId`` or ``messageId`` is a JSON
array or object (an id is a string or a number).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ..config import SourceConfig
from .base import ReaderOutput, canonical_projection, ident, literal, temp_name
from .jsonutil import (
    create_event_table,
    jptr,
    json_value_text,
    path_fields,
    read_json_values,
    snake_sql,
    unique_fields,
)

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "iso"

_J = "_jm_json"
_S = "_jm_s"  # the message parsed once into the struct below
_VALS = "_jm_vals"  # the values of the message's fields (source.columns), from one parse
_V = "VARCHAR"
_STRUCTURE = json.dumps(
    {
        **dict.fromkeys(
            (
                "type",
                "event",
                "messageId",
                "userId",
                "anonymousId",
                "previousId",
                "timestamp",
                "originalTimestamp",
                "sentAt",
                "receivedAt",
                "_jm_batch_sent_at",
            ),
            _V,
        ),
        **dict.fromkeys(("properties", "traits", "name", "category", "groupId"), "JSON"),
        "context": {
            "traits": {"email": _V},
            "page": {"url": _V, "referrer": _V},
            "campaign": {"source": _V, "medium": _V, "name": _V},
        },
    }
)


_ID_KEYS = ("userId", "anonymousId", "previousId", "messageId")


def _s(*keys: str) -> str:
    """Non-empty text at a path of the message (properties/traits: JSON members)."""
    if keys[0] in ("properties", "traits"):
        return f"nullif({_S}.{keys[0]}->>{jptr(*keys[1:])}, '')"
    return "nullif(" + _S + "".join(f"[{literal(k)}]" for k in keys) + ", '')"


def _first(*paths: tuple[str, ...]) -> str:
    return "coalesce(" + ", ".join(_s(*p) for p in paths) + ")"


_TYPE = f"lower({_s('type')})"
_DEFAULTS = {
    "event_id": _s("messageId"),
    "event_type": (
        f"case when {_TYPE} = 'track' or ({_TYPE} is null and {_s('event')} is not null) "
        f"then {snake_sql(_s('event'))} "
        f"when {_TYPE} = 'page' then 'page_view' when {_TYPE} = 'screen' then 'screen_view' "
        f"else {snake_sql(_TYPE)} end"
    ),
    "occurred_at": _first(
        ("timestamp",), ("originalTimestamp",), ("sentAt",), ("receivedAt",), ("_jm_batch_sent_at",)
    ),
    "user_id": _s("userId"),
    "anonymous_id": (
        f"case when {_TYPE} = 'alias' then {_first(('previousId',), ('anonymousId',))} "
        f"else {_s('anonymousId')} end"
    ),
    "email": _first(("traits", "email"), ("context", "traits", "email"), ("properties", "email")),
    "url": _first(("context", "page", "url"), ("properties", "url")),
    "referrer": _first(("context", "page", "referrer"), ("properties", "referrer")),
    "utm_source": _s("context", "campaign", "source"),
    "utm_medium": _s("context", "campaign", "medium"),
    "utm_campaign": _s("context", "campaign", "name"),
    "campaign": _s("context", "campaign", "name"),
    "revenue": _first(("properties", "revenue"), ("properties", "total")),
    "score": _first(("properties", "score"), ("properties", "rating")),
    "text": _first(
        ("properties", "text"), ("properties", "comment"), ("properties", "review_body")
    ),
}


def _obj(key: str) -> str:
    """The member object without null members; a non-object value v as {"<key>": v}."""
    v = f"{_S}.{key}"
    return (
        f"case coalesce(json_type({v}), 'NULL') when 'OBJECT' then json_merge_patch('{{}}', {v}) "
        f"when 'NULL' then '{{}}'::JSON else json_object({literal(key)}, {v}) end"
    )


# traits (identify, group), then the properties object, then page/screen name and category
# and the group id; later members win. Nulls are dropped first so nothing gets removed.
_PROPERTIES = (
    f"case when _jm_error is null then json_merge_patch(json_merge_patch("
    f"case when {_TYPE} in ('identify', 'group') then {_obj('traits')} else '{{}}'::JSON end, "
    f"{_obj('properties')}), "
    f"json_merge_patch('{{}}', json_object("
    f"'name', case when {_TYPE} in ('page', 'screen') then {_S}.name end, "
    f"'category', case when {_TYPE} in ('page', 'screen') then {_S}.category end, "
    f"'group_id', case when {_TYPE} = 'group' then {_S}.groupId end)))::VARCHAR end"
)


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = read_json_values(con, file, source.options.encoding)
    msgs, out = temp_name("seg_msg"), temp_name("segment")
    v = values.table
    is_batch = (
        f"coalesce(_jm_error is null and json_type(_jm_json) = 'OBJECT' "
        f"and json_type(_jm_json->{jptr('batch')}) = 'ARRAY', false)"
    )
    n_batch = con.sql(f"select count(*) from {v} where {is_batch}").fetchall()[0][0]
    if n_batch:
        # Batch documents: one row per message; batch context under the message's own.
        con.execute(
            f"create temp table {msgs} as "
            f"select row_number() over (order by _jm_line, _sub) as _jm_line, _jm_raw, _jm_json, _jm_error from ("
            f"select _jm_line, 0 as _sub, _jm_raw, _jm_json, _jm_error from {v} where not ({is_batch}) "
            f"union all "
            f"select _vline, _pos + 1 as _sub, coalesce(_el::VARCHAR, 'null') as _jm_raw, "
            f"case when json_type(_el) = 'OBJECT' then json_merge_patch(_el, json_object("
            f"'context', case when json_type(_ctx) = 'OBJECT' then "
            f"json_merge_patch(_ctx, coalesce(_el->'/context', '{{}}'::JSON)) "
            f"else _el->'/context' end, "
            f"'_jm_batch_sent_at', _sent)) else _el end as _jm_json, "
            f"case when coalesce(json_type(_el), 'NULL') <> 'OBJECT' "
            f"then 'not a JSON object: ' || left(coalesce(_el::VARCHAR, 'null'), 80) end as _jm_error "
            # unnest(from_json(...)): json_each would copy the whole document per element
            f"from (select _vline, _ctx, _sent, unnest(_l) as _el, unnest(range(len(_l))) as _pos from ("
            f"select _jm_line as _vline, _jm_json->'/context' as _ctx, _jm_json->'/sentAt' as _sent, "
            f"from_json(_jm_json->{jptr('batch')}, '[\"JSON\"]') as _l from {v} where {is_batch})))"
        )
        con.execute(f"drop table {v}")
        position_kind = "record"
    else:
        con.execute(
            f"create temp table {msgs} as select _jm_line, _jm_raw, _jm_json, coalesce(_jm_error, "
            f"case when json_type(_jm_json) <> 'OBJECT' then 'not a JSON object: ' || left(_jm_raw, 80) end) "
            f"as _jm_error from {v}"
        )
        con.execute(f"drop table {v}")
        position_kind = values.position_kind
    # An id must be a string or a number: userId ["u1"] or {"id": 1} is not one customer.
    # (one parse of each message for all four keys; the first key in _ID_KEYS order names it)
    ids = f"json_extract(_jm_json, [{', '.join(jptr(k) for k in _ID_KEYS)}])"
    reason = "case " + " ".join(
        f"when json_type(_ids[{i}]) in ('ARRAY', 'OBJECT') then {literal(k)} || ' is a JSON ' || "
        f"lower(json_type(_ids[{i}])) || ', not an id: ' || left(_ids[{i}]::VARCHAR, 80)"
        for i, k in enumerate(_ID_KEYS, 1)
    ) + " end"
    con.execute(
        f"update {msgs} set _jm_error = r._reason from (select _jm_line as _l, {reason} as _reason "
        f"from (select _jm_line, {ids} as _ids from {msgs} where _jm_error is null)) r "
        f"where {msgs}._jm_line = r._l and r._reason is not null"
    )
    paths = [
        p for p in path_fields(con, msgs, _J, 3, "_jm_error is null") if p != ("_jm_batch_sent_at",)
    ]
    names = {".".join(p): p for p in reversed(paths)}  # first path wins a dotted-name clash
    fields = unique_fields(".".join(p) for p in paths)
    # every field's value from ONE parse of the message (a list of paths), its text from that
    # value (what json_text_sql gives for the path)
    cols = "".join(f", {json_value_text(f'{_VALS}[{i}]')} as {ident(f)}" for i, f in enumerate(fields, 1))
    vals = f", json_extract({_J}, [{', '.join(jptr(*names[f]) for f in fields)}]) as {_VALS}" if fields else ""
    select, params = canonical_projection(
        source, fields, _DEFAULTS, extra_properties_sql=_PROPERTIES
    )
    create_event_table(
        con,
        out,
        f"select $f as file, _jm_line as line, _jm_raw as raw, _jm_error as error, {select} "
        f"from (select *{cols} from (select _jm_line, _jm_raw, _jm_error, "
        f"from_json(_jm_json, {literal(_STRUCTURE)}) as {_S}{vals} from {msgs}))",
        {"f": str(file), **params},
    )
    con.execute(f"drop table {msgs}")
    return ReaderOutput(out, position_kind)
