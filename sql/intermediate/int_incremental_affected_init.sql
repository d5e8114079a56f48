-- Incremental runs: start of the affected identifiers, the typed identifiers (user_id,
-- anonymous_id, email) of every delta event (int_incremental_delta_events).
with delta as (
    select user_id, anonymous_id, email from int_incremental_delta_events
),

identifiers as (
    select 'user_id' as id_type, user_id as id_value from delta where user_id is not null
    union
    select 'anonymous_id', anonymous_id from delta where anonymous_id is not null
    union
    select 'email', email from delta where email is not null
),

final as (
    select id_type, id_value from identifiers
)

select * from final
