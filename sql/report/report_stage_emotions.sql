-- One row per map group and stage with at least one emotion signal: signals (n), their mean
-- (-1..1) and the share at or below the negative threshold, from int_sentiment_signals (the
-- emotions mart's own signals, rebuilt by the report in a temp table). Group 0 equals the
-- emotions mart's stage rows.
with signals as (
    select customer_id, stage_index, signal_value, is_negative from int_sentiment_signals
),

groups as (
    select customer_id, group_id from report_customer_groups
),

final as (
    select
        groups.group_id,
        signals.stage_index,
        count(*) as signals,
        round(avg(signals.signal_value), 9) as mean_emotion,
        round(avg(signals.is_negative::int), 9) as share_negative
    from signals
    inner join groups using (customer_id)
    group by groups.group_id, signals.stage_index
    order by groups.group_id, signals.stage_index
)

select * from final
