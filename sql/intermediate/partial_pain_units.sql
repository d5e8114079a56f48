-- Per-customer partial (tables.STORED_PARTIALS): one row per customer and pain-point unit
-- its sessions reach, with the customer's counts behind every pain-point signal (sessions,
-- exits, repeats, followed support contacts and negative behaviours, texts and scores, the
-- support tickets that follow the unit). int_pain_unit_signals sums them over customers.
with session_units as (
    select customer_id, touchpoint, dimension, segment_value, is_exit, runs, last_at,
        is_support_followed, is_behaviour_followed
    from int_pain_session_units
),

unit_events as (
    select customer_id, event_index, touchpoint, dimension, segment_value
    from int_pain_unit_events
),

contacts as (
    select customer_id, occurred_at, ticket_key, rating_value, is_bad_rating
    from int_pain_support_contacts
),

signals as (
    select customer_id, event_index, signal_kind, is_negative
    from int_sentiment_signals
    where signal_kind in ('text', 'score')
),

session_counts as (
    select
        customer_id, touchpoint, dimension, segment_value,
        count(*) as sessions,
        count_if(is_exit)::bigint as exit_sessions,
        -- a loop: the session leaves it and comes back at least twice (three separate runs)
        count_if(runs >= 3)::bigint as repeat_sessions,
        count_if(is_support_followed)::bigint as support_sessions,
        count_if(is_behaviour_followed)::bigint as behaviour_sessions
    from session_units
    group by customer_id, touchpoint, dimension, segment_value
),

feedback as (
    select
        unit_events.customer_id, unit_events.touchpoint, unit_events.dimension,
        unit_events.segment_value,
        count_if(signals.signal_kind = 'text')::bigint as texts,
        count_if(signals.signal_kind = 'text' and signals.is_negative)::bigint as negative_texts,
        count_if(signals.signal_kind = 'score')::bigint as scores,
        count_if(signals.signal_kind = 'score' and signals.is_negative)::bigint as low_scores
    from unit_events
    inner join signals using (customer_id, event_index)
    group by all
),

followed_tickets as (
    -- a ticket belongs to one customer: counting them per customer adds up exactly
    select distinct
        session_units.customer_id, session_units.touchpoint, session_units.dimension,
        session_units.segment_value, contacts.ticket_key, contacts.rating_value,
        contacts.is_bad_rating
    from session_units
    inner join contacts
        on contacts.customer_id = session_units.customer_id
        and contacts.occurred_at > session_units.last_at
        and epoch_us(contacts.occurred_at) - epoch_us(session_units.last_at)
            <= $support_window_seconds * 1000000
),

ticket_ratings as (
    select customer_id, touchpoint, dimension, segment_value,
        count(*) as followed_tickets,
        count(rating_value) as rated_tickets,
        count_if(is_bad_rating)::bigint as bad_rated_tickets
    from followed_tickets
    group by all
),

final as (
    select
        session_counts.*,
        coalesce(feedback.texts, 0) as texts,
        coalesce(feedback.negative_texts, 0) as negative_texts,
        coalesce(feedback.scores, 0) as scores,
        coalesce(feedback.low_scores, 0) as low_scores,
        coalesce(ticket_ratings.followed_tickets, 0) as followed_tickets,
        coalesce(ticket_ratings.rated_tickets, 0) as rated_tickets,
        coalesce(ticket_ratings.bad_rated_tickets, 0) as bad_rated_tickets
    from session_counts
    left join feedback using (customer_id, touchpoint, dimension, segment_value)
    left join ticket_ratings using (customer_id, touchpoint, dimension, segment_value)
)

select * from final
