-- One row per customer: funnel_stage_index, the last stage the customer counts at in the
-- funnel. Without a conversion window ($window_seconds NULL) it is the furthest stage. With
-- one, the customer counts at stage k+1 only when they count at k and first reached k+1 at
-- most $window_seconds after first reaching k.
with reach as (
    select customer_id, stage_index, reached_at from partial_customer_stage_reach
),

gaps as (
    select
        customer_id,
        stage_index,
        (epoch_us(reached_at) - epoch_us(lag(reached_at) over customer_stages)) / 1000000
            as seconds_from_previous
    from reach
    window customer_stages as (partition by customer_id order by stage_index)
),

flag_late as (
    select
        customer_id,
        stage_index,
        coalesce(seconds_from_previous > $window_seconds::double, false) as is_late
    from gaps
),

final as (
    select
        customer_id,
        coalesce(min(stage_index) filter (where is_late) - 1, max(stage_index))
            as funnel_stage_index
    from flag_late
    group by customer_id
)

select * from final
