-- One row per breakdown group and stage: the stage_funnel computed within each group of
-- int_customer_groups (dimension_type, dimension, value), long format. Every group has a
-- row for every stage; within one dimension the groups' customers add up to stage_funnel.
with stages as (
    select stage_index, stage from cfg_stages
),

customer_funnel as (
    select customer_id, funnel_stage_index from int_customer_funnel
),

customer_groups as (
    select customer_id, dimension_type, dimension, value from int_customer_groups
),

group_ends as (
    select
        customer_groups.dimension_type,
        customer_groups.dimension,
        customer_groups.value,
        customer_funnel.funnel_stage_index as stage_index,
        count(*) as customers_ending
    from customer_groups
    inner join customer_funnel using (customer_id)
    group by all
),

groups as (
    select distinct dimension_type, dimension, value from group_ends
),

group_stages as (
    select groups.*, stages.stage_index, stages.stage
    from groups
    cross join stages
),

stage_counts as (
    select
        group_stages.*,
        coalesce(sum(group_ends.customers_ending) over (
            partition by group_stages.dimension_type, group_stages.dimension, group_stages.value
            order by group_stages.stage_index desc
            rows between unbounded preceding and current row
        ), 0)::bigint as customers
    from group_stages
    left join group_ends
        on group_ends.dimension_type = group_stages.dimension_type
        and group_ends.dimension = group_stages.dimension
        and group_ends.value is not distinct from group_stages.value
        and group_ends.stage_index = group_stages.stage_index
),

final as (
    select
        dimension_type,
        dimension,
        value,
        stage,
        stage_index,
        customers,
        customers / nullif(lag(customers) over group_order, 0) as conversion_from_previous,
        customers / nullif(first_value(customers) over group_order, 0) as conversion_from_start,
        customers - coalesce(lead(customers) over group_order, 0) as dropped
    from stage_counts
    window group_order as (partition by dimension_type, dimension, value order by stage_index)
    order by dimension_type, dimension, value nulls first, stage_index
)

select * from final
