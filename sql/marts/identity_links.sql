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

ranked as (
    select
        *,
        row_number() over (
            partition by from_type, from_value, to_type, to_value
            order by
                link_source, occurred_at,
                case when link_source = 'event' then source end, event_id, record_key
        ) as occurrence
    from evidence_customers
),

link_counts as (
    select
        from_type, from_value, to_type, to_value,
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
        ranked.from_type, ranked.from_value, ranked.to_type, ranked.to_value,
        ranked.link_source, ranked.source, ranked.event_id, ranked.source_file, ranked.source_line,
        link_counts.first_seen_at, link_counts.links, link_counts.event_links,
        link_counts.profile_links, ranked.customer_id, link_counts.customers,
        clusters.cluster_key, clusters.cluster_users, clusters.is_ambiguous
    from ranked
    inner join link_counts using (from_type, from_value, to_type, to_value)
    inner join clusters on clusters.id_type = ranked.to_type and clusters.id_value = ranked.to_value
    where ranked.occurrence = 1
)

select * from final
