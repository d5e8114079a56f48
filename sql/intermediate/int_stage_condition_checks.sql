-- Per event, the stage rules with conditions whose condition groups it meets, all of them
-- (groups_met = the rule's condition_groups). A group is one rule's
-- channels (exact), its event_type globs, the globs of one `match` column, or one `min` /
-- `max` bound (inclusive); it is met when any of its values is. `properties.<path>` columns
-- are read with json_extract_string (bounds: try_cast to double); NULL meets nothing.
--
-- Conditions are checked once per DISTINCT value of the column they read (a few thousand
-- urls, a handful of channels), not once per event x condition; events then find the
-- conditions their values meet with an equality join.
with events as (
    select int_events.* exclude (touchpoint), int_event_touchpoints.touchpoint
    from int_events
    inner join int_event_touchpoints using (event_key)
),

conditions as (
    select rule_index, condition_kind, column_name, json_path, pattern, bound
    from cfg_stage_rule_conditions
),

-- the columns conditions read (json_path is a function of column_name)
condition_columns as (
    select distinct column_name, json_path from conditions
),

-- each event's value of each column a condition reads (NULL meets nothing: left out)
event_values as (
    select
        events.event_key,
        condition_columns.column_name,
        case
            when condition_columns.json_path is not null
                then json_extract_string(events.properties, condition_columns.json_path)
            else case condition_columns.column_name
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
            when condition_columns.json_path is not null
                then try_cast(json_extract_string(events.properties, condition_columns.json_path) as double)
            when condition_columns.column_name = 'revenue' then events.revenue
            when condition_columns.column_name = 'score' then events.score
        end as number_value
    from events
    cross join condition_columns
),

known_values as (
    select event_key, column_name, text_value, number_value
    from event_values
    where text_value is not null
),

-- the number is a function of the text (a cast), so (column, text) identifies a value
distinct_values as (
    select distinct column_name, text_value, number_value from known_values
),

met_values as (
    select distinct
        distinct_values.column_name,
        distinct_values.text_value,
        conditions.rule_index,
        conditions.condition_kind
    from distinct_values
    inner join conditions using (column_name)
    where case conditions.condition_kind
        when 'channel' then distinct_values.text_value = conditions.pattern
        when 'min' then distinct_values.number_value >= conditions.bound
        when 'max' then distinct_values.number_value <= conditions.bound
        else distinct_values.text_value glob conditions.pattern
    end
),

-- one row per event and column, one per (column, value, rule, kind): each row is one
-- distinct group (kind, column) of the rule that the event meets
met_groups as (
    select known_values.event_key, met_values.rule_index
    from known_values
    inner join met_values
        on met_values.column_name = known_values.column_name
        and met_values.text_value = known_values.text_value
),

groups_met as (
    select event_key, rule_index, count(*) as groups_met
    from met_groups
    group by event_key, rule_index
),

rules as (
    select rule_index, condition_groups from cfg_stage_rules
),

-- only the rules the event meets in full are ever used (int_event_rule_matches)
final as (
    select groups_met.event_key, groups_met.rule_index, groups_met.groups_met
    from groups_met
    inner join rules using (rule_index)
    where groups_met.groups_met = rules.condition_groups
)

select * from final
