-- Per-customer partial (tables.STORED_PARTIALS): one row per customer and (touchpoint,
-- stage, channel, event type) of its events, with the count. The reduce models sum it into
-- each touchpoint's usual stage and channel (int_pain_touchpoints) and kind (its most
-- frequent event type, int_pain_unit_scores).
with flow as (
    select customer_id, touchpoint, stage_index, channel, event_type from int_pain_event_flow
),

final as (
    select customer_id, touchpoint, stage_index, channel, event_type, count(*) as events
    from flow
    group by customer_id, touchpoint, stage_index, channel, event_type
)

select * from final
