-- One row per map group and stage k with a next stage: median seconds from first reaching
-- k to first reaching k+1, over the group's customers who made that step. The same
-- definition as the stage_durations mart (reach as in int_customer_stage_reach: a skipped
-- stage is reached with the next one); group 0 equals stage_durations.
with stage_firsts as (
    select customer_id, stage_index, min(first_at) as first_at
    from report_customer_stage_touchpoints
    group by customer_id, stage_index
),

stages as (
    select stage_index from cfg_stages
),

groups as (
    select customer_id, group_id from report_customer_groups
),

reach as (
    select stage_firsts.customer_id, stages.stage_index, min(stage_firsts.first_at) as reached_at
    from stage_firsts
    inner join stages on stage_firsts.stage_index >= stages.stage_index
    group by stage_firsts.customer_id, stages.stage_index
),

steps as (
    select
        reach.customer_id,
        reach.stage_index,
        (epoch_us(next_reach.reached_at) - epoch_us(reach.reached_at)) / 1000000 as seconds
    from reach
    inner join reach as next_reach
        on next_reach.customer_id = reach.customer_id
        and next_reach.stage_index = reach.stage_index + 1
),

final as (
    select
        groups.group_id,
        steps.stage_index as from_stage_index,
        count(*) as customers,
        median(steps.seconds) as median_seconds
    from steps
    inner join groups using (customer_id)
    group by groups.group_id, steps.stage_index
    order by groups.group_id, steps.stage_index
)

select * from final
