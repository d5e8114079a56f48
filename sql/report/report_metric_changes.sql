-- The headline figures of two runs side by side (metric_history): run $run_a (before) and
-- run $run_b (after), one row per figure either run has. journey_mining.drift adds the
-- change and the two-proportion test.
with history as (
    select run_id, metric, item, item_index, value, successes, trials from metric_history
),

before as (
    select * from history where run_id = $run_a
),

after as (
    select * from history where run_id = $run_b
),

metric_order as (
    select * from (values
        ('overall_conversion', 0), ('stage_customers', 1), ('stage_conversion', 2),
        ('stage_emotion', 3), ('pain_score', 4)
    ) as t(metric, metric_rank)
),

paired as (
    select
        coalesce(a.metric, b.metric) as metric,
        coalesce(a.item, b.item) as item,
        coalesce(a.item_index, b.item_index) as item_index,
        b.value as value_before,
        a.value as value_after,
        b.successes as successes_before,
        b.trials as trials_before,
        a.successes as successes_after,
        a.trials as trials_after
    from after a
    full outer join before b on a.metric = b.metric and a.item = b.item
),

final as (
    select paired.*
    from paired
    left join metric_order using (metric)
    order by metric_order.metric_rank, paired.item_index, paired.item
)

select * from final
