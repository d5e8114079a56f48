-- One row per non-user identifier with its cluster (connected component of anonymous_id /
-- email links) and the user_ids seen with any identifier of the cluster, on events or
-- profile rows. A cluster with two or more users is ambiguous: it never bridges them.
with nodes as (
    select node_id, id_type, id_value, node_key from int_identity_nodes
),

labels as (
    select node_id, label from int_identity_labels
),

user_links as (
    select distinct from_value as user_id, to_type, to_value
    from int_identity_link_evidence
    where from_type = 'user_id'
),

node_clusters as (
    select nodes.node_id, nodes.id_type, nodes.id_value, cluster_node.node_key as cluster_key
    from nodes
    inner join labels using (node_id)
    inner join nodes as cluster_node on cluster_node.node_id = labels.label
),

cluster_users as (
    select
        node_clusters.cluster_key,
        count(distinct user_links.user_id) as cluster_users,
        min(user_links.user_id) as first_user_id
    from user_links
    inner join node_clusters
        on node_clusters.id_type = user_links.to_type
        and node_clusters.id_value = user_links.to_value
    group by node_clusters.cluster_key
),

final as (
    select
        node_clusters.node_id,
        node_clusters.id_type,
        node_clusters.id_value,
        node_clusters.cluster_key,
        coalesce(cluster_users.cluster_users, 0) as cluster_users,
        cluster_users.first_user_id,
        coalesce(cluster_users.cluster_users, 0) >= 2 as is_ambiguous
    from node_clusters
    left join cluster_users using (cluster_key)
)

select * from final
