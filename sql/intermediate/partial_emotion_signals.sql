-- Per-customer partial (tables.STORED_PARTIALS): one row per customer, touchpoint, stage and
-- signal kind with emotion signals (int_sentiment_signals): how many, the sum of their
-- values and how many are negative. The emotions mart sums them per stage and per
-- touchpoint. The sum is exact (DECIMAL, then one cast): a double sum's last bit would depend
-- on the order threads add the values in, and a re-run must not change a stored partial.
with signals as (
    select customer_id, touchpoint, stage_index, signal_kind, signal_value, is_negative
    from int_sentiment_signals
),

final as (
    select customer_id, touchpoint, stage_index, signal_kind,
        count(*) as signals,
        sum(signal_value::decimal(38, 18))::double as value_sum,
        count_if(is_negative)::bigint as negatives
    from signals
    group by customer_id, touchpoint, stage_index, signal_kind
)

select * from final
