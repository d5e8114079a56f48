-- One row per touchpoint (segment NULL) and per touchpoint segment ([metrics] segment_by,
-- e.g. 'campaign=spring_sale'): every signal behind its pain score (int_pain_unit_scores),
-- the score, its rank and a reason in plain words. docs/pain-points.md.
-- Ranked: units reached by at least $min_volume sessions with a score > 0; a segment value
-- only at its best touchpoint. reason: the (at most three) signals worth at least
-- $reason_min_points points, strongest first.
with scored as (
    select * from int_pain_unit_scores
),

stages as (
    select stage_index, stage from cfg_stages
),

deduplicated as (
    -- a segment value (e.g. one campaign) is ranked once, at its highest-scoring touchpoint
    select
        *,
        is_above_minimum and score > 0 and (is_whole_touchpoint or row_number() over (
            partition by is_whole_touchpoint, dimension, segment_value, is_above_minimum
            order by score desc, sessions desc, touchpoint
        ) = 1) as is_ranked
    from scored
),

phrases as (
    select
        touchpoint, dimension, segment_value,
        list_transform(
            list_filter(
                list_sort([
                    {'points': exit_points, 'text': format(
                        '{:.0f}% of sessions that reach it end there, {:.1f}x its stage''s average',
                        100 * exit_rate, exit_rate / nullif(peer_exit_rate, 0))},
                    {'points': repeat_points, 'text': format(
                        '{:.0f}% of sessions that reach it come back to it twice or more, {:.1f}x its channel''s average',
                        100 * repeat_rate, repeat_rate / nullif(peer_repeat_rate, 0))},
                    {'points': dwell_points, 'text': format(
                        'median {:.0f} s to the next event, {:.1f}x its stage''s median for the same event type',
                        median_dwell_seconds, dwell_lift)},
                    {'points': support_points, 'text': format(
                        '{:.0f}% of sessions that reach it are followed by a support ticket within {:g} h, {:.1f}x the average',
                        100 * support_rate, $support_window_hours, support_rate / nullif(support_baseline, 0))},
                    {'points': bad_rating_points, 'text': format(
                        '{:.0f}% of rated tickets that follow it are rated bad (average {:.0f}%)',
                        100 * bad_rating_share, 100 * bad_rating_baseline)},
                    {'points': negative_text_points, 'text': format(
                        '{:.0f}% of its {:d} texts are negative (average {:.0f}%)',
                        100 * negative_text_share, texts, 100 * negative_text_baseline)},
                    {'points': low_score_points, 'text': format(
                        '{:.0f}% of its {:d} scores are low (average {:.0f}%)',
                        100 * low_score_share, scores, 100 * low_score_baseline)},
                    {'points': behaviour_points, 'text': format(
                        '{:.1f}% of sessions that reach it are followed by an unsubscribe, spam report or bounce within {:g} h, {:.1f}x the average',
                        100 * behaviour_rate, $support_window_hours, behaviour_rate / nullif(behaviour_baseline, 0))}
                ], 'DESC'),
                lambda phrase: phrase.points >= $reason_min_points
            ),
            lambda phrase: phrase.text
        ) as reason_parts
    from scored
),

final as (
    select
        case when scored.is_ranked then
            row_number() over (
                partition by scored.is_ranked
                order by scored.score desc, scored.sessions desc, scored.touchpoint,
                    scored.dimension, scored.segment_value
            ) end as rank,
        scored.touchpoint,
        case when scored.is_whole_touchpoint then null
            else scored.dimension || '=' || scored.segment_value end as segment,
        stages.stage,
        scored.stage_index,
        scored.channel,
        round(scored.score, 6) as score,
        scored.is_ranked,
        scored.sessions,
        scored.exit_sessions::bigint as exit_sessions,
        scored.exit_rate,
        scored.peer_exit_rate,
        scored.exit_points,
        scored.repeat_sessions::bigint as repeat_sessions,
        scored.repeat_rate,
        scored.peer_repeat_rate,
        scored.repeat_points,
        scored.median_dwell_seconds,
        scored.peer_median_dwell_seconds,
        scored.dwell_points,
        scored.support_sessions::bigint as support_sessions,
        scored.support_rate,
        scored.support_baseline,
        scored.support_points,
        scored.followed_tickets,
        scored.rated_tickets,
        scored.bad_rated_tickets::bigint as bad_rated_tickets,
        scored.bad_rating_share,
        scored.bad_rating_baseline,
        scored.bad_rating_points,
        scored.texts::bigint as texts,
        scored.negative_texts::bigint as negative_texts,
        scored.negative_text_share,
        scored.negative_text_baseline,
        scored.negative_text_points,
        scored.scores::bigint as scores,
        scored.low_scores::bigint as low_scores,
        scored.low_score_share,
        scored.low_score_baseline,
        scored.low_score_points,
        scored.behaviour_sessions::bigint as behaviour_sessions,
        scored.behaviour_rate,
        scored.behaviour_baseline,
        scored.behaviour_points,
        case
            when not scored.is_above_minimum then format(
                'not ranked: {:d} sessions, fewer than the minimum of {:d}', scored.sessions, $min_volume)
            when not scored.is_ranked and scored.score > 0 then
                'not ranked: this segment scores higher at another touchpoint'
            when len(phrases.reason_parts) = 0 then 'no signal above its baseline'
            else array_to_string(phrases.reason_parts[1:3], '; ')
        end as reason
    from deduplicated as scored
    inner join phrases using (touchpoint, dimension, segment_value)
    inner join stages using (stage_index)
)

select * from final
