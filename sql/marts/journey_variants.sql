-- The most frequent paths: one row per (level, grain, variant), the $top_n most frequent per
-- level ('stage' | 'touchpoint') and grain ('customer' | 'session') ([metrics] top_n; ties by
-- variant). variant: the collapsed sequence (consecutive repeats collapsed, within the
-- customer or within the session) joined with ' > '. share = journeys / all journeys of the
-- grain; converted: customers with customers.converted, or sessions with
-- is_conversion_session (the customer first reached the conversion stage in it);
-- conversion_rate = converted / journeys. A reduce model: the paths are the stored
-- per-customer partials partial_path_customers and partial_path_sessions.
with path_customers as (
    select stage_nodes, touchpoint_nodes, is_converted from partial_path_customers
),

path_sessions as (
    select stage_nodes, touchpoint_nodes, is_converted from partial_path_sessions
),

all_paths as (
    select 'stage' as level, 'customer' as grain, stage_nodes as nodes, is_converted
    from path_customers
    where stage_nodes is not null
    union all
    select 'touchpoint' as level, 'customer' as grain, touchpoint_nodes as nodes, is_converted
    from path_customers
    where touchpoint_nodes is not null
    union all
    select 'stage' as level, 'session' as grain, stage_nodes as nodes, is_converted
    from path_sessions
    where stage_nodes is not null
    union all
    select 'touchpoint' as level, 'session' as grain, touchpoint_nodes as nodes, is_converted
    from path_sessions
    where touchpoint_nodes is not null
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
