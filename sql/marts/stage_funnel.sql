-- One row per stage (CONTRACT.md section 4): customers = customers whose furthest stage is
-- at or past the stage (with [funnel] window_days: whose funnel stage is, see
-- int_customer_funnel); conversion_from_previous = customers / customers of the previous
-- stage (NULL for the first stage or after an empty stage); conversion_from_start =
-- customers / customers of the first stage; dropped = customers - customers of the next stage
-- (for the last stage: all its customers, so dropped adds up to all customers).
with stages as (
    select stage_index, stage, is_conversion from cfg_stages
),

customer_funnel as (
    select customer_id, funnel_stage_index from int_customer_funnel
),

stage_ends as (
    select funnel_stage_index as stage_index, count(*) as customers_ending
    from customer_funnel
    group by funnel_stage_index
),

stage_counts as (
    select
        stages.stage_index,
        stages.stage,
        stages.is_conversion,
        coalesce(sum(stage_ends.customers_ending) over (
            order by stages.stage_index desc rows between unbounded preceding and current row
        ), 0)::bigint as customers
    from stages
    left join stage_ends using (stage_index)
),

final as (
    select
        stage,
        stage_index,
        customers,
        customers / nullif(lag(customers) over stage_order, 0) as conversion_from_previous,
        customers / nullif(first_value(customers) over stage_order, 0) as conversion_from_start,
        customers - coalesce(lead(customers) over stage_order, 0) as dropped,
        is_conversion
    from stage_counts
    window stage_order as (order by stage_index)
    order by stage_index
)

select * from final
