-- Stored per-customer partial (tables.STORED_PARTIALS): kept in the warehouse, rebuilt per
-- affected customer on incremental nights; stage_durations and int_customer_funnel reduce it.
-- One row per customer and stage k up to the customer's furthest stage: reached_at = when
-- the customer first reached stage k, i.e. the time of their first event at stage k or
-- later (a customer who skips a stage reaches it with the later one, as in the funnel).
with stage_firsts as (
    select customer_id, stage_index, min(occurred_at) as first_at
    from events
    group by customer_id, stage_index
),

stages as (
    select stage_index from cfg_stages
),

final as (
    select
        stage_firsts.customer_id,
        stages.stage_index,
        min(stage_firsts.first_at) as reached_at
    from stage_firsts
    inner join stages on stage_firsts.stage_index >= stages.stage_index
    group by stage_firsts.customer_id, stages.stage_index
)

select * from final
