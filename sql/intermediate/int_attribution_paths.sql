-- One row per step of each customer's path, at two levels ('touchpoint', 'channel'): the
-- touchpoints (channels) of the events before the customer's first conversion event (the
-- first event at or past stages.conversion), or of all their events when they never
-- convert; consecutive repeats collapsed. A customer whose very first event converts has
-- that event as their one-step path. docs/attribution.md.
with scoped_events as (
    -- is_new_*: the customer's previous event had another touchpoint / channel; the path
    -- is a prefix of the customer's events, so the flags hold within it too
    select customer_id, event_index, channel, touchpoint, stage_index, is_new_touchpoint,
        is_new_channel
    from int_pain_event_flow
),

conversion_stage as (
    select min(stage_index) as conversion_index from cfg_stages where is_conversion
),

first_conversions as (
    select scoped_events.customer_id, min(scoped_events.event_index) as conversion_event_index
    from scoped_events
    cross join conversion_stage
    where scoped_events.stage_index >= conversion_stage.conversion_index
    group by scoped_events.customer_id
),

path_events as (
    select
        scoped_events.customer_id,
        scoped_events.event_index,
        scoped_events.channel,
        scoped_events.touchpoint,
        scoped_events.is_new_touchpoint,
        scoped_events.is_new_channel,
        first_conversions.customer_id is not null as is_converted
    from scoped_events
    left join first_conversions using (customer_id)
    where first_conversions.customer_id is null
        or scoped_events.event_index < first_conversions.conversion_event_index
        or (scoped_events.event_index = 1 and first_conversions.conversion_event_index = 1)
),

collapsed as (
    select customer_id, event_index, is_converted, 'touchpoint' as level, touchpoint as name
    from path_events
    where is_new_touchpoint
    union all
    select customer_id, event_index, is_converted, 'channel' as level, channel as name
    from path_events
    where is_new_channel
),

final as (
    select
        level,
        customer_id,
        row_number() over (partition by level, customer_id order by event_index) as position,
        count(*) over (partition by level, customer_id) as path_length,
        name,
        is_converted
    from collapsed
)

select * from final
