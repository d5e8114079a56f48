-- The later copies of every event loaded more than once (stg_file_events: the staged rows of
-- a run's files): within a source, an event_id seen again in a later file (or line) is a
-- duplicate of its first copy (by file, then line). One row per duplicate copy, its rowid in
-- stg_file_events: narrow, so the wide staged rows are marked in place
-- (journey_mining.warehouse.mark_duplicates_in_place), never copied. The one statement of
-- the rule: stg_events_deduplicated, which writes the marked copy of every row instead
-- (incremental loads, stage_source), joins these copies.
--
-- Only the loaded rows of a (source, event_id) loaded more than once (usually none) are
-- ranked, by their keys.
with

loaded_keys as (
    select rowid as file_row_id, source, event_id, source_file, source_line
    from stg_file_events
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
    select file_row_id
    from copies
    where copy_number > 1
)

select * from final
