-- Per-customer partial (tables.STORED_PARTIALS): one row per customer, level and state pair
-- of its attribution path framed by '(start)' and '(conversion)' or '(null)'
-- (docs/attribution.md), with the count. int_attribution_transitions sums them; the
-- attribution mart takes the names and the conversions from them.
with paths as (
    select level, customer_id, position, name, is_converted
    from int_attribution_paths
),

steps as (
    select level, customer_id, '(start)' as from_state, name as to_state
    from paths
    where position = 1
    union all
    select level, customer_id, name as from_state,
        coalesce(lead(name) over (partition by level, customer_id order by position),
            case when is_converted then '(conversion)' else '(null)' end) as to_state
    from paths
),

final as (
    select customer_id, level, from_state, to_state, count(*) as transitions
    from steps
    group by customer_id, level, from_state, to_state
)

select * from final
