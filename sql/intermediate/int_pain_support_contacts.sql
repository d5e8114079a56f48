-- One row per support contact (a support-channel ticket_created event): when it happened,
-- and how its ticket (properties.ticket_id) was rated: the last CSAT-style score signal of
-- the ticket (is_bad: at or below $negative_at_or_below).
with contacts as (
    select customer_id, event_index, occurred_at,
        coalesce(json_extract_string(properties, '$.ticket_id'), event_id) as ticket_key
    from events
    where channel = 'support' and event_type = 'ticket_created'
),

ticket_scores as (
    select
        events.customer_id,
        json_extract_string(events.properties, '$.ticket_id') as ticket_key,
        arg_max(signals.signal_value, (events.occurred_at, events.event_index)) as rating_value
    from events
    inner join int_sentiment_signals as signals using (customer_id, event_index)
    where events.channel = 'support' and signals.signal_kind = 'score'
        and json_extract_string(events.properties, '$.ticket_id') is not null
    group by all
),

final as (
    select
        contacts.customer_id,
        contacts.event_index,
        contacts.occurred_at,
        contacts.ticket_key,
        ticket_scores.rating_value,
        ticket_scores.rating_value <= $negative_at_or_below as is_bad_rating
    from contacts
    left join ticket_scores using (customer_id, ticket_key)
)

select * from final
