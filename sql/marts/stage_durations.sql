-- One row per adjacent stage pair (k, k+1) of stages.order: for the customers who reached
-- stage k and later stage k+1, the seconds from first reaching k to first reaching k+1
-- (partial_customer_stage_reach: a skipped stage is reached with the next one, so 0 seconds).
-- median_seconds / p90_seconds: continuous quantiles (linear interpolation); NULL when no
-- customer made the step. Not limited by [funnel] window_days.
with stages as (
    select stage_index, stage from cfg_stages
),

reach as (
    select customer_id, stage_index, reached_at from partial_customer_stage_reach
),

steps as (
    select
        reach.stage_index,
        (epoch_us(next_reach.reached_at) - epoch_us(reach.reached_at)) / 1000000 as seconds
    from reach
    inner join reach as next_reach
        on next_reach.customer_id = reach.customer_id
        and next_reach.stage_index = reach.stage_index + 1
),

step_stats as (
    select
        stage_index,
        count(*) as customers,
        median(seconds) as median_seconds,
        quantile_cont(seconds, 0.9) as p90_seconds,
        avg(seconds) as mean_seconds
    from steps
    group by stage_index
),

final as (
    select
        stages.stage as from_stage,
        next_stages.stage as to_stage,
        stages.stage_index as from_stage_index,
        coalesce(step_stats.customers, 0) as customers,
        step_stats.median_seconds,
        step_stats.p90_seconds,
        step_stats.mean_seconds
    from stages
    inner join stages as next_stages on next_stages.stage_index = stages.stage_index + 1
    left join step_stats on step_stats.stage_index = stages.stage_index
    order by stages.stage_index
)

select * from final
