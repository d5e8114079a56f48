-- One row per customer and map of the report: group_id 0 (everyone) for every customer, and
-- group_id 1.. for the customer's value of the persona attribute $persona (customers.attributes,
-- read as in int_customer_groups; customers without it are only in group 0). persona: the
-- group's label (NULL for everyone); groups numbered by persona, in text order.
with customers as (
    select customer_id, attributes from customers
),

persona_values as (
    select
        customer_id,
        json_extract_string(attributes, '$.' || json_quote($persona)) as persona
    from customers
),

everyone as (
    select customer_id, 0 as group_id, cast(null as varchar) as persona
    from customers
),

personas as (
    select
        customer_id,
        dense_rank() over (order by persona)::integer as group_id,
        persona
    from persona_values
    where persona is not null
),

final as (
    select * from everyone
    union all
    select * from personas
)

select * from final
