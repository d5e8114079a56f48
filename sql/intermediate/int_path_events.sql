-- One row per event, narrow: a customer's events in order (event_index) with the flags the
-- path marts need, from ONE window pass over each customer's events:
-- is_stage_start / is_touchpoint_start: the event starts a run (its stage / touchpoint differs
-- from the customer's previous event, or it is the first event): consecutive repeats collapse;
-- is_session_start: the first event of a session; is_repeat: same touchpoint as the previous
-- event (A -> A in raw order); is_back_step: a lower stage than the previous event (a step
-- back, attributed to the previous event's touchpoint, previous_touchpoint).
with events as (
    select customer_id, session_id, session_index, event_index, occurred_at, stage_index,
        touchpoint
    from events
),

previous as (
    select
        *,
        lag(stage_index) over customer_order as previous_stage_index,
        lag(touchpoint) over customer_order as previous_touchpoint,
        lag(session_index) over customer_order as previous_session_index
    from events
    window customer_order as (partition by customer_id order by event_index)
),

final as (
    select
        customer_id,
        session_id,
        event_index,
        occurred_at,
        stage_index,
        touchpoint,
        previous_touchpoint,
        previous_stage_index is distinct from stage_index as is_stage_start,
        previous_touchpoint is distinct from touchpoint as is_touchpoint_start,
        previous_session_index is distinct from session_index as is_session_start,
        coalesce(previous_touchpoint = touchpoint, false) as is_repeat,
        coalesce(stage_index < previous_stage_index, false) as is_back_step
    from previous
)

select * from final
