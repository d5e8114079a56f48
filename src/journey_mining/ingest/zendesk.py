"""Reader for Zendesk Support ticket exports (format ``zendesk``).

Follows the Zendesk Support API reference (https://developer.zendesk.com/api-reference/):
Tickets (``id``, ``created_at``, ``updated_at``, ``subject``, ``description``, ``status``
new/open/pending/hold/solved/closed, ``priority``, ``type``, ``requester_id``, ``tags``,
``via.channel``, ``satisfaction_rating`` {``id``, ``score``, ``comment``}), Ticket Comments
(``id``, ``author_id``, ``body``, ``public``, ``created_at``), Users (``id``, ``email``,
``external_id``, ``name``), Satisfaction Ratings (``id``, ``ticket_id``, ``requester_id``,
``score`` good/bad/offered/unoffered, ``comment``, ``created_at``), and the Incremental
Exports' side-loading (``include=users``).

Accepted files: documents (or JSON lines of documents) ``{"tickets": [...], "users": [...],
"comments": [...], "satisfaction_ratings": [...]}`` (all but one list optional; also
``{"ticket": {...}}``); or JSON lines / a JSON array of ticket objects. Top-level comments
need a ``ticket_id`` (the Comments API omits it); a ticket may instead embed its own
``comments`` array. Users and ratings are looked up across the whole file.

Each ticket yields several rows (``line`` = the ticket's ordinal in the file):

=================  ==================================================================
``ticket_created``  at ``created_at``; text = subject + blank line + description
``ticket_comment``  one per comment by the requester (or with no author); text = body.
                    The opening comment (same body as ``description`` and same
                    ``created_at`` as the ticket) IS the ticket's creation and is skipped.
``ticket_reply``    one per comment by anyone else (an agent)
``ticket_solved``   when status is solved or closed, at ``updated_at``
``csat_rated``      a rating scored good (score 1.0) or bad (0.0); text = its comment; at
                    the rating's ``created_at``, else the ticket's ``updated_at``. Ratings
                    from the top-level list win over the copy embedded in the ticket.
=================  ==================================================================

Identity: user_id = the requester's ``external_id``, email = the requester's ``email``
(side-loaded user, else an embedded ``requester`` object); when neither exists,
anonymous_id = ``zendesk:<requester_id>``. event_id = ``zd:<ticket>:created``,
``zd:<ticket>:comment:<comment id>``, ``zd:<ticket>:solved``, ``zd:<ticket>:csat:<rating
id>`` (deterministic, so re-exported tickets deduplicate). touchpoint stays NULL.
properties: ticket_id, subject, status, priority, ticket_type (the ticket's ``type``), tags, topic (the first tag),
via_channel, requester_id, assignee_id, group_id, organization_id, and comment_id /
author_id / public or rating_id / rating.

A ticket that is not an object or lacks ``id``/``created_at`` is one error row; so is a
top-level comment whose ticket is not in the file. Ratings whose ticket is not in the file
still yield ``csat_rated`` (identity from the rating's ``requester_id``); such rows and
error rows for orphans are numbered after the last ticket.

Fields for ``source.columns`` (the fixed layout this reader builds): event_kind, event_type,
event_id, occurred_at, text, score, ticket_id, subject, description, status, priority,
ticket_type, tags, topic, via_channel, requester_id, requester_external_id, requester_email,
requester_name, assignee_id, group_id, organization_id, ticket_created_at,
ticket_updated_at, comment_id, author_id, public, body, rating_id, rating, rating_comment.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..config import SourceConfig
from ..models import build_table
from .base import ReaderOutput, canonical_projection, is_utf8, temp_name
from .jsonutil import (
    _is_gz,
    _is_lines_suffix,
    create_event_table,
    max_object_size,
    read_json_values,
)

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "iso"

FIELDS = (
    "event_kind",
    "event_type",
    "event_id",
    "occurred_at",
    "text",
    "score",
    "ticket_id",
    "subject",
    "description",
    "status",
    "priority",
    "ticket_type",
    "tags",
    "topic",
    "via_channel",
    "requester_id",
    "requester_external_id",
    "requester_email",
    "requester_name",
    "assignee_id",
    "group_id",
    "organization_id",
    "ticket_created_at",
    "ticket_updated_at",
    "comment_id",
    "author_id",
    "public",
    "body",
    "rating_id",
    "rating",
    "rating_comment",
)

_DEFAULTS = {
    "user_id": "requester_external_id",
    "email": "requester_email",
    "anonymous_id": (
        "case when requester_external_id is null and requester_email is null "
        "and requester_id is not null then 'zendesk:' || requester_id end"
    ),
}

_PROPERTIES = (
    "case when error is null then json_merge_patch('{}', json_object("
    "'ticket_id', ticket_id, 'subject', subject, 'status', status, 'priority', priority, "
    "'ticket_type', ticket_type, 'tags', try_cast(tags as JSON), 'topic', topic, 'via_channel', via_channel, "
    "'requester_id', requester_id, 'assignee_id', assignee_id, 'group_id', group_id, "
    "'organization_id', organization_id, 'comment_id', comment_id, 'author_id', author_id, "
    "'public', try_cast(public as BOOLEAN), 'rating_id', rating_id, 'rating', rating)) end"
)


# The reader's SQL models (sql/staging/stg_zendesk_*.sql), run in this order over one file.
MODELS = (
    "stg_zendesk_values",
    "stg_zendesk_documents",
    "stg_zendesk_records",
    "stg_zendesk_users",
    "stg_zendesk_tickets",
    "stg_zendesk_event_rows",
    "stg_zendesk_event_fields",
)


# The models each model is the last to read (dropped once it is built).
_LAST_USED_BY = {
    "stg_zendesk_records": ("stg_zendesk_values",),
    "stg_zendesk_event_rows": ("stg_zendesk_documents", "stg_zendesk_records"),
    "stg_zendesk_event_fields": ("stg_zendesk_event_rows", "stg_zendesk_tickets", "stg_zendesk_users"),
}

# The models that turn one file's top-level JSON values into export documents; an export
# document file is read straight into documents instead (stg_zendesk_export, see
# :func:`_read_export`) and these two are skipped.
VALUE_MODELS = ("stg_zendesk_values", "stg_zendesk_documents")

# How far into a file the first line is looked for when deciding whether it is an export
# document ('{' starts a line that is not a whole JSON value, like read_json_values decides).
_HEAD_BYTES = 1 << 20


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = None
    try:
        if not _read_export(con, source, file):
            values = read_json_values(con, file, source.options.encoding)
            con.execute(f"create or replace temp view _zd_values as select * from {values.table}")
            for name in VALUE_MODELS:
                build_table(con, "staging", name, temp=True)
        for name in MODELS:
            if name not in VALUE_MODELS:
                build_table(con, "staging", name, temp=True)
            for done in _LAST_USED_BY.get(name, ()):  # an export's copies, freed as they go
                con.execute(f"drop table if exists {done}")
            if name == "stg_zendesk_records" and values is not None:
                con.execute("drop view _zd_values")
                con.execute(f"drop table {values.table}")
                values = None
        out = temp_name("zendesk")
        select, params = canonical_projection(source, FIELDS, _DEFAULTS, extra_properties_sql=_PROPERTIES)
        create_event_table(
            con,
            out,
            f"select $f as file, _line as line, raw, error, _seq, _pos, {select} from stg_zendesk_event_fields",
            {"f": str(file), **params},
            order_by="line, _seq, _pos, event_id",
        )
        con.execute("drop table stg_zendesk_event_fields")
    finally:
        for name in reversed(MODELS):
            con.execute(f"drop table if exists {name}")
        con.execute("drop view if exists _zd_values")
        if values is not None:
            con.execute(f"drop table if exists {values.table}")
    return ReaderOutput(out, "record")


def _read_export(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> bool:
    """Stage an export document file (``{"tickets": [...], "users": [...]}``, pretty-printed
    or one ticket a line) straight into ``stg_zendesk_documents`` with DuckDB's JSON reader
    (stg_zendesk_export): the document is never held whole as one JSON value and its text,
    parsed again per list (the general way, read_json_values, needed about 20x the file's
    size in memory: the 10M benchmark's 171 MB export ran out of memory at 3,000 MB).

    Only for a UTF-8 file whose first line starts an object that is not a whole JSON value
    (what read_json_values reads as a document) and when every top-level value is an export
    document whose lists are lists; otherwise (False) nothing is left behind and the file is
    read the general way, which gives the same rows."""
    if not is_utf8(source.options.encoding) or _is_lines_suffix(file) or not _starts_document(con, file):
        return False
    try:
        build_table(
            con,
            "staging",
            "stg_zendesk_export",
            {"file": str(file), "max_object_size": max_object_size(file)},
            target="stg_zendesk_documents",
            temp=True,
        )
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error:  # not only export documents (a list that is not a list, ...)
        con.execute("drop table if exists stg_zendesk_documents")
        return False
    n, documents = con.execute(
        "select count(*), count(*) filter (where is_document) from stg_zendesk_documents"
    ).fetchone()
    if n == 0 or documents < n:
        con.execute("drop table stg_zendesk_documents")
        return False
    # no bare values: the general steps' input is empty
    con.execute(
        "create or replace temp view _zd_values as select NULL::BIGINT as _jm_line, "
        "NULL::VARCHAR as _jm_raw, NULL::JSON as _jm_json, NULL::VARCHAR as _jm_error where false"
    )
    build_table(con, "staging", "stg_zendesk_values", temp=True)
    return True


def _starts_document(con: duckdb.DuckDBPyConnection, file: Path) -> bool:
    """The file's first line starts a JSON object but is not a whole JSON value."""
    import gzip

    opener = gzip.open if _is_gz(file) else open
    try:
        with opener(file, "rb") as fh:
            head = fh.readline(_HEAD_BYTES)
        line = head.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError):
        return False
    if not head.endswith(b"\n") or not line.lstrip(" ").startswith("{"):
        return False
    line = line.rstrip("\r\n")
    return con.execute("select try_cast($l as JSON) is null", {"l": line}).fetchone()[0]
