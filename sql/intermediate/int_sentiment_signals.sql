-- One row per emotion signal of an event, normalised to -1..1 (docs/emotions.md):
--   text       VADER compound of the event's text (int_sentiment_texts scores each distinct
--              text once); agent replies (ticket_reply) are not the customer's words
--   score      CSAT good/bad 1/0 -> +1/-1, NPS 0..10 -> (s-5)/5, rating 1..5 -> (s-3)/2
--   behaviour  unsubscribe / spam report -> -1, bounce / dropped -> -0.5
-- is_negative: value <= $negative_at_or_below. An event can give a text and a score signal.
with scoped_events as (
    select customer_id, event_index, session_id, occurred_at, event_type, touchpoint,
        stage_index, score, text
    from events
),

texts as (
    select text, compound from int_sentiment_texts
),

score_scales as (
    select * from (values
        ('*csat*', 0.0, 1.0),
        ('*nps*', 0.0, 10.0),
        ('*review*', 1.0, 5.0),
        ('*rating*', 1.0, 5.0)
    ) as scales (event_type_glob, scale_min, scale_max)
),

behaviour_values as (
    select * from (values
        ('*unsubscribe*', -1.0),
        ('*spamreport*', -1.0),
        ('*bounce*', -0.5),
        ('*dropped*', -0.5)
    ) as behaviours (event_type_glob, signal_value)
),

text_signals as (
    select scoped_events.customer_id, scoped_events.event_index, 'text' as signal_kind,
        texts.compound as signal_value
    from scoped_events
    inner join texts using (text)
    where scoped_events.event_type <> 'ticket_reply'
),

score_signals as (
    select scoped_events.customer_id, scoped_events.event_index, 'score' as signal_kind,
        -- several globs may match one type: the narrowest scale wins, deterministically
        arg_min(
            greatest(-1.0, least(1.0,
                2 * (scoped_events.score - score_scales.scale_min)
                    / (score_scales.scale_max - score_scales.scale_min) - 1)),
            score_scales.scale_max - score_scales.scale_min
        ) as signal_value
    from scoped_events
    inner join score_scales on scoped_events.event_type glob score_scales.event_type_glob
    where scoped_events.score is not null
    group by scoped_events.customer_id, scoped_events.event_index
),

behaviour_signals as (
    select scoped_events.customer_id, scoped_events.event_index, 'behaviour' as signal_kind,
        min(behaviour_values.signal_value) as signal_value
    from scoped_events
    inner join behaviour_values on scoped_events.event_type glob behaviour_values.event_type_glob
    group by scoped_events.customer_id, scoped_events.event_index
),

all_signals as (
    select * from text_signals
    union all
    select * from score_signals
    union all
    select * from behaviour_signals
),

final as (
    select
        all_signals.customer_id,
        all_signals.event_index,
        scoped_events.session_id,
        scoped_events.occurred_at,
        scoped_events.touchpoint,
        scoped_events.stage_index,
        all_signals.signal_kind,
        all_signals.signal_value,
        all_signals.signal_value <= $negative_at_or_below as is_negative
    from all_signals
    inner join scoped_events using (customer_id, event_index)
)

select * from final
