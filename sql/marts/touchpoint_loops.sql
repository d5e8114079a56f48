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
    where level = 'touchpoint'
),

event_counts as (
    select touchpoint, count(*) as events, count(distinct customer_id) as journeys
    from path_events
    group by touchpoint
),

repeat_counts as (
    select
        touchpoint,
        count(*) as repeats,
        count(distinct customer_id) as customers_repeating
    from path_events
    where is_repeat
    group by touchpoint
),

back_step_counts as (
    select
        previous_touchpoint as touchpoint,
        count(*) as back_steps,
        count(distinct customer_id) as customers_stepping_back
    from path_events
    where is_back_step
    group by previous_touchpoint
),

loop_counts as (
    select
        node as touchpoint,
        count(*) as loops,
        count(distinct customer_id) as customers_looping
    from runs
    where node_after_next = node
    group by node
),

final as (
    select
        event_counts.touchpoint,
        event_counts.events,
        event_counts.journeys,
        coalesce(repeat_counts.repeats, 0) as repeats,
        coalesce(repeat_counts.customers_repeating, 0) as customers_repeating,
        coalesce(loop_counts.loops, 0) as loops,
        coalesce(loop_counts.customers_looping, 0) as customers_looping,
        coalesce(back_step_counts.back_steps, 0) as back_steps,
        coalesce(back_step_counts.customers_stepping_back, 0) as customers_stepping_back,
        coalesce(repeat_counts.customers_repeating, 0) / event_counts.journeys as repeat_rate,
        coalesce(loop_counts.customers_looping, 0) / event_counts.journeys as loop_rate,
        coalesce(back_step_counts.customers_stepping_back, 0) / event_counts.journeys
            as back_step_rate
    from event_counts
    left join repeat_counts using (touchpoint)
    left join loop_counts using (touchpoint)
    left join back_step_counts using (touchpoint)
    order by event_counts.touchpoint
)

select * from final
