-- One row per level and state pair of the attribution Markov chain: every path framed by
-- '(start)' and '(conversion)' or '(null)' (docs/attribution.md), with its count. A reduce
-- over the per-customer partial_attribution_transitions.
with customer_transitions as (
    select level, from_state, to_state, transitions from partial_attribution_transitions
),

final as (
    select level, from_state, to_state, sum(transitions)::bigint as transitions
    from customer_transitions
    group by level, from_state, to_state
)

select * from final
