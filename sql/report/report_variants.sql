-- The $top_variants most frequent stage sequences of customers (journey_variants).
with variants as (
    select variant_rank, variant, journeys, share, converted, conversion_rate
    from journey_variants
    where level = 'stage' and grain = 'customer'
),

final as (
    select * from variants where variant_rank <= $top_variants order by variant_rank
)

select * from final
