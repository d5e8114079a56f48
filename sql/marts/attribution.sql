-- One row per level ('touchpoint' | 'channel'), name and model: the conversions credited to
-- it. Rule-based models from the paths (converted paths only; each customer's credits in
-- partial_attribution_credits, summed here):
--   first_touch / last_touch: 1 to the first / last step
--   linear: 1 / path_length to each step
--   position_based: 40% first, 40% last, 20% shared by the middle steps (a two-step path:
--   50/50; one step: 100%)
-- markov: removal effects of the absorbing chain (int_attribution_markov, computed exactly
-- in Python, from int_attribution_transitions). Every model's credits add up to the
-- conversions. docs/attribution.md.
with customer_credits as (
    select level, name, first_touch, last_touch, linear, position_based
    from partial_attribution_credits
),

customer_transitions as (
    select level, to_state, transitions from partial_attribution_transitions
),

markov as (
    select level, name, credit, removal_effect from int_attribution_markov
),

names as (
    -- every step of every path is entered by one transition
    select distinct level, to_state as name
    from customer_transitions
    where to_state not in ('(conversion)', '(null)')
),

models as (
    select * from (values
        ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('markov')
    ) as models (model)
),

name_credits as (
    -- exact sums (DECIMAL): a double sum of ~100k customers' credits differs in the 8th
    -- decimal with the order threads add them in (a 10M night vs its full rebuild differed)
    select level, name,
        sum(first_touch::decimal(38, 18))::double as first_touch,
        sum(last_touch::decimal(38, 18))::double as last_touch,
        sum(linear::decimal(38, 18))::double as linear,
        sum(position_based::decimal(38, 18))::double as position_based
    from customer_credits
    group by level, name
),

rule_credits as (
    select level, name, 'first_touch' as model, first_touch as credit from name_credits
    union all
    select level, name, 'last_touch', last_touch from name_credits
    union all
    select level, name, 'linear', linear from name_credits
    union all
    select level, name, 'position_based', position_based from name_credits
),

conversions as (
    -- a converted path ends with one transition into '(conversion)'
    select level, sum(transitions)::bigint as conversions
    from customer_transitions
    where to_state = '(conversion)'
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
