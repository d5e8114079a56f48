-- One row per session: consecutive events of one customer, across channels, with no gap
-- greater than the timeout. furthest_stage is the highest stage among its events;
-- is_converted: that stage is at or past stages.conversion; is_conversion_session: the
-- customer first reached the conversion stage in this session.
with session_events as (
    select customer_id, session_id, session_index, event_index, occurred_at, channel,
        touchpoint, stage_index
    from events
),

stages as (
    select stage_index, stage, is_conversion from cfg_stages
),

conversion_stage as (
    select min(stage_index) as conversion_index from stages where is_conversion
),

first_conversions as (
    select customer_id, min(event_index) as event_index
    from session_events, conversion_stage
    where session_events.stage_index >= conversion_stage.conversion_index
    group by customer_id
),

session_rollup as (
    select
        session_id,
        customer_id,
        session_index,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as events,
        array_to_string(list_sort(list_distinct(list(channel))), ',') as channels,
        arg_min(touchpoint, event_index) as entry_touchpoint,
        arg_max(touchpoint, event_index) as exit_touchpoint,
        max(stage_index) as furthest_stage_index,
        min(event_index) as first_event_index,
        max(event_index) as last_event_index
    from session_events
    group by session_id, customer_id, session_index
),

final as (
    select
        session_rollup.session_id,
        session_rollup.customer_id,
        session_rollup.session_index,
        session_rollup.started_at,
        session_rollup.ended_at,
        (epoch_us(session_rollup.ended_at) - epoch_us(session_rollup.started_at)) / 1000000
            as duration_seconds,
        session_rollup.events,
        session_rollup.channels,
        session_rollup.entry_touchpoint,
        session_rollup.exit_touchpoint,
        stages.stage as furthest_stage,
        session_rollup.furthest_stage_index,
        session_rollup.furthest_stage_index >= conversion_stage.conversion_index as is_converted,
        coalesce(
            first_conversions.event_index
                between session_rollup.first_event_index and session_rollup.last_event_index,
            false
        ) as is_conversion_session
    from session_rollup
    cross join conversion_stage
    inner join stages on stages.stage_index = session_rollup.furthest_stage_index
    left join first_conversions using (customer_id)
)

select * from final
