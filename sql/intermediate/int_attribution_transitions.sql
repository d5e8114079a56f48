-- One row per level and state pair of the attribution Markov chain: every path framed by
-- '(start)' and '(conversion)' or '(null)' (docs/attribution.md), with its count.
with paths as (
    select level, customer_id, position, path_length, name, is_converted
    from int_attribution_paths
),

steps as (
    select level, '(start)' as from_state, name as to_state
    from paths
    where position = 1
    union all
    select level, name as from_state,
        coalesce(lead(name) over (partition by level, customer_id order by position),
            case when is_converted then '(conversion)' else '(null)' end) as to_state
    from paths
),

final as (
    select level, from_state, to_state, count(*) as transitions
    from steps
    group by level, from_state, to_state
)

select * from final
