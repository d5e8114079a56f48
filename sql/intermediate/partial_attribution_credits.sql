-- Per-customer partial (tables.STORED_PARTIALS): one row per converted customer, level and
-- name on its path, with the rule-based credits the customer's conversion gives it
-- (docs/attribution.md):
--   first_touch / last_touch: 1 to the first / last step
--   linear: 1 / path_length to each step
--   position_based: 40% first, 40% last, 20% shared by the middle steps (a two-step path:
--   50/50; one step: 100%)
-- Each credit is computed from counts in one expression, never as a sum of doubles (whose last
-- bit would depend on the order threads add them in: a re-run must not change a partial).
with converted_steps as (
    select customer_id, level, name, position, path_length
    from int_attribution_paths
    where is_converted
),

final as (
    select
        customer_id,
        level,
        name,
        count_if(position = 1)::double as first_touch,
        count_if(position = path_length)::double as last_touch,
        count(*)::double / any_value(path_length) as linear,
        case
            when any_value(path_length) = 1 then count(*)::double
            when any_value(path_length) = 2 then count(*)::double * 0.5
            else count_if(position = 1 or position = path_length)::double * 0.4
                + count_if(position > 1 and position < path_length)::double * (0.2 / (any_value(path_length) - 2))
        end as position_based
    from converted_steps
    group by customer_id, level, name
)

select * from final
