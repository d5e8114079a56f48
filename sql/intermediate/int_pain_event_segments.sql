-- One row per event and segment dimension ([metrics] segment_by, rows of cfg_pain_segments)
-- where the event has a value: campaign / utm_* columns, or a scalar properties.<path>
-- (a list or an object is not one segment).
with scoped_events as (
    select customer_id, event_index, campaign, utm_source, utm_medium, utm_campaign, properties
    from events
),

dimensions as (
    select dimension, column_name, json_path from cfg_pain_segments
),

raw_values as (
    select
        scoped_events.customer_id,
        scoped_events.event_index,
        dimensions.dimension,
        case
            when dimensions.column_name = 'campaign' then scoped_events.campaign
            when dimensions.column_name = 'utm_source' then scoped_events.utm_source
            when dimensions.column_name = 'utm_medium' then scoped_events.utm_medium
            when dimensions.column_name = 'utm_campaign' then scoped_events.utm_campaign
        end as column_value,
        case when dimensions.json_path is not null
            then json_extract(scoped_events.properties, dimensions.json_path) end as property_value
    from scoped_events
    cross join dimensions
),

values_by_dimension as (
    select
        customer_id,
        event_index,
        dimension,
        coalesce(
            column_value,
            case when json_type(property_value) not in ('ARRAY', 'OBJECT', 'NULL')
                then property_value ->> '$' end
        ) as segment_value
    from raw_values
),

final as (
    select customer_id, event_index, dimension, segment_value
    from values_by_dimension
    where segment_value is not null and segment_value <> ''
)

select * from final
