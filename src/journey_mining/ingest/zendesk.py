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
from .base import ReaderOutput, canonical_projection, temp_name
from .jsonutil import create_event_table, read_json_values

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


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = read_json_values(con, file, source.options.encoding)
    con.execute(f"create or replace temp view _zd_values as select * from {values.table}")
    try:
        for name in MODELS:
            build_table(con, "staging", name, temp=True)
        out = temp_name("zendesk")
        select, params = canonical_projection(source, FIELDS, _DEFAULTS, extra_properties_sql=_PROPERTIES)
        create_event_table(
            con,
            out,
            f"select $f as file, _line as line, raw, error, _seq, _pos, {select} from stg_zendesk_event_fields",
            {"f": str(file), **params},
            order_by="line, _seq, _pos, event_id",
        )
    finally:
        for name in reversed(MODELS):
            con.execute(f"drop table if exists {name}")
        con.execute("drop view if exists _zd_values")
        con.execute(f"drop table if exists {values.table}")
    return ReaderOutput(out, "record")
