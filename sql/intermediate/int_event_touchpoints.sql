-- The touchpoint of every event. raw_touchpoint: the input's touchpoint, else
-- channel:event_type, and for page views channel:page_view:<url path> (no scheme, host, query
-- or fragment; '/' when empty). touchpoint: renamed by the first touchpoint rule (file order)
-- matching the whole raw touchpoint (glob, or regex whose name may use \1), else unchanged.
--
-- The touchpoint depends only on an event's channel, event_type, url and touchpoint: it is
-- computed once per distinct combination of them (hundreds at 1M events), whose events are
-- grouped as a list of event keys and unnested at the end (the url regexes run once per
-- combination, not per event; with a distinct url on every event it is one group each).
with events as (
    select event_key, channel, event_type, url, touchpoint from int_events
),

rules as (
    select rule_index, glob_pattern, regex_pattern, name from cfg_touchpoint_rules
),

inputs as (
    select channel, event_type, url, touchpoint, list(event_key) as event_keys
    from events
    group by channel, event_type, url, touchpoint
),

url_paths as (
    select
        *,
        regexp_replace(
            regexp_replace(url, '[?#].*$', ''), '^([A-Za-z][A-Za-z0-9+.\-]*:)?//[^/]*', ''
        ) as url_path
    from inputs
),

defaults as (
    select
        event_keys,
        coalesce(
            touchpoint,
            case
                when event_type = 'page_view' and url is not null
                    then channel || ':page_view:' || coalesce(nullif(url_path, ''), '/')
                else channel || ':' || event_type
            end
        ) as raw_touchpoint
    from url_paths
),

rule_matches as (
    select
        distinct_touchpoints.raw_touchpoint,
        rules.rule_index,
        coalesce(
            regexp_replace(raw_touchpoint, '^(?:' || rules.regex_pattern || ')$', rules.name),
            rules.name
        ) as touchpoint
    from (select distinct raw_touchpoint from defaults) as distinct_touchpoints
    inner join rules
        on distinct_touchpoints.raw_touchpoint glob rules.glob_pattern
        or regexp_full_match(distinct_touchpoints.raw_touchpoint, rules.regex_pattern)
),

first_matches as (
    select raw_touchpoint, min(rule_index) as touchpoint_rule, arg_min(touchpoint, rule_index) as touchpoint
    from rule_matches
    group by raw_touchpoint
),

final as (
    select
        unnest(defaults.event_keys) as event_key,
        defaults.raw_touchpoint,
        coalesce(first_matches.touchpoint, defaults.raw_touchpoint) as touchpoint,
        first_matches.touchpoint_rule
    from defaults
    left join first_matches using (raw_touchpoint)
)

select * from final
