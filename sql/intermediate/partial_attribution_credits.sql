-- Per-customer partial (tables.STORED_PARTIALS): one row per converted customer, level and
-- name on its path, with the rule-based credits the customer's conversion gives it
-- (docs/attribution.md):
--   first_touch / last_touch: 1 to the first / last step
--   linear: 1 / path_length to each step
--   position_based: 40% first, 40% last, 20% shared by the middle steps (a two-step path:
--   50/50; one step: 100%)
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
        sum((position = 1)::double) as first_touch,
        sum((position = path_length)::double) as last_touch,
        sum(1.0 / path_length) as linear,
        sum(case
            when path_length = 1 then 1.0
            when path_length = 2 then 0.5
            when position = 1 or position = path_length then 0.4
            else 0.2 / (path_length - 2)
        end) as position_based
    from converted_steps
    group by customer_id, level, name
)

select * from final
