-- The most frequent paths: one row per (level, grain, variant), the $top_n most frequent per
-- level ('stage' | 'touchpoint') and grain ('customer' | 'session') ([metrics] top_n; ties by
-- variant). variant: the collapsed sequence (consecutive repeats collapsed, within the
-- customer or within the session) joined with ' > '. share = journeys / all journeys of the
-- grain; converted: customers with customers.converted, or sessions with
-- is_conversion_session (the customer first reached the conversion stage in it);
-- conversion_rate = converted / journeys. Paths are collected unordered and sorted by
-- position per journey (list_sort), cheaper than an ordered aggregate.
with runs as (
    select level, customer_id, run_index, node from int_path_runs
),

path_events as (
    select customer_id, session_id, event_index, stage_index, touchpoint,
        is_session_start, is_stage_start, is_touchpoint_start
    from int_path_events
),

stages as (
    select stage_index, stage from cfg_stages
),

customers as (
    select customer_id, converted from customers
),

sessions as (
    select session_id, is_conversion_session from sessions
),

-- paths are grouped first, then joined to their customer / session (one row each, not one
-- per step)
customer_nodes as (
    select
        level,
        customer_id,
        list_transform(
            list_sort(list(struct_pack(run_index := run_index, node := node))),
            lambda step: step.node
        ) as nodes
    from runs
    group by level, customer_id
),

customer_paths as (
    select
        customer_nodes.level,
        'customer' as grain,
        customer_nodes.nodes,
        customers.converted as is_converted
    from customer_nodes
    inner join customers using (customer_id)
),

session_steps as (
    select 'stage' as level, path_events.session_id, path_events.event_index,
        stages.stage as node
    from path_events
    inner join stages using (stage_index)
    where path_events.is_session_start or path_events.is_stage_start
    union all
    select 'touchpoint' as level, session_id, event_index, touchpoint as node
    from path_events
    where is_session_start or is_touchpoint_start
),

session_nodes as (
    select
        level,
        session_id,
        list_transform(
            list_sort(list(struct_pack(event_index := event_index, node := node))),
            lambda step: step.node
        ) as nodes
    from session_steps
    group by level, session_id
),

session_paths as (
    select
        session_nodes.level,
        'session' as grain,
        session_nodes.nodes,
        sessions.is_conversion_session as is_converted
    from session_nodes
    inner join sessions using (session_id)
),

all_paths as (
    select * from customer_paths
    union all
    select * from session_paths
),

variant_counts as (
    select
        level,
        grain,
        nodes,
        count(*) as journeys,
        count(*) filter (where is_converted) as converted
    from all_paths
    group by level, grain, nodes
),

ranked as (
    select
        *,
        journeys / sum(journeys) over (partition by level, grain) as share,
        converted / journeys as conversion_rate,
        row_number() over (partition by level, grain order by journeys desc, nodes)
            as variant_rank
    from variant_counts
),

final as (
    select
        level,
        grain,
        variant_rank,
        array_to_string(nodes, ' > ') as variant,
        journeys,
        share,
        converted,
        conversion_rate
    from ranked
    where variant_rank <= $top_n
    order by level, grain, variant_rank
)

select * from final
