-- Stored per-customer partial (tables.STORED_PARTIALS): one row per customer, narrow: the
-- channel of its first event (first_channel), whether it converted (customers.converted) and
-- its whole collapsed sequence at each level (stage_nodes / touchpoint_nodes, in run order;
-- NULL when it has no run at that level). The reduce models journey_variants (customer
-- grain), exit_paths (the last 3 touchpoint runs) and int_customer_groups
-- (first_touch_channel) read it. Paths are collected unordered and sorted by position
-- (list_sort), cheaper than an ordered aggregate.
with runs as (
    select level, customer_id, run_index, node from int_path_runs
),

first_events as (
    select customer_id, channel from events where event_index = 1
),

customers as (
    select customer_id, converted from customers
),

customer_nodes as (
    select
        customer_id,
        list_transform(
            list_sort(list(struct_pack(run_index := run_index, node := node))
                filter (where level = 'stage')),
            lambda step: step.node
        ) as stage_nodes,
        list_transform(
            list_sort(list(struct_pack(run_index := run_index, node := node))
                filter (where level = 'touchpoint')),
            lambda step: step.node
        ) as touchpoint_nodes
    from runs
    group by customer_id
),

final as (
    select
        customers.customer_id,
        first_events.channel as first_channel,
        customers.converted as is_converted,
        customer_nodes.stage_nodes,
        customer_nodes.touchpoint_nodes
    from customers
    left join first_events using (customer_id)
    left join customer_nodes using (customer_id)
)

select * from final
