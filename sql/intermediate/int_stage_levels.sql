-- Per customer, the furthest stage index over the events BEFORE each event, as steps: from
-- event `from_index` on it is `furthest_before_index` (until the next step). Event 1 has no
-- events before (after-rules never match); its stage, or 0, is the value from event 2 on.
-- From value v at position p, the first event k >= p whose stage with v fixed (after-rules
-- allowed iff after_index <= v) exceeds v raises it to that stage from k + 1. The value only
-- rises, so the recursion stops after at most (number of stages) rounds.
with recursive events as (
    select event_key, customer_id, event_index from int_event_sessions
),

matches as (
    select events.customer_id, events.event_index, rule_matches.*
    from int_event_rule_matches as rule_matches
    inner join events using (event_key)
),

first_steps as (
    select
        events.customer_id,
        2 as from_index,
        coalesce(arg_min(matches.stage_index, matches.rule_index), 0) as furthest_before_index
    from events
    left join matches
        on matches.customer_id = events.customer_id
        and matches.event_index = 1
        and matches.after_index is null
    where events.event_index = 1
    group by events.customer_id
),

steps (customer_id, from_index, furthest_before_index) as (
    select * from first_steps
    union all
    select customer_id, min(event_index) + 1, arg_min(stage_index, event_index)
    from (
        select
            steps.customer_id,
            steps.furthest_before_index,
            matches.event_index,
            arg_min(matches.stage_index, matches.rule_index) as stage_index
        from steps
        inner join matches
            on matches.customer_id = steps.customer_id
            and matches.event_index >= steps.from_index
            and (matches.after_index is null or matches.after_index <= steps.furthest_before_index)
        group by steps.customer_id, steps.furthest_before_index, matches.event_index
    ) as stages_at_level
    where stage_index > furthest_before_index
    group by customer_id
),

final as (
    select * from steps
)

select * from final
