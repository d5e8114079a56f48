-- One row per touchpoint: the stage and channel where most of its events occur (ties: the
-- earlier stage, the first channel by name) and its event count. A reduce over the
-- per-customer partial_touchpoint_events.
with touchpoint_events as (
    select touchpoint, stage_index, channel, events from partial_touchpoint_events
),

stage_counts as (
    select touchpoint, stage_index, sum(events)::bigint as events
    from touchpoint_events
    group by touchpoint, stage_index
),

channel_counts as (
    select touchpoint, channel, sum(events)::bigint as events
    from touchpoint_events
    group by touchpoint, channel
),

main_stage as (
    select touchpoint, arg_max(stage_index, (events, -stage_index)) as stage_index,
        sum(events)::bigint as events
    from stage_counts
    group by touchpoint
),

main_channel as (
    select touchpoint, arg_max(channel, events) as channel
    from (select touchpoint, channel, events,
            row_number() over (partition by touchpoint order by events desc, channel) as channel_rank
        from channel_counts)
    where channel_rank = 1
    group by touchpoint
),

final as (
    select main_stage.touchpoint, main_stage.stage_index, main_channel.channel, main_stage.events
    from main_stage
    inner join main_channel using (touchpoint)
)

select * from final
