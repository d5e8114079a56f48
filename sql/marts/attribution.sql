-- One row per level ('touchpoint' | 'channel'), name and model: the conversions credited to
-- it. Rule-based models from the paths (int_attribution_paths, converted paths only):
--   first_touch / last_touch: 1 to the first / last step
--   linear: 1 / path_length to each step
--   position_based: 40% first, 40% last, 20% shared by the middle steps (a two-step path:
--   50/50; one step: 100%)
-- markov: removal effects of the absorbing chain (int_attribution_markov, computed exactly
-- in Python). Every model's credits add up to the conversions. docs/attribution.md.
with paths as (
    select level, customer_id, position, path_length, name, is_converted
    from int_attribution_paths
),

markov as (
    select level, name, credit, removal_effect from int_attribution_markov
),

names as (
    select distinct level, name from paths
),

models as (
    select * from (values
        ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('markov')
    ) as models (model)
),

converted_steps as (
    select level, name, position, path_length
    from paths
    where is_converted
),

step_credits as (
    select level, name, 'first_touch' as model, (position = 1)::double as credit
    from converted_steps
    union all
    select level, name, 'last_touch', (position = path_length)::double
    from converted_steps
    union all
    select level, name, 'linear', 1.0 / path_length
    from converted_steps
    union all
    select level, name, 'position_based',
        case
            when path_length = 1 then 1.0
            when path_length = 2 then 0.5
            when position = 1 or position = path_length then 0.4
            else 0.2 / (path_length - 2)
        end
    from converted_steps
),

rule_credits as (
    select level, name, model, sum(credit) as credit
    from step_credits
    group by level, name, model
),

conversions as (
    select level, count(distinct customer_id) as conversions
    from paths
    where is_converted
    group by level
),

all_credits as (
    select level, name, model, credit from rule_credits
    union all
    select level, name, 'markov', credit from markov
),

final as (
    select
        names.level,
        names.name,
        models.model,
        round(coalesce(all_credits.credit, 0), 9) as credit,
        round(coalesce(all_credits.credit, 0) / nullif(conversions.conversions, 0), 9) as share,
        coalesce(conversions.conversions, 0) as conversions,
        case when models.model = 'markov' then round(coalesce(markov.removal_effect, 0), 9) end
            as removal_effect
    from names
    cross join models
    left join all_credits using (level, name, model)
    left join conversions using (level)
    left join markov using (level, name)
)

select * from final
