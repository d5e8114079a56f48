-- One row per customer, stage and touchpoint (NULL included) the customer has events at:
-- events (how many) and first_at (the earliest). The report's one pass over events: the
-- touchpoint columns, the touchpoint graph's stage placement and the time between stages
-- read this narrow table instead of scanning events once each.
with events as (
    select customer_id, stage_index, touchpoint, occurred_at from events
),

final as (
    select
        customer_id,
        stage_index,
        touchpoint,
        count(*) as events,
        min(occurred_at) as first_at
    from events
    group by customer_id, stage_index, touchpoint
)

select * from final
