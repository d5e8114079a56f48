-- One row per touchpoint: how often journeys go round in circles there. events / journeys:
-- its events and the customers with any; repeats: events directly followed, in raw order, by
-- another event of the same touchpoint (A -> A, before collapsing); loops: runs of it that
-- come back to it after exactly one other touchpoint (A -> B -> A in the collapsed sequence);
-- back_steps: events of it directly followed by an event of an earlier stage (e.g. decision
-- -> consideration). customers_*: distinct customers with at least one; *_rate: those
-- customers / journeys. A reduce model: sums the stored per-customer partial
-- partial_touchpoint_loops.
with customer_rollup as (
    select touchpoint, customer_id, events, repeats, loops, back_steps
    from partial_touchpoint_loops
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
