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


def _t(j: str, *keys: str) -> str:
    """Non-empty text at ``j`` -> keys (keys are fixed names of the Zendesk API)."""
    return f"nullif({j}->>'/{'/'.join(keys)}', '')"


def _is_env(j: str, err: str) -> str:
    return (
        f"coalesce({err} is null and json_type({j}) = 'OBJECT' and ("
        f"json_type({j}->'/tickets') = 'ARRAY' or json_type({j}->'/users') = 'ARRAY' "
        f"or json_type({j}->'/satisfaction_ratings') = 'ARRAY' "
        f"or json_type({j}->'/ticket') = 'OBJECT'), false)"
    )


def _score(s: str) -> str:
    return (
        f"case when starts_with(lower({s}), 'good') then '1.0' "
        f"when starts_with(lower({s}), 'bad') then '0.0' end"
    )


def _elements(table: str, keep: str, array: str) -> str:
    """Rows ``keep, _el, _pos`` (0-based) for the elements of the JSON array ``array`` in each
    row of ``table`` (``unnest(from_json(...))``: json_each copies its input per element)."""
    return (
        f"select {keep}, unnest(_l) as _el, unnest(range(len(_l))) as _pos from ("
        f"select {keep}, from_json({array}, '[\"JSON\"]') as _l from {table} "
        f"where json_type({array}) = 'ARRAY')"
    )


