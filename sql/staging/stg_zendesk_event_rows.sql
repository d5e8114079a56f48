-- Zendesk reader, step 6 of 7: the event candidates of one file, one row per event (or
-- error); ticket-level columns are joined afterwards through _tord (step 7).
--   _line: the ticket's ordinal (_ord); orphans (no ticket in the file) after the last one
--   _seq:  0 created, 1 comment, 2 solved, 3 csat (ordering within a ticket)
--   _pos:  position within the ticket's comments / the ratings list
with

tickets as (
    select * from stg_zendesk_tickets
),

-- the latest copy of each ticket, for top-level comments and ratings
latest_tickets as (
    select * from tickets
    qualify row_number() over (partition by ticket_id order by _ord desc) = 1
),

record_count as (
    select count(*) as n from stg_zendesk_records
),

embedded_comments as (
    select
        _ord, _pos, coalesce(_el::varchar, 'null') as _raw, _el as _c, 0 as _src,
        _el ->> '/id' as comment_id, _el ->> '/author_id' as author_id, _el ->> '/public' as public,
        _el ->> '/body' as body, _el ->> '/created_at' as c_at
    from (
        select _ord, unnest(_l) as _el, unnest(range(len(_l))) as _pos
        from (
            select _ord, from_json(comments, '["JSON"]') as _l
            from tickets
            where json_type(comments) = 'ARRAY'
        )
    )
),

toplevel_comments as (
    select
        _vline, _pos, coalesce(_el::varchar, 'null') as _raw, _el as _c, _el ->> '/ticket_id' as _tid,
        _el ->> '/id' as comment_id, _el ->> '/author_id' as author_id, _el ->> '/public' as public,
        _el ->> '/body' as body, _el ->> '/created_at' as c_at
    from (
        select _vline, unnest(comments) as _el, unnest(range(len(comments))) as _pos
        from stg_zendesk_documents
        where comments is not null
    )
),

toplevel_ratings as (
    select _vline, _pos, coalesce(_el::varchar, 'null') as _raw, _el as _r
    from (
        select _vline, unnest(ratings) as _el, unnest(range(len(ratings))) as _pos
        from stg_zendesk_documents
        where ratings is not null
    )
),

-- top-level comments: attached to the latest copy of their ticket, unless embedded too
toplevel_comments_joined as (
    select tc.*, lt._ord
    from toplevel_comments tc
    left join latest_tickets lt on lt.ticket_id = tc._tid
    where not exists (
        select 1 from embedded_comments ec join tickets t using (_ord)
        where t.ticket_id = tc._tid and ec.comment_id = tc.comment_id
    )
),

comments as (
    select _ord, _pos, 0 as _src, _raw, _c, comment_id, author_id, public, body, c_at
    from embedded_comments
    union all
    select _ord, _pos, 1, _raw, _c, comment_id, author_id, public, body, c_at
    from toplevel_comments_joined
    where _ord is not null
),

scored_ratings as (
    select
        tr.*,
        lt._ord,
        lt.ticket_id as _tl_tid,
        case
            when starts_with(lower(nullif(tr._r ->> '/score', '')), 'good') then '1.0'
            when starts_with(lower(nullif(tr._r ->> '/score', '')), 'bad') then '0.0'
        end as score_value
    from toplevel_ratings tr
    left join latest_tickets lt on lt.ticket_id = tr._r ->> '/ticket_id'
),

ratings as (
    select * from scored_ratings
    where coalesce(json_type(_r), 'NULL') <> 'OBJECT' or score_value is not null
),

-- orphans (no ticket in the file) are numbered after the last ticket
orphans as (
    select *, (select n from record_count) + row_number() over (order by _vline, _kind, _pos) as _oline
    from (
        select _vline, 0 as _kind, _pos, _raw, _tid, NULL::json as _r
        from toplevel_comments_joined where _ord is null
        union all
        select _vline, 1, _pos, _raw, NULL, _r
        from ratings where _ord is null
    )
),

embedded_ratings as (
    select
        t.*,
        nullif(t.satisfaction_rating ->> '/id', '') as rating_id_value,
        nullif(t.satisfaction_rating ->> '/score', '') as rating_score,
        case
            when starts_with(lower(nullif(t.satisfaction_rating ->> '/score', '')), 'good') then '1.0'
            when starts_with(lower(nullif(t.satisfaction_rating ->> '/score', '')), 'bad') then '0.0'
        end as score_value
    from tickets t
    where json_type(t.satisfaction_rating) = 'OBJECT'
),

created_rows as (
    select
        _ord as _line, 0 as _seq, 0 as _pos, _raw as raw, _ord as _tord,
        'created' as event_kind, 'ticket_created' as event_type, 'zd:' || ticket_id || ':created' as event_id,
        ticket_created_at as occurred_at,
        nullif(concat_ws(chr(10) || chr(10), subject, description), '') as text
    from tickets
),

