-- One row per touchpoint: how often journeys go round in circles there. events / journeys:
-- its events and the customers with any; repeats: events directly followed, in raw order, by
-- another event of the same touchpoint (A -> A, before collapsing); loops: runs of it that
-- come back to it after exactly one other touchpoint (A -> B -> A in the collapsed sequence);
-- back_steps: events of it directly followed by an event of an earlier stage (e.g. decision
-- -> consideration). customers_*: distinct customers with at least one; *_rate: those
-- customers / journeys.
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

customer_rollup as (
    select
        customer_counts.touchpoint,
        customer_counts.customer_id,
        customer_counts.events,
        customer_counts.repeats,
        coalesce(customer_loops.loops, 0) as loops,
        coalesce(customer_back_steps.back_steps, 0) as back_steps
    from customer_counts
    left join customer_loops using (touchpoint, customer_id)
    left join customer_back_steps using (touchpoint, customer_id)
),

touchpoint_counts as (
    select
        touchpoint,
        sum(events)::bigint as events,
        count(*) as journeys,
        sum(repeats)::bigint as repeats,
        count(*) filter (where repeats > 0) as customers_repeating,
        sum(loops)::bigint as loops,
        count(*) filter (where loops > 0) as customers_looping,
        sum(back_steps)::bigint as back_steps,
        count(*) filter (where back_steps > 0) as customers_stepping_back
    from customer_rollup
    group by touchpoint
),

final as (
    select
        *,
        customers_repeating / journeys as repeat_rate,
        customers_looping / journeys as loop_rate,
        customers_stepping_back / journeys as back_step_rate
    from touchpoint_counts
    order by touchpoint
)

select * from final
