-- The customer of every event. An event with a user_id belongs to it. Otherwise its
-- anonymous_id/email cluster decides: no user -> an anonymous customer named after the
-- cluster's smallest identifier; one user -> that user; several users (a shared device or
-- inbox) -> the user last seen on an event of the cluster before it, else the first after,
-- else (users known only from profile rows) the smallest of them. An event with no
-- identifier at all (staging quarantines those) would be a customer of its own.
with events as (
    select event_key, occurred_at, source, event_id, user_id, anonymous_id, email
    from int_events
),

clusters as (
    select id_type, id_value, cluster_key, cluster_users, first_user_id from int_identity_clusters
),

event_clusters as (
    select
        events.*,
        coalesce(by_cookie.cluster_key, by_email.cluster_key) as cluster_key,
        coalesce(by_cookie.cluster_users, by_email.cluster_users) as cluster_users,
        coalesce(by_cookie.first_user_id, by_email.first_user_id) as first_user_id
    from events
    left join clusters as by_cookie
        on by_cookie.id_type = 'anonymous_id' and by_cookie.id_value = events.anonymous_id
    left join clusters as by_email
        on by_email.id_type = 'email' and by_email.id_value = events.email
),

shared_cluster_users as (
    select
        event_key,
        last_value(user_id ignore nulls) over (
            partition by cluster_key order by occurred_at, source, event_id
            rows between unbounded preceding and current row
        ) as user_before,
        first_value(user_id ignore nulls) over (
            partition by cluster_key order by occurred_at, source, event_id
            rows between current row and unbounded following
        ) as user_after
    from event_clusters
    where cluster_users >= 2
),

resolved as (
    select
        event_clusters.*,
        case
            when user_id is not null then 'user_id'
            when cluster_users = 0 then 'anonymous'
            when cluster_users = 1 then 'cluster'
            when user_before is not null then 'shared_before'
            when user_after is not null then 'shared_after'
            when cluster_users >= 2 then 'shared_profile'
            else 'no_identifier'
        end as identity_rule,
        coalesce(user_id, user_before, user_after, first_user_id) as customer_user_id
    from event_clusters
    left join shared_cluster_users using (event_key)
),

final as (
    select
        event_key,
        coalesce(
            customer_user_id,
            'anon:' || left(md5(coalesce(cluster_key, to_json(['event', source, event_id])::varchar)), 16)
        ) as customer_id,
        customer_user_id,
        cluster_key,
        identity_rule
    from resolved
)

select * from final
