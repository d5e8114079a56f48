-- One row per customer (a stitched identity with at least one event). furthest_stage is
-- the highest stage among its events; converted: at or past stages.conversion. identifiers
-- counts the typed identifiers on its events; attributes merges the profile rows that
-- describe it (later rows win), '{}' when none.
with customer_events as (
    select customer_id, occurred_at, channel, session_index, stage_index from events
),

customer_users as (
    select customer_id, max(customer_user_id) as user_id
    from int_event_customers
    group by customer_id
),

identifier_counts as (
    select customer_id, count(*) as identifiers
    from int_customer_identifiers
    group by customer_id
),

customer_attributes as (
    select customer_id, attributes from int_customer_attributes
),

stages as (
    select stage_index, stage, is_conversion from cfg_stages
),

conversion_stage as (
    select min(stage_index) as conversion_index from stages where is_conversion
),

customer_rollup as (
    select
        customer_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as events,
        max(session_index) as sessions,
        array_to_string(list_sort(list_distinct(list(channel))), ',') as channels,
        max(stage_index) as furthest_stage_index
    from customer_events
    group by customer_id
),

final as (
    select
        customer_rollup.customer_id,
        customer_users.user_id,
        customer_rollup.first_seen_at,
        customer_rollup.last_seen_at,
        customer_rollup.events,
        customer_rollup.sessions,
        customer_rollup.channels,
        stages.stage as furthest_stage,
        customer_rollup.furthest_stage_index,
        customer_rollup.furthest_stage_index >= conversion_stage.conversion_index as converted,
        coalesce(identifier_counts.identifiers, 0) as identifiers,
        coalesce(customer_attributes.attributes, '{}'::json) as attributes
    from customer_rollup
    cross join conversion_stage
    inner join stages on stages.stage_index = customer_rollup.furthest_stage_index
    inner join customer_users using (customer_id)
    left join identifier_counts using (customer_id)
    left join customer_attributes using (customer_id)
)

select * from final
