-- Per event, the stage rules with conditions whose condition groups it meets, all of them
-- (groups_met = the rule's condition_groups). A group is one rule's
-- channels (exact), its event_type globs, the globs of one `match` column, or one `min` /
-- `max` bound (inclusive); it is met when any of its values is. `properties.<path>` columns
-- are read with json_extract_string (bounds: try_cast to double); NULL meets nothing.
--
-- Which rules an event meets depends only on its values of the columns conditions read: its
-- *signature* (a struct of those columns, the others NULL, and the list of the JSON paths'
-- values). Conditions are checked once per DISTINCT signature (about a thousand at 1M
-- events: channel x event_type x url x ...), not once per event x condition; events then
-- get their signature's rules through the signature's list of event keys (the signatures
-- are hashed once, when they are grouped; the join is between the ~thousand signatures).
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

-- which canonical columns are read, and the JSON paths read (in a fixed order)
reads as (
    select
        coalesce(list(distinct json_path order by json_path) filter (where json_path is not null), [])
            as json_paths,
        coalesce(bool_or(column_name = 'event_id'), false) as is_event_id,
        coalesce(bool_or(column_name = 'source'), false) as is_source,
        coalesce(bool_or(column_name = 'channel'), false) as is_channel,
        coalesce(bool_or(column_name = 'event_type'), false) as is_event_type,
        coalesce(bool_or(column_name = 'user_id'), false) as is_user_id,
        coalesce(bool_or(column_name = 'anonymous_id'), false) as is_anonymous_id,
        coalesce(bool_or(column_name = 'email'), false) as is_email,
        coalesce(bool_or(column_name = 'url'), false) as is_url,
        coalesce(bool_or(column_name = 'referrer'), false) as is_referrer,
        coalesce(bool_or(column_name = 'utm_source'), false) as is_utm_source,
        coalesce(bool_or(column_name = 'utm_medium'), false) as is_utm_medium,
        coalesce(bool_or(column_name = 'utm_campaign'), false) as is_utm_campaign,
        coalesce(bool_or(column_name = 'campaign'), false) as is_campaign,
        coalesce(bool_or(column_name = 'touchpoint'), false) as is_touchpoint,
        coalesce(bool_or(column_name = 'revenue'), false) as is_revenue,
        coalesce(bool_or(column_name = 'score'), false) as is_score,
        coalesce(bool_or(column_name = 'text'), false) as is_text
    from condition_columns
),

-- each event's signature: the values of the columns conditions read, nothing else
event_signatures as (
    select
        events.event_key,
        struct_pack(
            event_id := case when reads.is_event_id then events.event_id end,
            source := case when reads.is_source then events.source end,
            channel := case when reads.is_channel then events.channel end,
            event_type := case when reads.is_event_type then events.event_type end,
            user_id := case when reads.is_user_id then events.user_id end,
            anonymous_id := case when reads.is_anonymous_id then events.anonymous_id end,
            email := case when reads.is_email then events.email end,
            url := case when reads.is_url then events.url end,
            referrer := case when reads.is_referrer then events.referrer end,
            utm_source := case when reads.is_utm_source then events.utm_source end,
            utm_medium := case when reads.is_utm_medium then events.utm_medium end,
            utm_campaign := case when reads.is_utm_campaign then events.utm_campaign end,
            campaign := case when reads.is_campaign then events.campaign end,
            touchpoint := case when reads.is_touchpoint then events.touchpoint end,
            revenue := case when reads.is_revenue then events.revenue end,
            score := case when reads.is_score then events.score end,
            text := case when reads.is_text then events.text end,
            json_values := case when len(reads.json_paths) > 0
                then list_transform(reads.json_paths, lambda path: json_extract_string(events.properties, path)) end
        ) as signature
    from events
    cross join reads
),

signatures as (
    select signature, list(event_key) as event_keys
    from event_signatures
    group by signature
),

-- each signature's value of each column a condition reads (NULL meets nothing: left out)
signature_values as (
    select
        signatures.signature,
        condition_columns.column_name,
        case
            when condition_columns.json_path is not null
                then signatures.signature.json_values[list_position(reads.json_paths, condition_columns.json_path)]
            else case condition_columns.column_name
                when 'event_id' then signatures.signature.event_id
                when 'source' then signatures.signature.source
                when 'channel' then signatures.signature.channel
                when 'event_type' then signatures.signature.event_type
                when 'user_id' then signatures.signature.user_id
                when 'anonymous_id' then signatures.signature.anonymous_id
                when 'email' then signatures.signature.email
                when 'url' then signatures.signature.url
                when 'referrer' then signatures.signature.referrer
                when 'utm_source' then signatures.signature.utm_source
                when 'utm_medium' then signatures.signature.utm_medium
                when 'utm_campaign' then signatures.signature.utm_campaign
                when 'campaign' then signatures.signature.campaign
                when 'touchpoint' then signatures.signature.touchpoint
                when 'revenue' then signatures.signature.revenue::varchar
                when 'score' then signatures.signature.score::varchar
                when 'text' then signatures.signature.text
            end
        end as text_value,
        case
            when condition_columns.json_path is not null
                then try_cast(
                    signatures.signature.json_values[list_position(reads.json_paths, condition_columns.json_path)]
                    as double
                )
            when condition_columns.column_name = 'revenue' then signatures.signature.revenue
            when condition_columns.column_name = 'score' then signatures.signature.score
        end as number_value
    from signatures
    cross join condition_columns
    cross join reads
),

known_values as (
    select signature, column_name, text_value, number_value
    from signature_values
    where text_value is not null
),

-- one row per signature and met (column, value, rule, kind): each row is one distinct
-- group (kind, column) of the rule that the signature meets
met_groups as (
    select distinct
        known_values.signature,
        known_values.column_name,
        conditions.rule_index,
        conditions.condition_kind
    from known_values
    inner join conditions using (column_name)
    where case conditions.condition_kind
        when 'channel' then known_values.text_value = conditions.pattern
        when 'min' then known_values.number_value >= conditions.bound
        when 'max' then known_values.number_value <= conditions.bound
        else known_values.text_value glob conditions.pattern
    end
),

groups_met as (
    select signature, rule_index, count(*) as groups_met
    from met_groups
    group by signature, rule_index
),

rules as (
    select rule_index, condition_groups from cfg_stage_rules
),

-- only the rules met in full are ever used (int_event_rule_matches)
signature_rules as (
    select groups_met.signature, groups_met.rule_index, groups_met.groups_met
    from groups_met
    inner join rules using (rule_index)
    where groups_met.groups_met = rules.condition_groups
),

final as (
    select unnest(signatures.event_keys) as event_key, signature_rules.rule_index, signature_rules.groups_met
    from signatures
    inner join signature_rules
        on signatures.signature is not distinct from signature_rules.signature
)

select * from final
