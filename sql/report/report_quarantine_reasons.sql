-- The $top_reasons most frequent quarantine reasons, with their row counts.
with quarantine as (
    select source, reason from quarantine
),

final as (
    select source, reason, count(*) as quarantined_rows
    from quarantine
    group by source, reason
    order by quarantined_rows desc, source, reason
    limit $top_reasons
)

select * from final
