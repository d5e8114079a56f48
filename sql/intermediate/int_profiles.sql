-- Profile rows of `customers` sources with a stable key. A larger key is a later row
-- (by source_file, source_line, source): later rows win when attributes conflict.
with stg as (
    select * from stg_profiles
),

keyed as (
    select
        row_number() over (
            order by
                source_file, source_line, source,
                user_id, anonymous_id, email, attributes::varchar
        ) as profile_key,
        source,
        user_id,
        anonymous_id,
        email,
        attributes,
        source_file,
        source_line
    from stg
),

final as (
    select * from keyed
)

select * from final
