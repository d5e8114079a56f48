-- Incremental runs: the published warehouse's identity clusters as memberships. Every
-- identifier on a published link belongs to the cluster of the link's non-user side
-- (cluster_key): anonymous_ids and emails as members, user_ids as the users linked to it.
-- An identifier on no link is a cluster of its own and needs no row.
with links as (
    select from_type, from_value, to_type, to_value, cluster_key from prev_identity_links
),

members as (
    select to_type as id_type, to_value as id_value, cluster_key from links
    union
    select from_type as id_type, from_value as id_value, cluster_key from links
),

final as (
    select id_type, id_value, cluster_key from members
)

select * from final
