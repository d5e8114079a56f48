-- Which profile rows describe which customer. A profile row with a user_id describes only
-- that user's customer; one without describes every customer whose events carry one of its
-- identifiers. Profiles of people without events describe no customer.
with profiles as (
    select profile_key, user_id, anonymous_id, email from int_profiles
),

identifiers as (
    select customer_id, id_type, id_value from int_customer_identifiers
),

by_user as (
    select identifiers.customer_id, profiles.profile_key
    from profiles
    inner join identifiers
        on identifiers.id_type = 'user_id' and identifiers.id_value = profiles.user_id
),

by_anonymous_id as (
    select identifiers.customer_id, profiles.profile_key
    from profiles
    inner join identifiers
        on identifiers.id_type = 'anonymous_id' and identifiers.id_value = profiles.anonymous_id
    where profiles.user_id is null
),

by_email as (
    select identifiers.customer_id, profiles.profile_key
    from profiles
    inner join identifiers
        on identifiers.id_type = 'email' and identifiers.id_value = profiles.email
    where profiles.user_id is null
),

final as (
    select * from by_user
    union
    select * from by_anonymous_id
    union
    select * from by_email
)

select * from final
