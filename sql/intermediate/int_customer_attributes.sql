-- Profile attributes merged per customer: the top-level keys of every profile row that
-- describes it; on a conflict the later row wins; a null value never overrides.
with profiles as (
    select profile_key, attributes from int_profiles
    where json_type(attributes) = 'OBJECT'
),

customer_profiles as (
    select customer_id, profile_key from int_customer_profiles
),

attribute_values as (
    select customer_profiles.customer_id, customer_profiles.profile_key, item.key, item.value
    from customer_profiles
    inner join profiles using (profile_key),
        json_each(profiles.attributes) as item
    where item.type <> 'NULL'
),

latest_values as (
    select customer_id, key, arg_max(value, profile_key) as value
    from attribute_values
    group by customer_id, key
),

final as (
    select
        customer_id,
        to_json(map_from_entries(list(struct_pack(k := key, v := value) order by key)))
            as attributes
    from latest_values
    group by customer_id
)

select * from final
