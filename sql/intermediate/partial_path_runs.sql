-- Stored per-customer partial (tables.STORED_PARTIALS): one row per run of a customer's
-- collapsed sequence, at both levels (level = 'stage' | 'touchpoint'), narrow: node, the
-- next run's node (NULL after the last run), seconds spent in the run (its first event to
-- the next run's first event; for the last run: to the customer's last event), is_first /
-- is_last. The reduce models int_path_transition_counts and drop_off aggregate it.
with runs as (
    select level, customer_id, run_index, node, started_at, next_node, next_started_at, is_last
    from int_path_runs
),

customers as (
    select customer_id, last_seen_at from customers
),

final as (
    select
        runs.customer_id,
        runs.level,
        runs.node,
        runs.next_node,
        (epoch_us(coalesce(runs.next_started_at, customers.last_seen_at))
            - epoch_us(runs.started_at)) / 1000000 as seconds,
        runs.run_index = 1 as is_first,
        runs.is_last
    from runs
    inner join customers using (customer_id)
)

select * from final
