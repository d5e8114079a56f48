-- One row per touchpoint: the stage and channel where most of its events occur (ties: the
-- earlier stage, the first channel by name) and its event count.
with flow as (
    select touchpoint, stage_index, channel from int_pain_event_flow
),

stage_counts as (
    select touchpoint, stage_index, count(*) as events
    from flow
    group by touchpoint, stage_index
),

channel_counts as (
    select touchpoint, channel, count(*) as events
    from flow
    group by touchpoint, channel
),

main_stage as (
    select touchpoint, arg_max(stage_index, (events, -stage_index)) as stage_index,
        sum(events) as events
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
