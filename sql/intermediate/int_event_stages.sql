-- The stage of every event: the first rule it matches given the customer's furthest stage
-- before it (int_stage_levels); else the stage of the customer's previous event; else the
-- first stage (stage_index 0). matched_rule is the rule's index in the file, NULL if carried.
with events as (
    select event_key, customer_id, event_index from int_event_sessions
),

steps as (
    select customer_id, from_index, furthest_before_index from int_stage_levels
),

matches as (
    select event_key, rule_index, stage_index, after_index from int_event_rule_matches
),

stages as (
    select stage_index, stage from cfg_stages
),

event_levels as (
    select events.*, coalesce(steps.furthest_before_index, -1) as furthest_before_index
    from events
    asof left join steps
        on steps.customer_id = events.customer_id and events.event_index >= steps.from_index
),

matched as (
    select
        event_levels.event_key,
        min(matches.rule_index) as matched_rule,
        arg_min(matches.stage_index, matches.rule_index) as matched_stage_index
    from event_levels
    inner join matches using (event_key)
    where matches.after_index is null or matches.after_index <= event_levels.furthest_before_index
    group by event_levels.event_key
),

carried as (
    select
        event_levels.*,
        matched.matched_rule,
        coalesce(
            matched.matched_stage_index,
            last_value(matched.matched_stage_index ignore nulls) over (
                partition by event_levels.customer_id order by event_levels.event_index
                rows between unbounded preceding and current row
            ),
            0
        ) as stage_index
    from event_levels
    left join matched using (event_key)
),

final as (
    select carried.event_key, stages.stage, carried.stage_index, carried.matched_rule,
        carried.furthest_before_index
    from carried
    inner join stages using (stage_index)
)

select * from final
