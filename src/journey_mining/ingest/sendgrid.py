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
    json_text_sql,
    path_fields,
    read_json_values,
    remove_keys_sql,
    snake_sql,
    unique_fields,
)

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "epoch_s"

_J = "_jm_json"


def _s(key: str) -> str:
    return f"nullif({_J}->>{jptr(key)}, '')"


def _utm(name: str) -> str:
    raw = f"nullif(regexp_extract({_s('url')}, '[?&]{name}=([^&#]*)', 1), '')"
    decoded = f"replace({raw}, '+', ' ')"
    return f"coalesce(try(url_decode({decoded})), {decoded})"


_FIRST_CATEGORY = (
    f"case when json_type({_J}->{jptr('category')}) = 'ARRAY' then nullif({_J}->>{jptr('category', '0')}, '') "
    f"else {_s('category')} end"
)

_DEFAULTS = {
    "event_id": _s("sg_event_id"),
    "event_type": f"'email_' || {snake_sql(_s('event'))}",
    "occurred_at": _s("timestamp"),
    "email": _s("email"),
    "user_id": _s("user_id"),
    "url": _s("url"),
    "utm_source": _utm("utm_source"),
    "utm_medium": _utm("utm_medium"),
    "utm_campaign": _utm("utm_campaign"),
    "campaign": f"coalesce({_s('marketing_campaign_name')}, {_s('campaign')}, {_FIRST_CATEGORY})",
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


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = read_json_values(con, file, source.options.encoding)
    v, out = values.table, temp_name("sendgrid")
    con.execute(
        f"update {v} set _jm_error = 'not a JSON object: ' || left(_jm_raw, 80) "
        f"where _jm_error is null and json_type(_jm_json) <> 'OBJECT'"
    )
    fields = unique_fields(".".join(p) for p in path_fields(con, v, _J, 1, "_jm_error is null"))
    cols = "".join(f", {json_text_sql(_J, (f,))} as {ident(f)}" for f in fields)
    used = projected_fields(source, fields, _DEFAULTS, _CONSUMED)
    select, params = canonical_projection(
        source, fields, _DEFAULTS, extra_properties_sql=remove_keys_sql(_J, sorted(used))
    )
    create_event_table(
        con,
        out,
        f"select $f as file, _jm_line as line, _jm_raw as raw, _jm_error as error, {select} "
        f"from (select _jm_line, _jm_raw, _jm_error, _jm_json{cols} from {v})",
        {"f": str(file), **params},
    )
    con.execute(f"drop table {v}")
    return ReaderOutput(out, values.position_kind)
