-- The data behind the report, one row: period of the events, events, customers, quarantined
-- rows (every row of the quarantine table).
with events as (
    select occurred_at from events
),

event_stats as (
    select min(occurred_at) as period_start_at, max(occurred_at) as period_end_at,
        count(*) as events
    from events
),

customer_stats as (
    select count(*) as customers from customers
),

quarantine_stats as (
    select count(*) as quarantined from quarantine
),

final as (
    select * from event_stats cross join customer_stats cross join quarantine_stats
)

select * from final
