-- One row per (level, from_node, to_node), level 'stage' | 'touchpoint'. Each customer's
-- collapsed sequence (int_path_runs) framed by '(start)' and '(end)'; every adjacent pair is
-- one transition, with seconds = time spent in from_node: from the first event of its run to
-- the first event of the next run (for '-> (end)': to the customer's last event; NULL when
-- leaving '(start)'). transitions, distinct customers, probability = transitions / all
-- transitions leaving from_node, median_seconds (continuous median).
with runs as (
    select level, customer_id, run_index, node, started_at, next_node, next_started_at
    from int_path_runs
),

customers as (
    select customer_id, last_seen_at from customers
),

starts as (
    select level, customer_id, '(start)' as from_node, node as to_node,
        null::double as seconds
    from runs
    where run_index = 1
),

steps as (
    select
        runs.level,
        runs.customer_id,
        runs.node as from_node,
        coalesce(runs.next_node, '(end)') as to_node,
        (epoch_us(coalesce(runs.next_started_at, customers.last_seen_at))
            - epoch_us(runs.started_at)) / 1000000 as seconds
    from runs
    inner join customers using (customer_id)
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
