-- This run's headline figures, appended to metric_history (docs/metrics.md, "Drift"): one
-- row per figure. successes / trials are the counts behind a proportion (the two-proportion
-- test of `journey diff` uses them); for a pain score trials = sessions at the touchpoint,
-- for an emotion trials = emotion signals.
--   stage_customers     per stage: customers who reached it (value = successes = customers)
--   stage_conversion    per stage after the first: customers / customers of the previous stage
--   overall_conversion  the conversion stage: its customers / customers of the first stage
--   pain_score          the $history_pain_points top-ranked pain points: their score
--   stage_emotion       per stage with signals: mean emotion (-1..1)
with funnel as (
    select stage, stage_index, customers, is_conversion,
           lag(customers) over (order by stage_index) as previous_customers,
           first_value(customers) over (order by stage_index) as first_customers
    from stage_funnel
),

pain as (
    select rank, touchpoint, segment, score, sessions
    from pain_points
    where is_ranked and rank <= $history_pain_points
),

emotion as (
    select name as stage, stage_index, mean_emotion, signals
    from emotions
    where level = 'stage' and mean_emotion is not null
),

stage_customers as (
    select 'stage_customers' as metric, stage as item, stage_index as item_index,
           customers::double as value, customers as successes, null::bigint as trials
    from funnel
),

stage_conversion as (
    select 'stage_conversion' as metric, stage as item, stage_index as item_index,
           customers / nullif(previous_customers, 0) as value, customers as successes,
           previous_customers as trials
    from funnel
    where previous_customers is not null
),

overall_conversion as (
    select 'overall_conversion' as metric, stage as item, stage_index as item_index,
           customers / nullif(first_customers, 0) as value, customers as successes,
           first_customers as trials
    from funnel
    where is_conversion
    qualify row_number() over (order by stage_index) = 1
),

pain_score as (
    select 'pain_score' as metric,
           touchpoint || coalesce(' / ' || segment, '') as item, rank as item_index,
           score::double as value, null::bigint as successes, sessions::bigint as trials
    from pain
),

stage_emotion as (
    select 'stage_emotion' as metric, stage as item, stage_index as item_index,
           mean_emotion::double as value, null::bigint as successes, signals::bigint as trials
    from emotion
),

figures as (
    select * from stage_customers
    union all by name select * from stage_conversion
    union all by name select * from overall_conversion
    union all by name select * from pain_score
    union all by name select * from stage_emotion
),

final as (
    select
        $run_id::varchar as run_id,
        $recorded_at::timestamptz as recorded_at,
        metric,
        item,
        item_index::integer as item_index,
        value,
        successes::bigint as successes,
        trials::bigint as trials
    from figures
    order by metric, item_index, item
)

select * from final
