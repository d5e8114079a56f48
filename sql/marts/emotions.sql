-- How customers feel, per stage (every stage of stages.order, in order, also those with no
-- signal) and per touchpoint (at its main stage): the mean of every emotion signal
-- (int_sentiment_signals, -1..1), how many there are, the share at or below the negative
-- threshold, and the same split by kind (text, score, behaviour). docs/emotions.md.
with signals as (
    select touchpoint, stage_index, signal_kind, signal_value, is_negative
    from int_sentiment_signals
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
        count(signals.signal_value) as signals,
        avg(signals.signal_value) as mean_emotion,
        avg(signals.is_negative::int) as share_negative,
        count(signals.signal_value) filter (where signals.signal_kind = 'text') as texts,
        avg(signals.signal_value) filter (where signals.signal_kind = 'text') as mean_text,
        count(signals.signal_value) filter (where signals.signal_kind = 'score') as scores,
        avg(signals.signal_value) filter (where signals.signal_kind = 'score') as mean_score,
        count(signals.signal_value) filter (where signals.signal_kind = 'behaviour') as behaviours
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
        count(*) as signals,
        avg(signals.signal_value) as mean_emotion,
        avg(signals.is_negative::int) as share_negative,
        count(*) filter (where signals.signal_kind = 'text') as texts,
        avg(signals.signal_value) filter (where signals.signal_kind = 'text') as mean_text,
        count(*) filter (where signals.signal_kind = 'score') as scores,
        avg(signals.signal_value) filter (where signals.signal_kind = 'score') as mean_score,
        count(*) filter (where signals.signal_kind = 'behaviour') as behaviours
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
