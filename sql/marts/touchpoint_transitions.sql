-- One row per touchpoint pair (CONTRACT.md section 6): each customer's touchpoint sequence with
-- consecutive repeats collapsed, framed by '(start)' and '(end)'. transitions: adjacent
-- pairs; customers: distinct customers with the pair; probability: transitions / all
-- transitions leaving from_touchpoint; median_seconds: median time spent in from_touchpoint (its run's
-- first event to the next run's first event, or to the last event for '(end)'; NULL from
-- '(start)'). See docs/metrics.md.
with transition_counts as (
    select * from int_path_transition_counts where level = 'touchpoint'
),

final as (
    select
        from_node as from_touchpoint,
        to_node as to_touchpoint,
        transitions,
        customers,
        probability,
        median_seconds
    from transition_counts
    order by from_touchpoint, to_touchpoint
)

select * from final
