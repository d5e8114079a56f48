-- The most frequent ways out: for every customer who did not convert, the last 3 runs of
-- their collapsed touchpoint sequence (fewer when the sequence is shorter), joined with
-- ' > ', ending at the exit touchpoint. One row per exit point (level 'touchpoint': the last
-- touchpoint; level 'stage': the stage of the last event) and path, the $top_n most frequent
-- per exit point ([metrics] top_n; ties by path). share = customers / dropped customers at
-- that exit point.
with touchpoint_runs as (
    select customer_id, run_index, node
    from int_path_runs
    where level = 'touchpoint' and is_last_3
),

stage_runs as (
    select customer_id, node from int_path_runs where level = 'stage' and is_last
),

customers as (
    select customer_id from customers where not converted
),

customer_paths as (
    select
        touchpoint_runs.customer_id,
        string_agg(touchpoint_runs.node, ' > ' order by touchpoint_runs.run_index) as path,
        arg_max(touchpoint_runs.node, touchpoint_runs.run_index) as exit_touchpoint
    from touchpoint_runs
    inner join customers using (customer_id)
    group by touchpoint_runs.customer_id
),

exits as (
    select 'touchpoint' as level, exit_touchpoint as exit_point, path from customer_paths
    union all
    select 'stage' as level, stage_runs.node as exit_point, customer_paths.path
    from customer_paths
    inner join stage_runs using (customer_id)
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