-- comments, but not the opening one (same body as the description, same created_at as
-- the ticket): that IS the ticket's creation
comment_rows as (
    select
        c._ord as _line, 1 as _seq, c._src * 1000000000 + c._pos as _pos, c._raw as raw,
        case when coalesce(json_type(c._c), 'NULL') <> 'OBJECT'
            then 'comment is not a JSON object: ' || left(c._raw, 80) end as error,
        c._ord as _tord,
        'comment' as event_kind,
        case when json_type(c._c) = 'OBJECT' then
            case when nullif(c.author_id, '') is null or c.author_id = t.requester_id
                then 'ticket_comment' else 'ticket_reply' end
        end as event_type,
        'zd:' || t.ticket_id || ':comment:' || coalesce(nullif(c.comment_id, ''), '@' || (c._pos + 1)::varchar) as event_id,
        nullif(c.c_at, '') as occurred_at,
        nullif(c.body, '') as text,
        nullif(c.comment_id, '') as comment_id,
        nullif(c.author_id, '') as author_id,
        c.public,
        nullif(c.body, '') as body
    from comments c
    join tickets t using (_ord)
    where not coalesce(
        json_type(c._c) = 'OBJECT' and trim(c.body) = trim(t.description) and c.c_at = t.ticket_created_at,
        false
    )
),

solved_rows as (
    select
        _ord as _line, 2 as _seq, 0 as _pos, _raw as raw, _ord as _tord,
        'solved' as event_kind, 'ticket_solved' as event_type, 'zd:' || ticket_id || ':solved' as event_id,
        ticket_updated_at as occurred_at
    from tickets
    where status in ('solved', 'closed')
),

-- csat from the top-level ratings (ticket in the file or not)
toplevel_csat_rows as (
    select
        coalesce(r._ord, o._oline) as _line, 3 as _seq, r._pos, r._raw as raw,
        case when coalesce(json_type(r._r), 'NULL') <> 'OBJECT'
            then 'satisfaction rating is not a JSON object: ' || left(r._raw, 80) end as error,
        r._ord as _tord,
        'csat' as event_kind,
        case when json_type(r._r) = 'OBJECT' then 'csat_rated' end as event_type,
        'zd:' || coalesce(r._tl_tid, nullif(r._r ->> '/ticket_id', ''), '?') || ':csat'
            || coalesce(':' || nullif(r._r ->> '/id', ''), '') as event_id,
        coalesce(nullif(r._r ->> '/created_at', ''), t.ticket_updated_at) as occurred_at,
        nullif(r._r ->> '/comment', '') as text,
        r.score_value as score,
        nullif(r._r ->> '/requester_id', '') as rq_fallback,
        nullif(r._r ->> '/ticket_id', '') as tid_fallback,
        nullif(r._r ->> '/id', '') as rating_id,
        lower(nullif(r._r ->> '/score', '')) as rating,
        nullif(r._r ->> '/comment', '') as rating_comment
    from ratings r
    left join tickets t on t._ord = r._ord
    left join orphans o on r._ord is null and o._kind = 1 and o._vline = r._vline and o._pos = r._pos
),

-- csat embedded in the ticket, unless the top-level list has that rating
embedded_csat_rows as (
    select
        e._ord as _line, 3 as _seq, -1 as _pos, e.satisfaction_rating::varchar as raw, e._ord as _tord,
        'csat' as event_kind, 'csat_rated' as event_type,
        'zd:' || e.ticket_id || ':csat' || coalesce(':' || e.rating_id_value, '') as event_id,
        coalesce(nullif(e.satisfaction_rating ->> '/created_at', ''), e.ticket_updated_at) as occurred_at,
        nullif(e.satisfaction_rating ->> '/comment', '') as text,
        e.score_value as score,
        e.rating_id_value as rating_id,
        lower(e.rating_score) as rating,
        nullif(e.satisfaction_rating ->> '/comment', '') as rating_comment
    from embedded_ratings e
    where e.score_value is not null
        and not exists (
            select 1 from toplevel_ratings tr
            where tr._r ->> '/ticket_id' = e.ticket_id
                and (e.rating_id_value is null or tr._r ->> '/id' is null or tr._r ->> '/id' = e.rating_id_value)
        )
),

-- top-level comments whose ticket is not in the file
orphan_comment_rows as (
    select
        _oline as _line, 0 as _seq, 0 as _pos, _raw as raw,
        case when _tid is null then 'comment has no ticket_id'
            else 'comment refers to ticket ' || _tid || ', which is not in this file' end as error,
        _tid as tid_fallback
    from orphans
    where _kind = 0
),

-- tickets that cannot be used
bad_ticket_rows as (
    select _ord as _line, 0 as _seq, 0 as _pos, _raw as raw, _err as error
    from stg_zendesk_records
    where _err is not null
),

final as (
    select * from created_rows
    union all by name select * from comment_rows
    union all by name select * from solved_rows
    union all by name select * from toplevel_csat_rows
    union all by name select * from embedded_csat_rows
    union all by name select * from orphan_comment_rows
    union all by name select * from bad_ticket_rows
)

select * from final
