-- The stage rules each event matches (all its condition groups met), in file order, up to
-- its first rule without `after`: a later rule can never win. Whether an `after` rule
-- applies depends on the customer's earlier events; int_stage_levels decides that.
with groups_met as (
    select event_key, rule_index, groups_met from int_stage_condition_checks
),

rules as (
    select rule_index, stage_index, after_index, condition_groups from cfg_stage_rules
),

events as (
    select event_key from int_events
),

matched_pairs as (
    select groups_met.event_key, groups_met.rule_index
    from groups_met
    inner join rules using (rule_index)
    where groups_met.groups_met = rules.condition_groups
    union all
    select events.event_key, rules.rule_index
    from events
    cross join rules
    where rules.condition_groups = 0
),

matches as (
    select matched_pairs.event_key, rules.*
    from matched_pairs
    inner join rules using (rule_index)
),

first_plain_rules as (
    select event_key, min(rule_index) as plain_rule_index
    from matches
    where after_index is null
    group by event_key
),

final as (
    select matches.event_key, matches.rule_index, matches.stage_index, matches.after_index
    from matches
    left join first_plain_rules using (event_key)
    where first_plain_rules.plain_rule_index is null
        or matches.rule_index <= first_plain_rules.plain_rule_index
)

select * from final
