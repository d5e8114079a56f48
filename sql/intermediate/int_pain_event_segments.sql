-- One row per event and segment dimension ([metrics] segment_by, rows of cfg_pain_segments)
-- where the event has a value: campaign / utm_* columns, or a scalar properties.<path>.
with scoped_events as (
    select customer_id, event_index, campaign, utm_source, utm_medium, utm_campaign, properties
    from events
),

dimensions as (
    select dimension, column_name, json_path from cfg_pain_segments
),

values_by_dimension as (
    select
        scoped_events.customer_id,
        scoped_events.event_index,
        dimensions.dimension,
        case
            -- scalar values only: a list or an object is not one segment
            when dimensions.json_path is not null
                and json_type(scoped_events.properties, dimensions.json_path)
                    not in ('ARRAY', 'OBJECT')
                then json_extract_string(scoped_events.properties, dimensions.json_path)
            when dimensions.column_name = 'campaign' then scoped_events.campaign
            when dimensions.column_name = 'utm_source' then scoped_events.utm_source
            when dimensions.column_name = 'utm_medium' then scoped_events.utm_medium
            when dimensions.column_name = 'utm_campaign' then scoped_events.utm_campaign
        end as segment_value
    from scoped_events
    cross join dimensions
),

final as (
    select customer_id, event_index, dimension, segment_value
    from values_by_dimension
    where segment_value is not null and segment_value <> ''
)

select * from final
