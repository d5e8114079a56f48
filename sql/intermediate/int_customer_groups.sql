-- One row per customer and breakdown dimension, narrow: dimension_type 'attribute' (every
-- key found in any customer's attributes with at most $breakdown_max_values distinct values:
-- more is an identifier or a timestamp, not a group; value NULL for customers without it;
-- JSON values as text), 'first_touch_channel' (channel of the customer's first event) and
-- 'acquisition_week' (Monday, UTC, of the week of first_seen_at, as 'YYYY-MM-DD'). A reduce
-- model: the first channel comes from the stored per-customer partial partial_path_customers.
with customers as (
    select customer_id, first_seen_at, attributes from customers
),

first_events as (
    select customer_id, first_channel as channel from partial_path_customers
),

attribute_keys as (
    select distinct unnest(json_keys(attributes)) as dimension from customers
),

attribute_values as (
    select
        'attribute' as dimension_type,
        attribute_keys.dimension,
        customers.customer_id,
        json_extract_string(
            customers.attributes, '$.' || json_quote(attribute_keys.dimension)
        ) as value
    from customers
    cross join attribute_keys
),

groupable_attributes as (
    select dimension
    from attribute_values
    group by dimension
    having count(distinct value) <= $breakdown_max_values
),

first_touch as (
    select 'first_touch_channel' as dimension_type, 'first_touch_channel' as dimension,
        customer_id, channel as value
    from first_events
),

acquisition as (
    select 'acquisition_week' as dimension_type, 'acquisition_week' as dimension,
        customer_id, strftime(date_trunc('week', first_seen_at), '%Y-%m-%d') as value
    from customers
),

final as (
    select attribute_values.*
    from attribute_values
    semi join groupable_attributes using (dimension)
    union all
    select * from first_touch
    union all
    select * from acquisition
)

select * from final
