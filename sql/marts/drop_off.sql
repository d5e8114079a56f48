-- One row per exit point: level 'stage' (stage_index set) or 'touchpoint'. A journey (a
-- customer) ends at the stage and touchpoint of its last event. journeys: customers with
-- any event there; ended: journeys ending there; dropped: of those, the ones not converted;
-- dropped_active / dropped_inactive: dropped customers whose last event is at most / more
-- than $inactive_seconds ([metrics] inactive_after_days) before the latest event in the
-- data (not the wall clock, so re-runs agree); drop_rate = dropped / journeys. A reduce model:
-- reads the stored per-customer partial partial_path_runs (one row per run) and customers.
with runs as (
    select level, customer_id, node, is_last from partial_path_runs
),

customers as (
    select customer_id, last_seen_at, converted from customers
),

stages as (
    select stage_index, stage from cfg_stages
),

data_end as (
    select max(last_seen_at) as latest_at from customers
),

node_journeys as (
    select level, node, count(distinct customer_id) as journeys
    from runs
    group by level, node
),

journey_ends as (
    select
        runs.level,
        runs.node,
        customers.converted,
        (epoch_us(data_end.latest_at) - epoch_us(customers.last_seen_at)) / 1000000
            > $inactive_seconds::double as is_inactive
    from runs
    inner join customers using (customer_id)
    cross join data_end
    where runs.is_last
),

end_counts as (
    select
        level,
        node,
        count(*) as ended,
        count(*) filter (where not converted) as dropped,
        count(*) filter (where not converted and not is_inactive) as dropped_active,
        count(*) filter (where not converted and is_inactive) as dropped_inactive
    from journey_ends
    group by level, node
),

final as (
    select
        node_journeys.level,
        node_journeys.node as exit_point,
        stages.stage_index,
        node_journeys.journeys,
        coalesce(end_counts.ended, 0) as ended,
        coalesce(end_counts.dropped, 0) as dropped,
        coalesce(end_counts.dropped_active, 0) as dropped_active,
        coalesce(end_counts.dropped_inactive, 0) as dropped_inactive,
        coalesce(end_counts.dropped, 0) / node_journeys.journeys as drop_rate
    from node_journeys
    left join end_counts using (level, node)
    left join stages
        on node_journeys.level = 'stage' and stages.stage = node_journeys.node
    order by level, stage_index, exit_point
)

select * from final
