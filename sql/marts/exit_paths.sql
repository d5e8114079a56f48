-- The most frequent ways out: for every customer who did not convert, the last 3 runs of
-- their collapsed touchpoint sequence (fewer when the sequence is shorter), joined with
-- ' > ', ending at the exit touchpoint. One row per exit point (level 'touchpoint': the last
-- touchpoint; level 'stage': the stage of the last event) and path, the $top_n most frequent
-- per exit point ([metrics] top_n; ties by path). share = customers / dropped customers at
-- that exit point. A reduce model: reads the stored per-customer partial
-- partial_path_customers (each customer's collapsed sequences and conversion).
with path_customers as (
    select customer_id, stage_nodes, touchpoint_nodes
    from partial_path_customers
    where not is_converted and touchpoint_nodes is not null
),

customer_paths as (
    select
        customer_id,
        array_to_string(touchpoint_nodes[-3:], ' > ') as path,
        touchpoint_nodes[-1] as exit_touchpoint,
        stage_nodes[-1] as exit_stage
    from path_customers
),

exits as (
    select 'touchpoint' as level, exit_touchpoint as exit_point, path from customer_paths
    union all
    select 'stage' as level, exit_stage as exit_point, path
    from customer_paths
    where exit_stage is not null
),

path_counts as (
    select level, exit_point, path, count(*) as customers
    from exits
    group by level, exit_point, path
),

ranked as (
    select
        *,
        customers / sum(customers) over exit_group as share,
        row_number() over (
            partition by level, exit_point order by customers desc, path
        ) as path_rank
    from path_counts
    window exit_group as (partition by level, exit_point)
),

final as (
    select level, exit_point, path_rank, path, customers, share
    from ranked
    where path_rank <= $top_n
    order by level, exit_point, path_rank
)

select * from final
