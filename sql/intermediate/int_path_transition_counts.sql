-- One row per (level, from_node, to_node), level 'stage' | 'touchpoint'. Each customer's
-- collapsed sequence (partial_path_runs) framed by '(start)' and '(end)'; every adjacent pair
-- is one transition, with seconds = time spent in from_node: from the first event of its run
-- to the first event of the next run (for '-> (end)': to the customer's last event; NULL when
-- leaving '(start)'). transitions, distinct customers, probability = transitions / all
-- transitions leaving from_node, median_seconds (continuous median). A reduce model: reads
-- only the stored per-customer partial.
with runs as (
    select customer_id, level, node, next_node, seconds, is_first from partial_path_runs
),

starts as (
    select level, customer_id, '(start)' as from_node, node as to_node,
        null::double as seconds
    from runs
    where is_first
),

steps as (
    select
        level,
        customer_id,
        node as from_node,
        coalesce(next_node, '(end)') as to_node,
        seconds
    from runs
),

transitions as (
    select * from starts
    union all
    select * from steps
),

pair_counts as (
    select
        level,
        from_node,
        to_node,
        count(*) as transitions,
        count(distinct customer_id) as customers,
        median(seconds) as median_seconds
    from transitions
    group by level, from_node, to_node
),

final as (
    select
        level,
        from_node,
        to_node,
        transitions,
        customers,
        transitions / sum(transitions) over (partition by level, from_node) as probability,
        median_seconds
    from pair_counts
)

select * from final
