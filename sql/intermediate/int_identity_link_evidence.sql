-- Every pair of identifiers asserted together by one event or one profile row: the evidence
-- behind identity stitching. Pairs point user_id -> anonymous_id -> email, so the `to` side
-- is never a user_id.
with events as (
    select
        'event' as link_source, event_key as record_key, source, event_id,
        source_file, source_line, occurred_at, user_id, anonymous_id, email
    from int_events
),

-- A profile row re-delivered (the same identifiers from the same source, in another file or
-- twice in one) is one assertion, not two: its first copy is the evidence.
profiles as (
    select
        'profile' as link_source, profile_key as record_key, source, null::varchar as event_id,
        source_file, source_line, null::timestamptz as occurred_at, user_id, anonymous_id, email
    from int_profiles
    qualify row_number() over (
        partition by source, user_id, anonymous_id, email order by profile_key
    ) = 1
),

records as (
    select * from events
    union all
    select * from profiles
),

pairs as (
    select *, 'user_id' as from_type, user_id as from_value,
        'anonymous_id' as to_type, anonymous_id as to_value
    from records where user_id is not null and anonymous_id is not null
    union all
    select *, 'user_id', user_id, 'email', email
    from records where user_id is not null and email is not null
    union all
    select *, 'anonymous_id', anonymous_id, 'email', email
    from records where anonymous_id is not null and email is not null
),

final as (
    select
        link_source, record_key, source, event_id, source_file, source_line, occurred_at,
        from_type, from_value, to_type, to_value
    from pairs
)

select * from final
