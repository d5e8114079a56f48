-- One row per event: where it sits in its session and in its customer's path (the raw
-- material of pain points and attribution; one sort by customer serves both).
-- is_session_exit: the session's last event; is_run_start: the first of a run of
-- consecutive events at the same touchpoint in the session; dwell_seconds: time to the
-- session's next event (NULL on the last one); is_new_touchpoint / is_new_channel: the
-- customer's previous event had another touchpoint / channel (or there is none).
with scoped_events as (
    select customer_id, event_index, session_id, occurred_at, channel, event_type,
        touchpoint, stage_index
    from events
),

neighbours as (
    select
        *,
        lead(session_id) over by_customer as next_session_id,
        lead(occurred_at) over by_customer as next_occurred_at,
        lag(session_id) over by_customer as previous_session_id,
        lag(touchpoint) over by_customer as previous_touchpoint,
        lag(channel) over by_customer as previous_channel
    from scoped_events
    window by_customer as (partition by customer_id order by event_index)
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
        next_session_id is distinct from session_id as is_session_exit,
        previous_session_id is distinct from session_id
            or previous_touchpoint is distinct from touchpoint as is_run_start,
        case when next_session_id = session_id
            then (epoch_us(next_occurred_at) - epoch_us(occurred_at)) / 1000000 end
            as dwell_seconds,
        previous_touchpoint is distinct from touchpoint as is_new_touchpoint,
        previous_channel is distinct from channel as is_new_channel
    from neighbours
)

select * from final
