-- The identifiers of every customer: its user_id (when it is a user, even one known to it
-- only through a profile row) and the typed identifiers on its events (a user_id 'x' and an
-- anonymous_id 'x' are two identifiers).
with events as (
    select event_key, user_id, anonymous_id, email from int_events
),

event_customers as (
    select event_key, customer_id, customer_user_id from int_event_customers
),

customer_events as (
    select
        event_customers.customer_id,
        event_customers.customer_user_id,
        events.user_id,
        events.anonymous_id,
        events.email
    from events
    inner join event_customers using (event_key)
),

final as (
    select distinct customer_id, 'user_id' as id_type, customer_user_id as id_value
    from customer_events where customer_user_id is not null
    union
    select distinct customer_id, 'anonymous_id', anonymous_id
    from customer_events where anonymous_id is not null
    union
    select distinct customer_id, 'email', email
    from customer_events where email is not null
)

select * from final
