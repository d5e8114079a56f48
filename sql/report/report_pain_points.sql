-- The $top_pain_points ranked pain points (pain_points mart), in rank order: where they
-- happen (touchpoint, segment, stage) and why (score, reason).
with pain_points as (
    select rank, touchpoint, segment, stage, stage_index, channel, score, sessions, reason
    from pain_points
    where is_ranked and rank <= $top_pain_points
),

final as (
    select * from pain_points order by rank
)

select * from final
