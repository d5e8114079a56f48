-- Start of min-label propagation: every identifier is labelled with itself.
with nodes as (
    select node_id from int_identity_nodes
),

final as (
    select node_id, node_id as label, true as is_changed
    from nodes
)

select * from final
