-- One row per map group (report_customer_groups) and stage: customers who reached the stage,
-- conversion from the previous stage and customers dropped there (reached it, went no
-- further). Group 0 is stage_funnel; a persona group is its stage_funnel_breakdown rows
-- (dimension_type 'attribute', dimension $persona), so the numbers are the funnel's own.
with groups as (
    select distinct group_id, persona from report_customer_groups where group_id > 0
),

overall as (
    select 0 as group_id, stage, stage_index, customers, conversion_from_previous, dropped
    from stage_funnel
),

breakdown as (
    select value, stage, stage_index, customers, conversion_from_previous, dropped
    from stage_funnel_breakdown
    where dimension_type = 'attribute' and dimension = $persona
),

by_persona as (
    select groups.group_id, breakdown.stage, breakdown.stage_index, breakdown.customers,
        breakdown.conversion_from_previous, breakdown.dropped
    from breakdown
    inner join groups on groups.persona = breakdown.value
),

final as (
    select * from overall
    union all
    select * from by_persona
    order by group_id, stage_index
)

select * from final