_ENVELOPE = (
    '{"tickets": ["JSON"], "users": ["JSON"], "comments": ["JSON"], '
    '"satisfaction_ratings": ["JSON"], "ticket": "JSON"}'
)


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    values = read_json_values(con, file, source.options.encoding)
    v = values.table
    envs, rec, tk, tl, users, ev, out = (
        temp_name(p) for p in ("zd_env", "zd_rec", "zd_tk", "zd_tl", "zd_users", "zd_ev", "zendesk")
    )
    env = _is_env("v._jm_json", "v._jm_error")
    # ---- documents ({"tickets": [...], ...}), parsed once into lists of elements
    con.execute(
        f"create temp table {envs} as select _vline, s.tickets, s.users, s.comments, "
        f"s.satisfaction_ratings as ratings, "
        f"case when json_type(s.ticket) = 'OBJECT' then s.ticket end as ticket from ("
        f"select v._jm_line as _vline, from_json(v._jm_json, '{_ENVELOPE}') as s from {v} v where {env})"
    )
    elements = "select _vline, unnest({a}) as _el, unnest(range(len({a}))) as _pos from {t} where {a} is not null"
    # ---- records: every ticket (from documents or bare) or unparseable value, in order
    con.execute(
        f"create temp table {rec} as "
        f"select row_number() over (order by _vline, _sub) as _ord, _raw, _j, "
        f"coalesce(_err, case when coalesce(json_type(_j), 'NULL') <> 'OBJECT' "
        f"then 'ticket is not a JSON object: ' || left(_raw, 80) "
        f"when {_t('_j', 'id')} is null then 'ticket has no id' "
        f"when {_t('_j', 'created_at')} is null then 'ticket has no created_at' end) as _err from ("
        f"select v._jm_line as _vline, 0 as _sub, v._jm_raw as _raw, v._jm_json as _j, v._jm_error as _err "
        f"from {v} v where not {env} "
        f"union all select _vline, _pos + 1, coalesce(_el::VARCHAR, 'null'), _el, NULL "
        f"from ({elements.format(a='tickets', t=envs)}) "
        f"union all select _vline, 0, ticket::VARCHAR, ticket, NULL from {envs} where ticket is not null)"
    )
    n_rec = con.sql(f"select count(*) from {rec}").fetchall()[0][0]
    # ---- side-loaded users (the last copy of a user wins)
    con.execute(
        f"create temp table {users} as select id, email, external_id, name from ("
        f"select _el->>'/id' as id, {_t('_el', 'email')} as email, "
        f"{_t('_el', 'external_id')} as external_id, {_t('_el', 'name')} as name, "
        f"row_number() over (partition by _el->>'/id' order by _vline desc, _pos desc) as rn "
        f"from ({elements.format(a='users', t=envs)}) where json_type(_el) = 'OBJECT') "
        f"where rn = 1 and id is not null"
    )
    # ---- valid tickets with their requester
    con.execute(
        f"create temp table {tk} as select r._ord, r._raw, r._j, "
        f"r._j->>'/id' as ticket_id, {_t('r._j', 'subject')} as subject, "
        f"{_t('r._j', 'description')} as description, lower({_t('r._j', 'status')}) as status, "
        f"{_t('r._j', 'priority')} as priority, {_t('r._j', 'type')} as ticket_type, "
        f"case when json_type(r._j->'/tags') = 'ARRAY' and json_array_length(r._j->'/tags') > 0 "
        f"then (r._j->'/tags')::VARCHAR end as tags, {_t('r._j', 'tags', '0')} as topic, "
        f"{_t('r._j', 'via', 'channel')} as via_channel, {_t('r._j', 'requester_id')} as requester_id, "
        f"{_t('r._j', 'assignee_id')} as assignee_id, {_t('r._j', 'group_id')} as group_id, "
        f"{_t('r._j', 'organization_id')} as organization_id, "
        f"{_t('r._j', 'created_at')} as ticket_created_at, {_t('r._j', 'updated_at')} as ticket_updated_at "
        f"from {rec} r where r._err is null"
    )
    # the latest copy of each ticket, for top-level comments and ratings
    con.execute(
        f"create temp table {tl} as select * from {tk} "
        f"qualify row_number() over (partition by ticket_id order by _ord desc) = 1"
    )
    # ---- event candidates (ticket-level columns joined afterwards through _ord)
    comment_cols = (
        "{c}->>'/id' as comment_id, {c}->>'/author_id' as author_id, {c}->>'/public' as public, "
        "{c}->>'/body' as body, {c}->>'/created_at' as c_at"
    )
    in_tickets = _elements(tk, "_ord", "_j->'/comments'")
    embedded_c = (
        f"select _ord, _pos, coalesce(_el::VARCHAR, 'null') as _raw, _el as _c, 0 as _src, "
        f"{comment_cols.format(c='_el')} from ({in_tickets})"
    )
    toplevel_c = (
        f"select _vline, _pos, coalesce(_el::VARCHAR, 'null') as _raw, _el as _c, "
        f"_el->>'/ticket_id' as _tid, {comment_cols.format(c='_el')} "
        f"from ({elements.format(a='comments', t=envs)})"
    )
    ratings = (
        f"select _vline, _pos, coalesce(_el::VARCHAR, 'null') as _raw, _el as _r "
        f"from ({elements.format(a='ratings', t=envs)})"
    )
    con.execute(
        f"create temp table {ev} as "
        f"with ec as ({embedded_c}), tc as ({toplevel_c}), tr as ({ratings}), "
        # top-level comments: attached to the latest copy of their ticket, unless embedded too
        f"tcj as (select tc.*, tl._ord from tc left join {tl} tl on tl.ticket_id = tc._tid "
        f"  where not exists (select 1 from ec join {tk} t using (_ord) where t.ticket_id = tc._tid "
        f"  and ec.comment_id = tc.comment_id)), "
        f"comments as (select _ord, _pos, 0 as _src, _raw, _c, comment_id, author_id, public, body, c_at from ec "
        f"  union all select _ord, _pos, 1, _raw, _c, comment_id, author_id, public, body, c_at from tcj where _ord is not null), "
        f"trj as (select tr.*, tl._ord, tl.ticket_id as _tl_tid from tr left join {tl} tl on tl.ticket_id = tr._r->>'/ticket_id' "
        f"  where coalesce(json_type(tr._r), 'NULL') <> 'OBJECT' or {_score(_t('tr._r', 'score'))} is not null), "
        # orphans (no ticket in the file) are numbered after the last ticket
        f"orphans as (select *, {n_rec} + row_number() over (order by _vline, _kind, _pos) as _oline from ("
        f"  select _vline, 0 as _kind, _pos, _raw, _tid, NULL::JSON as _r from tcj where _ord is null "
        f"  union all select _vline, 1, _pos, _raw, NULL, _r from trj where _ord is null)) "
        # ticket_created
        f"select t._ord as _line, 0 as _seq, 0 as _pos, t._raw as raw, NULL as error, t._ord as _tord, "
        f"'created' as event_kind, 'ticket_created' as event_type, 'zd:' || t.ticket_id || ':created' as event_id, "
        f"t.ticket_created_at as occurred_at, "
        f"nullif(concat_ws(chr(10) || chr(10), t.subject, t.description), '') as text, NULL as score, "
        f"NULL as rq_fallback, NULL as tid_fallback, NULL as comment_id, NULL as author_id, NULL as public, NULL as body, "
        f"NULL as rating_id, NULL as rating, NULL as rating_comment from {tk} t "
        # comments (not the opening one, which is the creation itself)
        f"union all select c._ord, 1, c._src * 1000000000 + c._pos, c._raw, "
        f"case when coalesce(json_type(c._c), 'NULL') <> 'OBJECT' then 'comment is not a JSON object: ' || left(c._raw, 80) end, c._ord, "
        f"'comment', case when json_type(c._c) = 'OBJECT' then case when nullif(c.author_id, '') is null "
        f"or c.author_id = t.requester_id then 'ticket_comment' else 'ticket_reply' end end, "
        f"'zd:' || t.ticket_id || ':comment:' || coalesce(nullif(c.comment_id, ''), '@' || (c._pos + 1)::VARCHAR), "
        f"nullif(c.c_at, ''), nullif(c.body, ''), NULL, NULL, NULL, nullif(c.comment_id, ''), nullif(c.author_id, ''), "
        f"c.public, nullif(c.body, ''), NULL, NULL, NULL "
        f"from comments c join {tk} t using (_ord) "
        f"where not coalesce(json_type(c._c) = 'OBJECT' and trim(c.body) = trim(t.description) "
        f"and c.c_at = t.ticket_created_at, false) "
        # ticket_solved
        f"union all select t._ord, 2, 0, t._raw, NULL, t._ord, 'solved', 'ticket_solved', "
        f"'zd:' || t.ticket_id || ':solved', t.ticket_updated_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        f"NULL, NULL, NULL from {tk} t where t.status in ('solved', 'closed') "
        # csat from the top-level ratings (ticket in the file or not)
        f"union all select coalesce(r._ord, o._oline), 3, r._pos, r._raw, "
        f"case when coalesce(json_type(r._r), 'NULL') <> 'OBJECT' then 'satisfaction rating is not a JSON object: ' || left(r._raw, 80) end, "
        f"r._ord, 'csat', case when json_type(r._r) = 'OBJECT' then 'csat_rated' end, "
        f"'zd:' || coalesce(r._tl_tid, {_t('r._r', 'ticket_id')}, '?') || ':csat' || coalesce(':' || {_t('r._r', 'id')}, ''), "
        f"coalesce({_t('r._r', 'created_at')}, t.ticket_updated_at), {_t('r._r', 'comment')}, "
        f"{_score(_t('r._r', 'score'))}, {_t('r._r', 'requester_id')}, {_t('r._r', 'ticket_id')}, NULL, NULL, NULL, NULL, "
        f"{_t('r._r', 'id')}, lower({_t('r._r', 'score')}), {_t('r._r', 'comment')} "
        f"from trj r left join {tk} t on t._ord = r._ord "
        f"left join orphans o on r._ord is null and o._kind = 1 and o._vline = r._vline and o._pos = r._pos "
        # csat embedded in the ticket, unless the top-level list has that rating
        f"union all select t._ord, 3, -1, (t._j->'/satisfaction_rating')::VARCHAR, NULL, t._ord, 'csat', 'csat_rated', "
        f"'zd:' || t.ticket_id || ':csat' || coalesce(':' || {_t('t._j', 'satisfaction_rating', 'id')}, ''), "
        f"coalesce({_t('t._j', 'satisfaction_rating', 'created_at')}, t.ticket_updated_at), "
        f"{_t('t._j', 'satisfaction_rating', 'comment')}, {_score(_t('t._j', 'satisfaction_rating', 'score'))}, "
        f"NULL, NULL, NULL, NULL, NULL, NULL, {_t('t._j', 'satisfaction_rating', 'id')}, "
        f"lower({_t('t._j', 'satisfaction_rating', 'score')}), {_t('t._j', 'satisfaction_rating', 'comment')} "
        f"from {tk} t where json_type(t._j->'/satisfaction_rating') = 'OBJECT' "
        f"and {_score(_t('t._j', 'satisfaction_rating', 'score'))} is not null "
        f"and not exists (select 1 from tr where tr._r->>'/ticket_id' = t.ticket_id and ("
        f"{_t('t._j', 'satisfaction_rating', 'id')} is null or tr._r->>'/id' is null "
        f"or tr._r->>'/id' = {_t('t._j', 'satisfaction_rating', 'id')})) "
        # top-level comments whose ticket is not in the file
        f"union all select o._oline, 0, 0, o._raw, "
        f"case when o._tid is null then 'comment has no ticket_id' "
        f"else 'comment refers to ticket ' || o._tid || ', which is not in this file' end, "
        f"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, o._tid, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
        f"from orphans o where o._kind = 0 "
        # tickets that cannot be used
        f"union all select r._ord, 0, 0, r._raw, r._err, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        f"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL from {rec} r where r._err is not null"
    )
    select, params = canonical_projection(
        source, FIELDS, _DEFAULTS, extra_properties_sql=_PROPERTIES
    )
    create_event_table(
        con,
        out,
        f"select $f as file, _line as line, raw, error, _seq, _pos, {select} from ("
        f"select e._line, e._seq, e._pos, e.raw, e.error, e.event_kind, e.event_type, e.event_id, "
        f"e.occurred_at, e.text, e.score, coalesce(t.ticket_id, e.tid_fallback) as ticket_id, t.subject, t.description, t.status, t.priority, "
        f"t.ticket_type, t.tags, t.topic, t.via_channel, "
        f"coalesce(t.requester_id, e.rq_fallback) as requester_id, "
        f"coalesce(u.external_id, {_t('t._j', 'requester', 'external_id')}) as requester_external_id, "
        f"coalesce(u.email, {_t('t._j', 'requester', 'email')}) as requester_email, "
        f"coalesce(u.name, {_t('t._j', 'requester', 'name')}) as requester_name, "
        f"t.assignee_id, t.group_id, t.organization_id, t.ticket_created_at, t.ticket_updated_at, "
        f"e.comment_id, e.author_id, e.public, e.body, e.rating_id, e.rating, e.rating_comment "
        f"from {ev} e left join {tk} t on t._ord = e._tord "
        f"left join {users} u on u.id = coalesce(t.requester_id, e.rq_fallback))",
        {"f": str(file), **params},
        order_by="line, _seq, _pos, event_id",
    )
    for t in (v, envs, rec, tk, tl, users, ev):
        con.execute(f"drop table {t}")
    return ReaderOutput(out, "record")
