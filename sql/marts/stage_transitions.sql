-- One row per stage pair (CONTRACT.md section 4): each customer's stage sequence with
-- consecutive repeats collapsed, framed by '(start)' and '(end)'. transitions: adjacent
-- pairs; customers: distinct customers with the pair; probability: transitions / all
-- transitions leaving from_stage; median_seconds: median time spent in from_stage (its run's
-- first event to the next run's first event, or to the last event for '(end)'; NULL from
-- '(start)'). See docs/metrics.md.
with transition_counts as (
    select * from int_path_transition_counts where level = 'stage'
),

final as (
    select
        from_node as from_stage,
        to_node as to_stage,
        transitions,
        customers,
        probability,
        median_seconds
    from transition_counts
    order by from_stage, to_stage
)

select * from final
