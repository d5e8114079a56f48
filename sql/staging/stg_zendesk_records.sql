-- Zendesk reader, step 3 of 7: every ticket (bare, in a document's list or a document's
-- single ticket) or unusable value, numbered in file order (_ord); _err says why a record
-- cannot be used as a ticket.
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

final as (
    select
        row_number() over (order by _vline, _sub) as _ord,
        _raw,
        _j,
        coalesce(
            _err,
            case
                when coalesce(json_type(_j), 'NULL') <> 'OBJECT' then 'ticket is not a JSON object: ' || left(_raw, 80)
                when nullif(_j ->> '/id', '') is null then 'ticket has no id'
                when nullif(_j ->> '/created_at', '') is null then 'ticket has no created_at'
            end
        ) as _err
    from all_records
)

select * from final
