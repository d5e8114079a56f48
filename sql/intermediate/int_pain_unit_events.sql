-- One row per event and pain-point unit: the event's touchpoint as a whole (dimension '')
-- and, per segment dimension where the event has a value, the touchpoint's segment.
with flow as (
    select customer_id, event_index, session_id, occurred_at, touchpoint, is_session_exit,
        is_run_start, dwell_seconds
    from int_pain_event_flow
),

segments as (
    select customer_id, event_index, dimension, segment_value from int_pain_event_segments
),

whole_touchpoints as (
    select flow.*, '' as dimension, '' as segment_value from flow
),

touchpoint_segments as (
    select flow.*, segments.dimension, segments.segment_value
    from flow
    inner join segments using (customer_id, event_index)
),

final as (
    select * from whole_touchpoints
    union all
    select * from touchpoint_segments
)

select * from final
