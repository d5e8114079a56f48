-- Attribution of conversions per model for the $top_attribution touchpoints with the most
-- credit under any model (attribution mart, level 'touchpoint').
with attribution as (
    select name, model, credit, share from attribution where level = 'touchpoint'
),

top_names as (
    select name, max(credit) as best_credit
    from attribution
    group by name
    order by best_credit desc, name
    limit $top_attribution
),

final as (
    select attribution.name, attribution.model, attribution.credit, attribution.share,
        top_names.best_credit
    from attribution
    inner join top_names using (name)
    order by top_names.best_credit desc, attribution.name, attribution.model
)

select * from final
