-- One row per pain-point unit (a touchpoint, or one segment of it): the raw counts behind
-- every signal, summed over the per-customer partials (partial_pain_units), and the exact
-- median time to the next event from the summed distribution (partial_pain_dwell). Rates
-- and lifts are computed in int_pain_unit_scores.
with customer_units as (
    select * exclude (customer_id) from partial_pain_units
),

dwell_counts as (
    select touchpoint, dimension, segment_value, dwell_seconds, sum(events) as events
    from partial_pain_dwell
    group by touchpoint, dimension, segment_value, dwell_seconds
),

unit_counts as (
    select
        touchpoint, dimension, segment_value,
        sum(sessions)::bigint as sessions,
        sum(exit_sessions)::bigint as exit_sessions,
        sum(repeat_sessions)::bigint as repeat_sessions,
        sum(support_sessions)::bigint as support_sessions,
        sum(behaviour_sessions)::bigint as behaviour_sessions,
        sum(texts)::bigint as texts,
        sum(negative_texts)::bigint as negative_texts,
        sum(scores)::bigint as scores,
        sum(low_scores)::bigint as low_scores,
        sum(followed_tickets)::bigint as followed_tickets,
        sum(rated_tickets)::bigint as rated_tickets,
        sum(bad_rated_tickets)::bigint as bad_rated_tickets
    from customer_units
    group by touchpoint, dimension, segment_value
),

dwell_positions as (
    -- the values sorted with their counts: rows [through - events, through) of the sorted list
    select *,
        sum(events) over (partition by touchpoint, dimension, segment_value order by dwell_seconds
            rows between unbounded preceding and current row) as through,
        sum(events) over (partition by touchpoint, dimension, segment_value) as total
    from dwell_counts
),

dwell as (
    -- DuckDB's median: the middle value, or the mean of the two middle ones ((lo + hi) / 2)
    select touchpoint, dimension, segment_value,
        (max(dwell_seconds) filter (where through - events <= (total - 1) // 2 and (total - 1) // 2 < through)
            + max(dwell_seconds) filter (where through - events <= total // 2 and total // 2 < through)) / 2
            as median_dwell_seconds
    from dwell_positions
    group by touchpoint, dimension, segment_value
),

final as (
    select
        unit_counts.touchpoint, unit_counts.dimension, unit_counts.segment_value,
        unit_counts.sessions, unit_counts.exit_sessions, unit_counts.repeat_sessions,
        unit_counts.support_sessions, unit_counts.behaviour_sessions,
        dwell.median_dwell_seconds,
        unit_counts.texts, unit_counts.negative_texts, unit_counts.scores, unit_counts.low_scores,
        unit_counts.followed_tickets, unit_counts.rated_tickets, unit_counts.bad_rated_tickets
    from unit_counts
    left join dwell using (touchpoint, dimension, segment_value)
)

select * from final
