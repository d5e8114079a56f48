-- Sessions: a customer's events in order (occurred_at, source, event_id), across channels;
-- a gap strictly greater than $timeout_seconds starts a new session (exactly the timeout
-- stays). session_id = md5 of [customer_id, source, event_id] of the session's first event.
with events as (
    select event_key, occurred_at, source, event_id from int_events
),

event_customers as (
    select event_key, customer_id from int_event_customers
),

ordered as (
    select
        events.*,
        event_customers.customer_id,
        row_number() over customer_order as event_index,
        lag(events.occurred_at) over customer_order as previous_at
    from events
    inner join event_customers using (event_key)
    window customer_order as (
        partition by event_customers.customer_id
        order by events.occurred_at, events.source, events.event_id
    )
),

flag_new_sessions as (
    select
        *,
        previous_at is null
            or epoch_us(occurred_at) - epoch_us(previous_at) > $timeout_seconds * 1000000
            as is_new_session
    from ordered
),

session_starts as (
    select
        *,
        case
            when is_new_session then md5(to_json([customer_id, source, event_id])::varchar)
        end as started_session_id
    from flag_new_sessions
),

final as (
    select
        event_key,
        customer_id,
        event_index,
        count(*) filter (where is_new_session) over customer_events as session_index,
        last_value(started_session_id ignore nulls) over customer_events as session_id
    from session_starts
    window customer_events as (
        partition by customer_id order by event_index
        rows between unbounded preceding and current row
    )
)

select * from final
