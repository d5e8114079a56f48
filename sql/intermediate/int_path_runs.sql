-- One row per run of a customer's collapsed sequence, at both levels (level = 'stage' |
-- 'touchpoint'): node is the run's stage or touchpoint, started_at its first event's time,
-- run_index its 1-based position; next_node / next_started_at: the following run (NULL after
-- the last), node_after_next the run after that (for A -> B -> A loops); is_last / is_last_3:
-- the run is the customer's last / among their last 3.
with path_events as (
    select customer_id, event_index, occurred_at, stage_index, touchpoint,
        is_stage_start, is_touchpoint_start
    from int_path_events
),

stages as (
    select stage_index, stage from cfg_stages
),

run_starts as (
    select 'stage' as level, path_events.customer_id, path_events.event_index,
        path_events.occurred_at, stages.stage as node
    from path_events
    inner join stages using (stage_index)
    where path_events.is_stage_start
    union all
    select 'touchpoint' as level, customer_id, event_index, occurred_at, touchpoint as node
    from path_events
    where is_touchpoint_start
),

final as (
    select
        level,
        customer_id,
        row_number() over customer_runs as run_index,
        node,
        occurred_at as started_at,
        lead(node) over customer_runs as next_node,
        lead(occurred_at) over customer_runs as next_started_at,
        lead(node, 2) over customer_runs as node_after_next,
        lead(event_index) over customer_runs is null as is_last,
        lead(event_index, 3) over customer_runs is null as is_last_3
    from run_starts
    window customer_runs as (partition by level, customer_id order by event_index)
)

select * from final
