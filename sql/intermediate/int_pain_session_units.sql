-- One row per session and pain-point unit it reaches: does the session end there, how many
-- separate runs of it the session has (>= 2: it came back), and whether a support contact or
-- a negative email behaviour (unsubscribe, spam report, bounce) of the same customer follows
-- its last occurrence within $support_window_seconds.
with unit_events as (
    select customer_id, session_id, occurred_at, touchpoint, dimension, segment_value,
        is_session_exit, is_run_start
    from int_pain_unit_events
),

contacts as (
    select customer_id, occurred_at from int_pain_support_contacts
),

behaviours as (
    select customer_id, occurred_at
    from int_sentiment_signals
    where signal_kind = 'behaviour'
),

session_units as (
    select
        session_id,
        customer_id,
        touchpoint,
        dimension,
        segment_value,
        bool_or(is_session_exit) as is_exit,
        count_if(is_run_start) as runs,
        max(occurred_at) as last_at
    from unit_events
    group by session_id, customer_id, touchpoint, dimension, segment_value
),

support_followed as (
    select distinct session_units.session_id, session_units.touchpoint,
        session_units.dimension, session_units.segment_value
    from session_units
    inner join contacts
        on contacts.customer_id = session_units.customer_id
        and contacts.occurred_at > session_units.last_at
        and epoch_us(contacts.occurred_at) - epoch_us(session_units.last_at)
            <= $support_window_seconds * 1000000
),

behaviour_followed as (
    select distinct session_units.session_id, session_units.touchpoint,
        session_units.dimension, session_units.segment_value
    from session_units
    inner join behaviours
        on behaviours.customer_id = session_units.customer_id
        and behaviours.occurred_at > session_units.last_at
        and epoch_us(behaviours.occurred_at) - epoch_us(session_units.last_at)
            <= $support_window_seconds * 1000000
),

final as (
    select
        session_units.*,
        support_followed.session_id is not null as is_support_followed,
        behaviour_followed.session_id is not null as is_behaviour_followed
    from session_units
    left join support_followed
        using (session_id, touchpoint, dimension, segment_value)
    left join behaviour_followed
        using (session_id, touchpoint, dimension, segment_value)
)

select * from final
