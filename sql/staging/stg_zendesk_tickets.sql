-- Zendesk reader, step 5 of 7: the usable tickets with their fields (API names), from the
-- members stg_zendesk_records extracted (_v) in its one parse of each ticket.
with

records as (
    select * from stg_zendesk_records where _err is null
),

final as (
    select
        _ord,
        _raw,
        _v[1] ->> '$' as ticket_id,
        nullif(_v[3] ->> '$', '') as subject,
        nullif(_v[4] ->> '$', '') as description,
        lower(nullif(_v[5] ->> '$', '')) as status,
        nullif(_v[6] ->> '$', '') as priority,
        nullif(_v[7] ->> '$', '') as ticket_type,
        case when json_type(_v[8]) = 'ARRAY' and json_array_length(_v[8]) > 0
            then _v[8]::varchar end as tags,
        nullif(_v[8] ->> '/0', '') as topic,
        nullif(_v[9] ->> '$', '') as via_channel,
        nullif(_v[10] ->> '$', '') as requester_id,
        nullif(_v[11] ->> '$', '') as assignee_id,
        nullif(_v[12] ->> '$', '') as group_id,
        nullif(_v[13] ->> '$', '') as organization_id,
        nullif(_v[2] ->> '$', '') as ticket_created_at,
        nullif(_v[14] ->> '$', '') as ticket_updated_at,
        _v[15] as comments,
        _v[16] as satisfaction_rating,
        _v[17] as requester
    from records
)

select * from final
