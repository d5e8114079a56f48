-- The non-user identifiers (anonymous_id, email) seen on events or profiles: the nodes whose
-- connected components are identity clusters. node_id follows the typed key 'type:value',
-- so a cluster's smallest node is its smallest key.
with events as (
    select anonymous_id, email from int_events
),

profiles as (
    select anonymous_id, email from int_profiles
),

records as (
    select * from events
    union all
    select * from profiles
),

identifiers as (
    select distinct 'anonymous_id' as id_type, anonymous_id as id_value
    from records where anonymous_id is not null
    union
    select distinct 'email', email
    from records where email is not null
),

final as (
    select
        row_number() over (order by id_type || ':' || id_value) as node_id,
        id_type,
        id_value,
        id_type || ':' || id_value as node_key
    from identifiers
)

select * from final
