-- Zendesk reader, step 2 of 7 for an export document file (instead of
-- stg_zendesk_values + stg_zendesk_documents): the file's top-level documents read by
-- DuckDB's JSON reader straight into lists of elements, without holding the whole document
-- as one value (or as text) first. The reader checks every row is a document (one of the
-- lists is there, or the single ticket is an object) and otherwise reads the file the
-- general way, so the rows are those stg_zendesk_documents gives.
-- params: $file, $max_object_size (bytes: at least the file's size)
with

documents as (
    select
        row_number() over () as _vline,
        tickets,
        users,
        comments,
        satisfaction_ratings,
        ticket
    from read_json(
        $file,
        format = 'unstructured',
        records = true,
        columns = {
            'tickets': 'JSON[]', 'users': 'JSON[]', 'comments': 'JSON[]',
            'satisfaction_ratings': 'JSON[]', 'ticket': 'JSON'
        },
        maximum_object_size = $max_object_size
    )
),

final as (
    select
        _vline,
        tickets,
        users,
        comments,
        satisfaction_ratings as ratings,
        case when json_type(ticket) = 'OBJECT' then ticket end as ticket,
        coalesce(
            tickets is not null or users is not null or satisfaction_ratings is not null
            or json_type(ticket) = 'OBJECT',
            false
        ) as is_document
    from documents
)

select * from final
