-- One row per pain-point unit: every signal's rate, its baseline, its lift and its points,
-- and the score (their sum). docs/pain-points.md:
--   rate_shrunk = (hits + $prior_weight * baseline) / (n + $prior_weight)
--   points      = least($max_signal_points, greatest(0, log2(rate_shrunk / baseline)))
--   score       = sum of the points of every signal
with signals as (
    select * from int_pain_unit_signals
),

touchpoints as (
    select touchpoint, stage_index, channel from int_pain_touchpoints
),

touchpoint_events as (
    select touchpoint, event_type, events from partial_touchpoint_events
),

touchpoint_dwell as (
    select touchpoint, dwell_seconds, events from partial_pain_dwell where dimension = ''
),

touchpoint_kinds as (
    -- a touchpoint's kind: its most frequent event type (time spent compares like with like)
    select touchpoint, arg_max(event_type, (events, event_type)) as event_type
    from (select touchpoint, event_type, sum(events)::bigint as events from touchpoint_events group by all)
    group by touchpoint
),

units as (
    select signals.*, touchpoints.stage_index, touchpoints.channel,
        signals.dimension = '' as is_whole_touchpoint
    from signals
    inner join touchpoints using (touchpoint)
),

peer_rates as (
    select stage_index, channel,
        sum(exit_sessions) / sum(sessions) as peer_exit_rate
    from units
    where is_whole_touchpoint
    group by stage_index, channel
),

channel_loops as (
    -- loops compare with the whole channel: a stage's pages often loop together
    select channel, sum(repeat_sessions) / sum(sessions) as peer_repeat_rate
    from units
    where is_whole_touchpoint
    group by channel
),

peer_groups as (
    -- every (stage, channel, kind) with a touchpoint, also when none of its events has a dwell
    select distinct touchpoints.stage_index, touchpoints.channel, touchpoint_kinds.event_type
    from touchpoints
    inner join touchpoint_kinds using (touchpoint)
),

peer_dwell_counts as (
    select touchpoints.stage_index, touchpoints.channel, touchpoint_kinds.event_type,
        touchpoint_dwell.dwell_seconds, sum(touchpoint_dwell.events) as events
    from touchpoint_dwell
    inner join touchpoints using (touchpoint)
    inner join touchpoint_kinds using (touchpoint)
    group by all
),

peer_dwell_positions as (
    -- the values sorted with their counts: rows [through - events, through) of the sorted list
    select *,
        sum(events) over (partition by stage_index, channel, event_type order by dwell_seconds
            rows between unbounded preceding and current row) as through,
        sum(events) over (partition by stage_index, channel, event_type) as total
    from peer_dwell_counts
),

peer_dwell_medians as (
    -- DuckDB's median of the events' dwell: the middle value, or (lo + hi) / 2
    select stage_index, channel, event_type,
        (max(dwell_seconds) filter (where through - events <= (total - 1) // 2 and (total - 1) // 2 < through)
            + max(dwell_seconds) filter (where through - events <= total // 2 and total // 2 < through)) / 2
            as peer_median_dwell_seconds
    from peer_dwell_positions
    group by stage_index, channel, event_type
),

peer_dwell as (
    select peer_groups.*, peer_dwell_medians.peer_median_dwell_seconds
    from peer_groups
    left join peer_dwell_medians using (stage_index, channel, event_type)
),

baselines as (
    select
        sum(support_sessions) filter (where channel <> 'support')
            / sum(sessions) filter (where channel <> 'support') as support_baseline,
        sum(behaviour_sessions) / sum(sessions) as behaviour_baseline,
        sum(bad_rated_tickets) filter (where channel <> 'support')
            / nullif(sum(rated_tickets) filter (where channel <> 'support'), 0)
            as bad_rating_baseline,
        sum(negative_texts) / nullif(sum(texts), 0) as negative_text_baseline,
        sum(low_scores) / nullif(sum(scores), 0) as low_score_baseline
    from units
    where is_whole_touchpoint
),

rates as (
    select
        units.*,
        peer_rates.peer_exit_rate,
        channel_loops.peer_repeat_rate,
        peer_dwell.peer_median_dwell_seconds,
        baselines.*,
        units.exit_sessions / units.sessions as exit_rate,
        units.repeat_sessions / units.sessions as repeat_rate,
        case when units.channel <> 'support'
            then units.support_sessions / units.sessions end as support_rate,
        units.behaviour_sessions / units.sessions as behaviour_rate,
        case when units.channel <> 'support'
            then units.bad_rated_tickets / nullif(units.rated_tickets, 0) end as bad_rating_share,
        units.negative_texts / nullif(units.texts, 0) as negative_text_share,
        units.low_scores / nullif(units.scores, 0) as low_score_share
    from units
    inner join touchpoint_kinds using (touchpoint)
    inner join peer_rates using (stage_index, channel)
    inner join channel_loops using (channel)
    inner join peer_dwell using (stage_index, channel, event_type)
    cross join baselines
),

lifts as (
    select
        *,
        (exit_sessions + $prior_weight * peer_exit_rate) / (sessions + $prior_weight)
            / nullif(peer_exit_rate, 0) as exit_lift,
        (repeat_sessions + $prior_weight * peer_repeat_rate) / (sessions + $prior_weight)
            / nullif(peer_repeat_rate, 0) as repeat_lift,
        median_dwell_seconds / nullif(peer_median_dwell_seconds, 0) as dwell_lift,
        case when support_rate is not null then
            (support_sessions + $prior_weight * support_baseline) / (sessions + $prior_weight)
                / nullif(support_baseline, 0) end as support_lift,
        case when bad_rating_share is not null then
            (bad_rated_tickets + $prior_weight * bad_rating_baseline) / (rated_tickets + $prior_weight)
                / nullif(bad_rating_baseline, 0) end as bad_rating_lift,
        case when texts > 0 then
            (negative_texts + $prior_weight * negative_text_baseline) / (texts + $prior_weight)
                / nullif(negative_text_baseline, 0) end as negative_text_lift,
        case when scores > 0 then
            (low_scores + $prior_weight * low_score_baseline) / (scores + $prior_weight)
                / nullif(low_score_baseline, 0) end as low_score_lift,
        (behaviour_sessions + $prior_weight * behaviour_baseline) / (sessions + $prior_weight)
            / nullif(behaviour_baseline, 0) as behaviour_lift
    from rates
),

points as (
    select
        *,
        coalesce(least($max_signal_points, greatest(0, log2(exit_lift))), 0) as exit_points,
        coalesce(least($max_signal_points, greatest(0, log2(repeat_lift))), 0) as repeat_points,
        coalesce(least($max_signal_points, greatest(0, log2(dwell_lift))), 0) as dwell_points,
        coalesce(least($max_signal_points, greatest(0, log2(support_lift))), 0) as support_points,
        coalesce(least($max_signal_points, greatest(0, log2(bad_rating_lift))), 0) as bad_rating_points,
        coalesce(least($max_signal_points, greatest(0, log2(negative_text_lift))), 0) as negative_text_points,
        coalesce(least($max_signal_points, greatest(0, log2(low_score_lift))), 0) as low_score_points,
        coalesce(least($max_signal_points, greatest(0, log2(behaviour_lift))), 0) as behaviour_points
    from lifts
),

scored as (
    select
        *,
        exit_points + repeat_points + dwell_points + support_points + bad_rating_points
            + negative_text_points + low_score_points + behaviour_points as score,
        sessions >= $min_volume as is_above_minimum
    from points
),

final as (
    select * from scored
)

select * from final
