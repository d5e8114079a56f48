-- One row per event: where it sits in its session (the pain-point signals' raw material).
-- is_session_exit: the session's last event; is_run_start: the first of a run of
-- consecutive events at the same touchpoint; dwell_seconds: time to the session's next
-- event (NULL on the last one).
with scoped_events as (
    select customer_id, event_index, session_id, occurred_at, channel, event_type,
        touchpoint, stage_index, properties, campaign
    from events
),

positioned as (
    select
        *,
        lead(occurred_at) over by_session as next_occurred_at,
        lag(touchpoint) over by_session as previous_touchpoint
    from scoped_events
    window by_session as (partition by session_id order by event_index)
),

final as (
    select
        customer_id,
        event_index,
        session_id,
        occurred_at,
        channel,
        event_type,
        touchpoint,
        stage_index,
        properties,
        campaign,
        next_occurred_at is null as is_session_exit,
        previous_touchpoint is distinct from touchpoint as is_run_start,
        (epoch_us(next_occurred_at) - epoch_us(occurred_at)) / 1000000 as dwell_seconds
    from positioned
)

select * from final
