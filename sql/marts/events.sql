-- One row per canonical event, with its customer, session, stage and touchpoint.
-- touchpoint is the final (grouped) one; raw_touchpoint the one before touchpoint rules.
-- stage_index is the 0-based position of `stage` in stages.order.
with events as (
    select * from int_events
),

event_customers as (
    select event_key, customer_id, identity_rule from int_event_customers
),

event_sessions as (
    select event_key, session_id, session_index, event_index from int_event_sessions
),

event_stages as (
    select event_key, stage, stage_index, matched_rule from int_event_stages
),

event_touchpoints as (
    select event_key, touchpoint, raw_touchpoint from int_event_touchpoints
),

final as (
    select
        events.event_id,
        events.source,
        events.channel,
        events.event_type,
        events.occurred_at,
        events.user_id,
        events.anonymous_id,
        events.email,
        events.url,
        events.referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.campaign,
        event_touchpoints.touchpoint,
        events.revenue,
        events.score,
        events.text,
        events.properties,
        event_customers.customer_id,
        event_sessions.session_id,
        event_sessions.session_index,
        event_sessions.event_index,
        event_stages.stage,
        event_stages.stage_index,
        event_stages.matched_rule,
        event_touchpoints.raw_touchpoint,
        events.source_file,
        events.source_line,
        event_customers.identity_rule
    from events
    inner join event_customers using (event_key)
    inner join event_sessions using (event_key)
    inner join event_stages using (event_key)
    inner join event_touchpoints using (event_key)
)

select * from final
