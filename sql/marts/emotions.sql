-- How customers feel, per stage (every stage of stages.order, in order, also those with no
-- signal) and per touchpoint (at its main stage): the mean of every emotion signal
-- (int_sentiment_signals, -1..1), how many there are, the share at or below the negative
-- threshold, and the same split by kind (text, score, behaviour). docs/emotions.md.
-- A reduce over the per-customer partial_emotion_signals (counts and sums of the signals). The
-- sums are exact (DECIMAL) until the division: a double sum's last digits would depend on the
-- order threads add the customers' sums in, and a night must equal its full rebuild.
with signals as (
    select touchpoint, stage_index, signal_kind,
        sum(signals)::bigint as signals, sum(value_sum::decimal(38, 18)) as value_sum, sum(negatives)::bigint as negatives
    from partial_emotion_signals
    group by touchpoint, stage_index, signal_kind
),

stages as (
    select stage_index, stage from cfg_stages
),

touchpoints as (
    select touchpoint, stage_index from int_pain_touchpoints
),

by_stage as (
    select
        'stage' as level,
        stages.stage as name,
        stages.stage,
        stages.stage_index,
        coalesce(sum(signals.signals), 0)::bigint as signals,
        sum(signals.value_sum)::double / sum(signals.signals) as mean_emotion,
        sum(signals.negatives) / sum(signals.signals) as share_negative,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'text'), 0)::bigint as texts,
        (sum(signals.value_sum) filter (where signals.signal_kind = 'text'))::double
            / sum(signals.signals) filter (where signals.signal_kind = 'text') as mean_text,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'score'), 0)::bigint as scores,
        (sum(signals.value_sum) filter (where signals.signal_kind = 'score'))::double
            / sum(signals.signals) filter (where signals.signal_kind = 'score') as mean_score,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'behaviour'), 0)::bigint
            as behaviours
    from stages
    left join signals using (stage_index)
    group by stages.stage, stages.stage_index
),

by_touchpoint as (
    select
        'touchpoint' as level,
        signals.touchpoint as name,
        stages.stage,
        touchpoints.stage_index,
        sum(signals.signals)::bigint as signals,
        sum(signals.value_sum)::double / sum(signals.signals) as mean_emotion,
        sum(signals.negatives) / sum(signals.signals) as share_negative,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'text'), 0)::bigint as texts,
        (sum(signals.value_sum) filter (where signals.signal_kind = 'text'))::double
            / sum(signals.signals) filter (where signals.signal_kind = 'text') as mean_text,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'score'), 0)::bigint as scores,
        (sum(signals.value_sum) filter (where signals.signal_kind = 'score'))::double
            / sum(signals.signals) filter (where signals.signal_kind = 'score') as mean_score,
        coalesce(sum(signals.signals) filter (where signals.signal_kind = 'behaviour'), 0)::bigint
            as behaviours
    from signals
    inner join touchpoints using (touchpoint)
    inner join stages on stages.stage_index = touchpoints.stage_index
    group by signals.touchpoint, stages.stage, touchpoints.stage_index
),

all_levels as (
    select * from by_stage
    union all
    select * from by_touchpoint
),

final as (
    -- rounded so that a re-run or a shuffled input gives the same digits
    select level, name, stage, stage_index, signals,
        round(mean_emotion, 9) as mean_emotion,
        round(share_negative, 9) as share_negative,
        texts, round(mean_text, 9) as mean_text,
        scores, round(mean_score, 9) as mean_score,
        behaviours
    from all_levels
)

select * from final
