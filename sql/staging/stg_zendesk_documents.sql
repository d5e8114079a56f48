-- Zendesk reader, step 2 of 7: export documents parsed once into lists of elements.
with

documents as (
    select
        _jm_line as _vline,
        from_json(
            _jm_json,
            '{"tickets": ["JSON"], "users": ["JSON"], "comments": ["JSON"], "satisfaction_ratings": ["JSON"], "ticket": "JSON"}'
        ) as s
    from stg_zendesk_values
    where is_document
),

final as (
    select
        _vline,
        s.tickets,
        s.users,
        s.comments,
        s.satisfaction_ratings as ratings,
        case when json_type(s.ticket) = 'OBJECT' then s.ticket end as ticket
    from documents
)

select * from final
