-- One `customers` source's rows turned into profiles; unusable rows are quarantined.
-- params: $source
with

source_rows as (
    select * from _src_raw
),

cleaned as (
    select
        *,
        nullif(trim(user_id), '') as user_id_clean,
        nullif(trim(anonymous_id), '') as anonymous_id_clean,
        -- any leading/trailing white space (tab, newline, NBSP, BOM, ...) is not part of an email
        nullif(lower(regexp_replace(email, '^[\s\p{Z}\x{FEFF}\x{200B}]+|[\s\p{Z}\x{FEFF}\x{200B}]+$', '', 'g')), '') as email_clean
    from source_rows
),

validated as (
    select
        *,
        case
            when error is not null then error
            when coalesce(user_id_clean, anonymous_id_clean, email_clean) is null then
                'no customer identifier: needs one of user_id, anonymous_id, email'
        end as reason
    from cleaned
),

final as (
    select
        case when reason is null then 'loaded' else 'quarantined' end as status,
        reason,
        $source as source,
        user_id_clean as user_id,
        anonymous_id_clean as anonymous_id,
        email_clean as email,
        coalesce(try_cast(attributes as json), '{}'::json) as attributes,
        file as source_file,
        line as source_line,
        position_kind,
        raw
    from validated
)

select * from final
