-- Incremental runs: the event rows that may differ between the published warehouse and this
-- run's inputs. Rows of new or changed files, rows the published warehouse took from files
-- that changed or are gone, and, for every event id among them, the copy that now wins or
-- used to win deduplication (a new file can take an event id over from an unchanged file).
-- Only their identifiers matter: see int_incremental_affected_init.
with current_events as (
    select source, event_id, source_file, user_id, anonymous_id, email from stg_events
),

published_events as (
    select source, event_id, source_file, user_id, anonymous_id, email from prev_events
),

delta_files as (
    select source_file from inc_delta_files
),

gone_files as (
    select source_file from inc_gone_files
),

added as (
    select * from current_events
    where source_file in (select source_file from delta_files)
),

removed as (
    select * from published_events
    where source_file in (select source_file from gone_files)
),

taken_over as (
    select published_events.*
    from published_events
    semi join added using (source, event_id)
),

taken_back as (
    select current_events.*
    from current_events
    semi join removed using (source, event_id)
),

final as (
    select source, event_id, user_id, anonymous_id, email from added
    union all
    select source, event_id, user_id, anonymous_id, email from removed
    union all
    select source, event_id, user_id, anonymous_id, email from taken_over
    union all
    select source, event_id, user_id, anonymous_id, email from taken_back
)

select * from final
