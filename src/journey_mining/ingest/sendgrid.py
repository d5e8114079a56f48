"""Reader for SendGrid Event Webhook JSON (format ``sendgrid``).

Follows the Event Webhook reference
(https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event): each event is a
flat object with ``email``, ``timestamp`` (Unix seconds), ``event`` (processed, dropped,
delivered, deferred, bounce, open, click, spamreport, unsubscribe, group_unsubscribe,
group_resubscribe), ``sg_event_id``, ``sg_message_id``, ``smtp-id``, ``category`` (string or
array), ``url`` (click), ``useragent``, ``ip``, ``reason``/``status``/``type`` (bounce),
``marketing_campaign_id``/``marketing_campaign_name``, and the message's custom arguments
(``unique_args``) as top-level keys. A file is one webhook POST body (a JSON array of
events) or JSON lines (one event a line, ``.jsonl``/``.jsonl.gz``).

Default mapping (``source.columns`` / ``source.constants`` override it):

==============  =====================================================================
event_id        ``sg_event_id``
event_type      ``email_`` + ``event`` (email_delivered, email_open, email_click, ...)
occurred_at     ``timestamp`` (``DEFAULT_TIMESTAMP_FORMAT = "epoch_s"``)
email           ``email``
user_id         custom argument ``user_id``
url             ``url``
utm_source      ``utm_source`` of the click URL's query (medium, campaign likewise), URL-decoded
campaign        ``marketing_campaign_name``, else custom argument ``campaign``, else the
                first ``category``
properties      every other field (``category``, ``sg_message_id``, ``smtp-id``, ``useragent``,
                ``ip``, ``reason``, ``status``, ``type``, ``response``, other custom args ...),
                nested values kept as JSON
==============  =====================================================================

Fields for ``source.columns``: the events' top-level keys.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import SourceConfig
from .base import ReaderOutput, canonical_projection, ident, projected_fields, temp_name
from .jsonutil import (
    create_event_table,
    jptr,
    path_fields,
    read_json_values,
    remove_keys_sql,
    snake_sql,
    unique_fields,
)

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "epoch_s"

_J = "_jm_json"
# Every top-level value a row needs is taken from ONE parse of the record
# (json_extract with a list of paths): `_jm_vals[i]` is the JSON value of key i.
_VALS = "_jm_vals"


def _text(value: str) -> str:
    """Text of one JSON value: scalars unquoted, objects/arrays as JSON text (as
    :func:`json_text_sql` gives for a key of the record)."""
    return (
        f"case when json_type({value}) in ('OBJECT', 'ARRAY') "
        f"then ({value})::VARCHAR else json_extract_string({value}, '$') end"
    )


def _defaults(val) -> dict[str, str]:
    """The default mapping as SQL over ``val(key)``, the JSON value of a top-level key."""

    def s_(key: str) -> str:
        return f"nullif(json_extract_string({val(key)}, '$'), '')"

    def utm(name: str) -> str:
        raw = f"nullif(regexp_extract({s_('url')}, '[?&]{name}=([^&#]*)', 1), '')"
        decoded = f"replace({raw}, '+', ' ')"
        return f"coalesce(try(url_decode({decoded})), {decoded})"

    first_category = (
        f"case when json_type({val('category')}) = 'ARRAY' then nullif(json_extract_string({val('category')}, '$[0]'), '') "
        f"else {s_('category')} end"
    )
    return {
        "event_id": s_("sg_event_id"),
        "event_type": f"'email_' || {snake_sql(s_('event'))}",
        "occurred_at": s_("timestamp"),
        "email": s_("email"),
        "user_id": s_("user_id"),
        "url": s_("url"),
        "utm_source": utm("utm_source"),
        "utm_medium": utm("utm_medium"),
        "utm_campaign": utm("utm_campaign"),
        "campaign": f"coalesce({s_('marketing_campaign_name')}, {s_('campaign')}, {first_category})",
    }


# Fields the defaults read; `category` stays in properties (it may hold several values).
_CONSUMED = (
    "sg_event_id",
    "event",
    "timestamp",
    "email",
    "user_id",
    "url",
    "marketing_campaign_name",
    "campaign",
)
_KEYS = (*_CONSUMED, "category")  # the keys the defaults read


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = read_json_values(con, file, source.options.encoding)
    v, out = values.table, temp_name("sendgrid")
    con.execute(
        f"update {v} set _jm_error = 'not a JSON object: ' || left(_jm_raw, 80) "
        f"where _jm_error is null and json_type(_jm_json) <> 'OBJECT'"
    )
    fields = unique_fields(".".join(p) for p in path_fields(con, v, _J, 1, "_jm_error is null"))
    keys = list(dict.fromkeys([*fields, *_KEYS]))
    index = {k: i + 1 for i, k in enumerate(keys)}
    defaults = _defaults(lambda key: f"{_VALS}[{index[key]}]")
    cols = "".join(f", {_text(f'{_VALS}[{index[f]}]')} as {ident(f)}" for f in fields)
    used = projected_fields(source, fields, defaults, _CONSUMED)
    select, params = canonical_projection(
        source, fields, defaults, extra_properties_sql=remove_keys_sql(_J, sorted(used))
    )
    paths = "[" + ", ".join(jptr(k) for k in keys) + "]"
    create_event_table(
        con,
        out,
        f"select $f as file, _jm_line as line, _jm_raw as raw, _jm_error as error, {select} "
        f"from (select _jm_line, _jm_raw, _jm_error, _jm_json, {_VALS}{cols} from ("
        f"select *, json_extract({_J}, {paths}) as {_VALS} from {v}))",
        {"f": str(file), **params},
    )
    con.execute(f"drop table {v}")
    return ReaderOutput(out, values.position_kind)
