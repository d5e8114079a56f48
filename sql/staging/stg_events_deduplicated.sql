-- Every staged row of every input file (stg_file_events: one source's files or all of a
-- run's), with the copies of an event marked: within a source, an event_id seen again in a
-- later file (or line) is a 'duplicate' of its first copy (by file, then line).
-- Quarantined rows stay as they are.
with

file_rows as (
    select * from stg_file_events
),

ranked as (
    select
        *,
        case when status = 'loaded' then row_number() over (
            partition by source, event_id order by source_file, source_line
        ) end as copy_number
    from file_rows
),

final as (
    select
        * exclude (copy_number) replace (
            case when copy_number > 1 then 'duplicate' else status end as status
        )
    from ranked
)

select * from final
