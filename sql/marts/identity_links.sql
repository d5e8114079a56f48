-- One row per distinct link between two identifiers (user_id -> anonymous_id -> email), with
-- the evidence: its first occurrence (earliest event in event order, else the first profile
-- row), how many events and profile rows assert it, the customer of that first event (NULL
-- when only profiles assert it), and the cluster of its non-user side; is_ambiguous: that
-- cluster was seen with two or more user_ids, so it bridges none of them.
with evidence as (
    select * from int_identity_link_evidence
),

event_customers as (
    select event_key, customer_id from int_event_customers
),

clusters as (
    select id_type, id_value, cluster_key, cluster_users, is_ambiguous from int_identity_clusters
),

evidence_customers as (
    select
        evidence.*,
        case when evidence.link_source = 'event' then event_customers.customer_id end as customer_id
    from evidence
    left join event_customers
        on evidence.link_source = 'event' and event_customers.event_key = evidence.record_key
),

-- One pass: each link's counts and its first occurrence (arg_min over the event order key,
-- a struct compared field by field with NULLs last, like the ORDER BY of a window; the key
-- ends with record_key, unique within a link_source, so there are no ties).
links as (
    select
        from_type, from_value, to_type, to_value,
        arg_min(
            struct_pack(link_source, source, event_id, source_file, source_line, customer_id),
            struct_pack(
                link_source, occurred_at,
                event_source := case when link_source = 'event' then source end,
                event_id, record_key
            )
        ) as first_occurrence,
        count(*) as links,
        count(*) filter (where link_source = 'event') as event_links,
        count(*) filter (where link_source = 'profile') as profile_links,
        min(occurred_at) as first_seen_at,
        count(distinct customer_id) as customers
    from evidence_customers
    group by from_type, from_value, to_type, to_value
),

final as (
    select
        links.from_type, links.from_value, links.to_type, links.to_value,
        links.first_occurrence.link_source, links.first_occurrence.source,
        links.first_occurrence.event_id, links.first_occurrence.source_file,
        links.first_occurrence.source_line,
        links.first_seen_at, links.links, links.event_links,
        links.profile_links, links.first_occurrence.customer_id, links.customers,
        clusters.cluster_key, clusters.cluster_users, clusters.is_ambiguous
    from links
    inner join clusters on clusters.id_type = links.to_type and clusters.id_value = links.to_value
)

select * from final
