-- Every staged row of every input file (stg_file_events: one source's files or all of a
-- run's), with the copies of an event marked: within a source, an event_id seen again in a
-- later file (or line) is a 'duplicate' of its first copy (by file, then line).
-- Quarantined rows stay as they are.
--
-- Only the loaded rows of a (source, event_id) loaded more than once (usually none) are
-- ranked, by their keys and rowid: the wide rows are never sorted, and join back by rowid.
-- (A full load marks its rows in place instead: stg_event_duplicate_copies, the same rule.)
with

file_rows as (
    select *, rowid as file_row_id from stg_file_events
),

loaded_keys as (
    select file_row_id, source, event_id, source_file, source_line
    from file_rows
    where status = 'loaded'
),

repeated_events as (
    select source, event_id
    from loaded_keys
    group by source, event_id
    having count(*) > 1
),

copies as (
    select
        loaded_keys.file_row_id,
        row_number() over (
            partition by loaded_keys.source, loaded_keys.event_id
            order by loaded_keys.source_file, loaded_keys.source_line
        ) as copy_number
    from loaded_keys
    inner join repeated_events
        on repeated_events.source is not distinct from loaded_keys.source
        and repeated_events.event_id is not distinct from loaded_keys.event_id
),

final as (
    select
        file_rows.* exclude (file_row_id) replace (
            case when copies.copy_number > 1 then 'duplicate' else file_rows.status end as status
        )
    from file_rows
    left join copies using (file_row_id)
)

select * from final
