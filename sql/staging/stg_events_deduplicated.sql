-- Every staged row of every input file (stg_file_events: one source's files or all of a
-- run's), with the copies of an event marked: within a source, an event_id seen again in a
-- later file (or line) is a 'duplicate' of its first copy (by file, then line).
-- Quarantined rows stay as they are.
--
-- The copies are named by stg_event_duplicate_copies (the rule, written once; built just
-- before this model by journey_mining.ingest.mark_duplicates): the wide rows are never
-- sorted, and join back by rowid. (A full load marks its rows in place instead:
-- journey_mining.warehouse.mark_duplicates_in_place.)
with

file_rows as (
    select *, rowid as file_row_id from stg_file_events
),

duplicate_copies as (
    select file_row_id from stg_event_duplicate_copies
),

final as (
    select
        file_rows.* exclude (file_row_id) replace (
            case when duplicate_copies.file_row_id is not null then 'duplicate' else file_rows.status end
                as status
        )
    from file_rows
    left join duplicate_copies on duplicate_copies.file_row_id = file_rows.file_row_id
)

select * from final
