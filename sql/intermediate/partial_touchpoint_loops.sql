-- Stored per-customer partial (tables.STORED_PARTIALS): one row per customer and touchpoint
-- it has events at: events, repeats (events directly followed, in raw order, by another event
-- of the same touchpoint), loops (runs of it coming back to it after exactly one other
-- touchpoint, A -> B -> A in the collapsed sequence) and back_steps (events of it directly
-- followed by an event of an earlier stage). The reduce model touchpoint_loops sums it.
with path_events as (
    select customer_id, touchpoint, previous_touchpoint, is_repeat, is_back_step
    from int_path_events
),

runs as (
    select customer_id, node, node_after_next
    from int_path_runs
    where level = 'touchpoint' and node_after_next = node
),

customer_counts as (
    select
        touchpoint,
        customer_id,
        count(*) as events,
        count(*) filter (where is_repeat) as repeats
    from path_events
    group by touchpoint, customer_id
),

customer_back_steps as (
    select previous_touchpoint as touchpoint, customer_id, count(*) as back_steps
    from path_events
    where is_back_step
    group by previous_touchpoint, customer_id
),

customer_loops as (
    select node as touchpoint, customer_id, count(*) as loops
    from runs
    group by node, customer_id
),

final as (
    select
        customer_counts.customer_id,
        customer_counts.touchpoint,
        customer_counts.events,
        customer_counts.repeats,
        coalesce(customer_loops.loops, 0) as loops,
        coalesce(customer_back_steps.back_steps, 0) as back_steps
    from customer_counts
    left join customer_loops using (touchpoint, customer_id)
    left join customer_back_steps using (touchpoint, customer_id)
)

select * from final
