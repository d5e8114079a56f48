-- Incremental runs: one round of the closure of the affected identifiers over the published
-- clusters. Every published cluster holding an affected identifier (as a member or as a
-- linked user) brings in all its members and linked users. Repeated until nothing is added:
-- then every customer an affected identifier can belong to, before or after this run, has
-- all its identifiers affected.
with affected as (
    select id_type, id_value from int_incremental_affected_identifiers
),

memberships as (
    select id_type, id_value, cluster_key from int_incremental_prev_clusters
),

touched_clusters as (
    select distinct memberships.cluster_key
    from memberships
    inner join affected using (id_type, id_value)
),

cluster_members as (
    select memberships.id_type, memberships.id_value
    from memberships
    inner join touched_clusters using (cluster_key)
),

final as (
    select id_type, id_value from affected
    union
    select id_type, id_value from cluster_members
)

select * from final
