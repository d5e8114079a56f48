-- Zendesk reader, step 1 of 7: one row per top-level JSON value of ONE file (_zd_values,
-- from jsonutil.read_json_values), flagged when it is an export document
-- ({"tickets": [...], "users": [...], "satisfaction_ratings": [...]} or {"ticket": {...}}).
with

json_values as (
    select * from _zd_values
),

final as (
    select
        _jm_line,
        _jm_raw,
        _jm_json,
        _jm_error,
        coalesce(
            _jm_error is null
            and json_type(_jm_json) = 'OBJECT'
            and (
                json_type(_jm_json -> '/tickets') = 'ARRAY'
                or json_type(_jm_json -> '/users') = 'ARRAY'
                or json_type(_jm_json -> '/satisfaction_ratings') = 'ARRAY'
                or json_type(_jm_json -> '/ticket') = 'OBJECT'
            ),
            false
        ) as is_document
    from json_values
)

select * from final
