-- One row per touchpoint: the stage most of its events are at (ties: the earlier stage),
-- used to place it in a column of the touchpoint graph.
with customer_touchpoints as (
    select touchpoint, stage_index, events
    from report_customer_stage_touchpoints
    where touchpoint is not null
),

stage_counts as (
    select touchpoint, stage_index, sum(events)::bigint as events
    from customer_touchpoints
    group by touchpoint, stage_index
),

final as (
    select touchpoint, arg_max(stage_index, (events, -stage_index)) as stage_index,
        sum(events) as events
    from stage_counts
    group by touchpoint
    order by touchpoint
)

select * from final
