-- One round of min-label propagation with shortcutting: take the smallest label among the
-- node and its neighbours, then jump to the label's own label. Labels only decrease and
-- always name a node of the same component; when no label changes, every node carries the
-- smallest node of its component.
with labels as (
    select node_id, label from int_identity_labels
),

edges as (
    select node_id, neighbour_id from int_identity_edges
),

neighbour_min as (
    select edges.node_id, min(labels.label) as label
    from edges
    inner join labels on labels.node_id = edges.neighbour_id
    group by edges.node_id
),

hooked as (
    select
        labels.node_id,
        labels.label as previous_label,
        least(labels.label, coalesce(neighbour_min.label, labels.label)) as label
    from labels
    left join neighbour_min using (node_id)
),

shortcut as (
    select
        hooked.node_id,
        hooked.previous_label,
        least(hooked.label, label_node.label) as label
    from hooked
    inner join hooked as label_node on label_node.node_id = hooked.label
),

final as (
    select node_id, label, label <> previous_label as is_changed
    from shortcut
)

select * from final
