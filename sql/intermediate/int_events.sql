-- Loaded events with an integer key for joins between the intermediate models. The key is
-- internal: no output depends on its value (every ordering uses occurred_at, source,
-- event_id, which (source, event_id) makes unique).
with stg as (
    select * from stg_events
),

keyed as (
    select
        row_number() over () as event_key,
        *
    from stg
),

final as (
    select * from keyed
)

select * from final
