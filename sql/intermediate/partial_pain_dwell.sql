-- Per-customer partial (tables.STORED_PARTIALS): one row per customer, pain-point unit and
-- distinct time to the session's next event (dwell_seconds, not NULL), with how many of the
-- customer's events in the unit have it. The reduce takes exact medians of the summed
-- distributions (int_pain_unit_signals per unit, int_pain_unit_scores per peer group).
with unit_events as (
    select customer_id, touchpoint, dimension, segment_value, dwell_seconds
    from int_pain_unit_events
    where dwell_seconds is not null
),

final as (
    select customer_id, touchpoint, dimension, segment_value, dwell_seconds, count(*) as events
    from unit_events
    group by customer_id, touchpoint, dimension, segment_value, dwell_seconds
)

select * from final
