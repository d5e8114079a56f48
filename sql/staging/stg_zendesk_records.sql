-- Zendesk reader, step 3 of 7: every ticket (bare, in a document's list or a document's
-- single ticket) or unusable value, numbered in file order (_ord); _err says why a record
-- cannot be used as a ticket. Each record is parsed once: _v holds the JSON values of the
-- members the reader uses (_v[1] /id ... _v[17] /requester; stg_zendesk_tickets names them),
-- so later steps never parse the whole record again.
with

bare_values as (
    select _jm_line as _vline, 0 as _sub, _jm_raw as _raw, _jm_json as _j, _jm_error as _err
    from stg_zendesk_values
    where not is_document
),

listed_tickets as (
    select _vline, _pos + 1 as _sub, coalesce(_el::varchar, 'null') as _raw, _el as _j
    from (
        select _vline, unnest(tickets) as _el, unnest(range(len(tickets))) as _pos
        from stg_zendesk_documents
        where tickets is not null
    )
),

single_tickets as (
    select _vline, 0 as _sub, ticket::varchar as _raw, ticket as _j
    from stg_zendesk_documents
    where ticket is not null
),

all_records as (
    select * from bare_values
    union all by name
    select * from listed_tickets
    union all by name
    select * from single_tickets
),

parsed as (
    select
        _vline,
        _sub,
        _raw,
        _err,
        json_type(_j) as _type,
        json_extract(_j, [
            '/id', '/created_at', '/subject', '/description', '/status', '/priority', '/type',
            '/tags', '/via/channel', '/requester_id', '/assignee_id', '/group_id',
            '/organization_id', '/updated_at', '/comments', '/satisfaction_rating', '/requester'
        ]) as _v
    from all_records
),

final as (
    select
        row_number() over (order by _vline, _sub) as _ord,
        _raw,
        _v,
        coalesce(
            _err,
            case
                when coalesce(_type, 'NULL') <> 'OBJECT' then 'ticket is not a JSON object: ' || left(_raw, 80)
                when nullif(_v[1] ->> '$', '') is null then 'ticket has no id'
                when nullif(_v[2] ->> '$', '') is null then 'ticket has no created_at'
            end
        ) as _err
    from parsed
)

select * from final
