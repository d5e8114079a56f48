-- Zendesk reader, step 7 of 7: each event candidate with its ticket's and requester's
-- fields: the fixed layout of the reader's fields (mapped to canonical columns in Python,
-- where source.columns / source.constants apply).
with

event_rows as (
    select * from stg_zendesk_event_rows
),

tickets as (
    select * from stg_zendesk_tickets
),

users as (
    select * from stg_zendesk_users
),

final as (
    select
        e._line, e._seq, e._pos, e.raw, e.error,
        e.event_kind, e.event_type, e.event_id, e.occurred_at, e.text, e.score,
        coalesce(t.ticket_id, e.tid_fallback) as ticket_id,
        t.subject, t.description, t.status, t.priority, t.ticket_type, t.tags, t.topic, t.via_channel,
        coalesce(t.requester_id, e.rq_fallback) as requester_id,
        coalesce(u.external_id, nullif(t.requester ->> '/external_id', '')) as requester_external_id,
        coalesce(u.email, nullif(t.requester ->> '/email', '')) as requester_email,
        coalesce(u.name, nullif(t.requester ->> '/name', '')) as requester_name,
        t.assignee_id, t.group_id, t.organization_id, t.ticket_created_at, t.ticket_updated_at,
        e.comment_id, e.author_id, e.public, e.body, e.rating_id, e.rating, e.rating_comment
    from event_rows e
    left join tickets t on t._ord = e._tord
    left join users u on u.id = coalesce(t.requester_id, e.rq_fallback)
)

select * from final
