-- The sources the run read ($run_id's run_sources rows): format, files and row counts.
with run_sources as (
    select source, format, files, rows_read, rows_loaded, rows_quarantined, rows_duplicate
    from run_sources
    where run_id = $run_id
),

final as (
    select * from run_sources order by source
)

select * from final
