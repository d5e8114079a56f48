-- Stage-to-stage flows for the Sankey (stage_transitions): every transition between stages,
-- with (start) and (end), in stage order.
with transitions as (
    select from_stage, to_stage, transitions, customers, probability, median_seconds
    from stage_transitions
),

stages as (
    select stage, stage_index from cfg_stages
),

final as (
    select transitions.*
    from transitions
    left join stages as from_stages on from_stages.stage = transitions.from_stage
    left join stages as to_stages on to_stages.stage = transitions.to_stage
    order by coalesce(from_stages.stage_index, -1), coalesce(to_stages.stage_index, 999),
        transitions.to_stage
)

select * from final
