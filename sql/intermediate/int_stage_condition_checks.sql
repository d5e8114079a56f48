-- The condition groups of stage rules that each event meets. A group is one rule's
-- channels (exact), its event_type globs, the globs of one `match` column, or one `min` /
-- `max` bound (inclusive); it is met when any of its values is. `properties.<path>` columns
-- are read with json_extract_string (bounds: try_cast to double); NULL meets nothing.
with events as (
    select int_events.* exclude (touchpoint), int_event_touchpoints.touchpoint
    from int_events
    inner join int_event_touchpoints using (event_key)
),

conditions as (
    select rule_index, condition_kind, column_name, json_path, pattern, bound
    from cfg_stage_rule_conditions
),

-- Pre-filter: a `channel` condition, or an `event_type` pattern without glob characters,
-- can only be met by events with exactly that value, so those pairs come from an equality
-- join (a hash join) instead of every event x every condition. The rest pairs every event
-- with every remaining condition, as before; `checked` decides either way.
is_literal as (
    select
        *,
        condition_kind = 'channel'
            or (condition_kind = 'event_type' and not regexp_matches(pattern, '[*?\[\]\\]'))
            as is_equality
    from conditions
),

candidate_pairs as (
    select events.event_key, is_literal.rule_index, is_literal.condition_kind,
        is_literal.column_name, is_literal.json_path, is_literal.pattern, is_literal.bound
    from events
    inner join is_literal
        on is_literal.is_equality
        and is_literal.pattern = case is_literal.condition_kind
            when 'channel' then events.channel else events.event_type end
    union all
    select events.event_key, is_literal.rule_index, is_literal.condition_kind,
        is_literal.column_name, is_literal.json_path, is_literal.pattern, is_literal.bound
    from events
    cross join is_literal
    where not is_literal.is_equality
),

condition_values as (
    select
        candidate_pairs.event_key,
        candidate_pairs.rule_index,
        candidate_pairs.condition_kind,
        candidate_pairs.column_name,
        candidate_pairs.json_path,
        candidate_pairs.pattern,
        candidate_pairs.bound,
        case
            when candidate_pairs.json_path is not null
                then json_extract_string(events.properties, candidate_pairs.json_path)
            else case candidate_pairs.column_name
                when 'event_id' then events.event_id
                when 'source' then events.source
                when 'channel' then events.channel
                when 'event_type' then events.event_type
                when 'user_id' then events.user_id
                when 'anonymous_id' then events.anonymous_id
                when 'email' then events.email
                when 'url' then events.url
                when 'referrer' then events.referrer
                when 'utm_source' then events.utm_source
                when 'utm_medium' then events.utm_medium
                when 'utm_campaign' then events.utm_campaign
                when 'campaign' then events.campaign
                when 'touchpoint' then events.touchpoint
                when 'revenue' then events.revenue::varchar
                when 'score' then events.score::varchar
                when 'text' then events.text
            end
        end as text_value,
        case
            when candidate_pairs.json_path is not null
                then try_cast(json_extract_string(events.properties, candidate_pairs.json_path) as double)
            when candidate_pairs.column_name = 'revenue' then events.revenue
            when candidate_pairs.column_name = 'score' then events.score
        end as number_value
    from candidate_pairs
    inner join events using (event_key)
),

checked as (
    select
        *,
        case condition_kind
            when 'channel' then text_value = pattern
            when 'min' then number_value >= bound
            when 'max' then number_value <= bound
            else text_value glob pattern
        end as is_met
    from condition_values
),

final as (
    select distinct event_key, rule_index, condition_kind, column_name
    from checked
    where is_met
)

select * from final
