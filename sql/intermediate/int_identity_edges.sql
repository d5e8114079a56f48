-- Links between non-user identifiers (an anonymous_id and an email on one event or profile
-- row), in both directions, for label propagation.
with evidence as (
    select from_type, from_value, to_type, to_value
    from int_identity_link_evidence
    where from_type <> 'user_id'
),

nodes as (
    select node_id, id_type, id_value from int_identity_nodes
),

node_pairs as (
    select distinct left_node.node_id as left_id, right_node.node_id as right_id
    from evidence
    inner join nodes as left_node
        on left_node.id_type = evidence.from_type and left_node.id_value = evidence.from_value
    inner join nodes as right_node
        on right_node.id_type = evidence.to_type and right_node.id_value = evidence.to_value
),

final as (
    select left_id as node_id, right_id as neighbour_id from node_pairs
    union
    select right_id, left_id from node_pairs
)

select * from final
