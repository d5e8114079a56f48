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

condition_values as (
    select
        events.event_key,
        conditions.*,
        case
            when conditions.json_path is not null
                then json_extract_string(events.properties, conditions.json_path)
            else case conditions.column_name
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
            when conditions.json_path is not null
                then try_cast(json_extract_string(events.properties, conditions.json_path) as double)
            when conditions.column_name = 'revenue' then events.revenue
            when conditions.column_name = 'score' then events.score
        end as number_value
    from events
    cross join conditions
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
