-- One row per (level, from_node, to_node): transitions, distinct customers, probability =
-- transitions / all transitions leaving from_node, median_seconds (continuous median of the
-- transitions' seconds, see int_path_transitions).
with transitions as (
    select level, customer_id, from_node, to_node, seconds from int_path_transitions
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
