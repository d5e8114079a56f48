-- Zendesk reader, step 5 of 7: the usable tickets with their fields (API names).
with

records as (
    select * from stg_zendesk_records where _err is null
),

final as (
    select
        _ord,
        _raw,
        _j,
        _j ->> '/id' as ticket_id,
        nullif(_j ->> '/subject', '') as subject,
        nullif(_j ->> '/description', '') as description,
        lower(nullif(_j ->> '/status', '')) as status,
        nullif(_j ->> '/priority', '') as priority,
        nullif(_j ->> '/type', '') as ticket_type,
        case when json_type(_j -> '/tags') = 'ARRAY' and json_array_length(_j -> '/tags') > 0
            then (_j -> '/tags')::varchar end as tags,
        nullif(_j ->> '/tags/0', '') as topic,
        nullif(_j ->> '/via/channel', '') as via_channel,
        nullif(_j ->> '/requester_id', '') as requester_id,
        nullif(_j ->> '/assignee_id', '') as assignee_id,
        nullif(_j ->> '/group_id', '') as group_id,
        nullif(_j ->> '/organization_id', '') as organization_id,
        nullif(_j ->> '/created_at', '') as ticket_created_at,
        nullif(_j ->> '/updated_at', '') as ticket_updated_at
    from records
)

select * from final
