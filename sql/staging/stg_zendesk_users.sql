-- Zendesk reader, step 4 of 7: side-loaded users (the last copy of a user wins).
with

listed_users as (
    select _vline, unnest(users) as _el, unnest(range(len(users))) as _pos
    from stg_zendesk_documents
    where users is not null
),

ranked as (
    select
        _el ->> '/id' as id,
        nullif(_el ->> '/email', '') as email,
        nullif(_el ->> '/external_id', '') as external_id,
        nullif(_el ->> '/name', '') as name,
        row_number() over (partition by _el ->> '/id' order by _vline desc, _pos desc) as rn
    from listed_users
    where json_type(_el) = 'OBJECT'
),

final as (
    select id, email, external_id, name
    from ranked
    where rn = 1 and id is not null
)

select * from final
