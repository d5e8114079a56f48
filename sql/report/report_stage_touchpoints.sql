-- One row per map group, stage and touchpoint shown in that stage's column: the
-- $top_touchpoints touchpoints with the most events at the stage, plus every touchpoint that
-- is one of the $top_pain_points ranked pain points at that stage (so its mark has a place).
-- events / customers: the group's events at the stage on the touchpoint, and its customers
-- (from report_customer_stage_touchpoints: one row per customer there, so a count of rows).
with customer_touchpoints as (
    select customer_id, stage_index, touchpoint, events
    from report_customer_stage_touchpoints
    where touchpoint is not null
),

groups as (
    select customer_id, group_id from report_customer_groups
),

pain as (
    select distinct touchpoint, stage_index
    from pain_points
    where is_ranked and rank <= $top_pain_points
),

volumes as (
    select
        groups.group_id,
        customer_touchpoints.stage_index,
        customer_touchpoints.touchpoint,
        sum(customer_touchpoints.events)::bigint as events,
        count(*) as customers
    from customer_touchpoints
    inner join groups using (customer_id)
    group by all
),

ranked as (
    select
        volumes.*,
        row_number() over (
            partition by group_id, stage_index order by events desc, touchpoint
        ) as touchpoint_rank
    from volumes
),

final as (
    select ranked.*, pain.touchpoint is not null as is_pain_point
    from ranked
    left join pain using (touchpoint, stage_index)
    where ranked.touchpoint_rank <= $top_touchpoints or pain.touchpoint is not null
    order by group_id, stage_index, touchpoint_rank
)

select * from final
