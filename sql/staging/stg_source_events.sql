-- One input file's rows, as its reader yielded them, turned into canonical events.
-- Every row read comes out exactly once with status loaded | quarantined; duplicates
-- across the files of a source are marked after, over all staged files
-- (stg_events_deduplicated), so rows_read = loaded + quarantined + duplicate holds by
-- construction.
-- params: $source, $channel, $ts_format (iso | epoch_s | epoch_ms | strptime),
--         $strptime_format, $timezone (for timestamps without an offset), $strptime_zone,
--         $min_year, $max_year (the sane range of occurred_at, UTC years, inclusive)
-- Sane values only: a timestamp must start with a digit (no 'epoch', 'infinity'), carry an
-- offset of at most 18 hours, be finite and fall in [$min_year, $max_year]; revenue and
-- score must be finite numbers. Anything else is quarantined with a reason naming the value.
with

source_rows as not materialized (
    select * from _src_raw
),

-- Files without ids get a deterministic one: a hash of the row's content and of its
-- occurrence number among identical rows of the same file (two same-day orders stay two
-- events; the same file delivered twice gives the same ids). Only the rows without an id
-- are numbered (a window over every row would sort the whole file for nothing); each
-- branch filters on the id alone, so the file is read twice, never copied.
rows_with_id as (
    select *, NULL::VARCHAR as content_hash, NULL::BIGINT as occurrence
    from source_rows
    where nullif(trim(event_id), '') is not null
),

content_hashed as (
    select
        *,
        md5(to_json([event_type, occurred_at, user_id, anonymous_id, email, url, referrer,
                     utm_source, utm_medium, utm_campaign, campaign, touchpoint, revenue,
                     score, text, properties])::varchar) as content_hash
    from source_rows
    where nullif(trim(event_id), '') is null
),

rows_without_id as (
    select
        *,
        row_number() over (partition by file, content_hash order by line) as occurrence
    from content_hashed
),

numbered as (
    select * from rows_with_id
    union all
    select * from rows_without_id
),

cleaned as (
    select
        *,
        nullif(trim(event_type), '') as event_type_clean,
        nullif(trim(occurred_at), '') as occurred_at_text,
        nullif(trim(user_id), '') as user_id_clean,
        nullif(trim(anonymous_id), '') as anonymous_id_clean,
        -- any leading/trailing white space (tab, newline, NBSP, BOM, ...) is not part of an email
        nullif(lower(regexp_replace(email, '^[\s\p{Z}\x{FEFF}\x{200B}]+|[\s\p{Z}\x{FEFF}\x{200B}]+$', '', 'g')), '') as email_clean,
        nullif(trim(revenue), '') as revenue_text,
        nullif(trim(score), '') as score_text
    from numbered
),

parsed as (
    select
        *,
        case
            when $ts_format = 'iso' then
                case
                    -- an offset only counts after a time of day: '2016-01-12' has none
                    when regexp_matches(occurred_at_text, '\d:\d{2}(:\d{2}([.,]\d*)?)?\s*([Zz]|UTC|[+-]\d{2}(:?\d{2})?)$')
                        then try_cast(occurred_at_text as timestamptz)
                    else timezone($timezone, try_cast(occurred_at_text as timestamp))
                end
            -- (out-of-range epochs give NULL here, never an error; the range check names them)
            when $ts_format = 'epoch_s' then to_timestamp(case when try_cast(occurred_at_text as double)
                between $min_epoch_s and $max_epoch_s then try_cast(occurred_at_text as double) end)
            when $ts_format = 'epoch_ms' then to_timestamp(case when try_cast(occurred_at_text as double) / 1000
                between $min_epoch_s and $max_epoch_s then try_cast(occurred_at_text as double) / 1000 end)
            else timezone($strptime_zone, try_strptime(occurred_at_text, $strptime_format)::timestamp)
        end as occurred_at_ts,
        try_cast(revenue_text as double) as revenue_num,
        try_cast(score_text as double) as score_num,
        -- an explicit offset beyond +-18:00 is not a real one
        coalesce(try_cast(regexp_extract(occurred_at_text,
            '\d:\d{2}(:\d{2}([.,]\d*)?)?\s*[+-](\d{2})(:?\d{2})?$', 3) as integer) > 18, false)
            or coalesce(try_cast(regexp_extract(occurred_at_text,
            '\d:\d{2}(:\d{2}([.,]\d*)?)?\s*[+-]\d{2}:?(\d{2})$', 3) as integer) > 59, false)
            as is_bad_offset
    from cleaned
),

checked as (
    select
        *,
        -- a numeric epoch out of range parses to NULL above: say so by its value
        case
            when occurred_at_ts is not null then
                not isfinite(occurred_at_ts)
                or year(occurred_at_ts) not between $min_year and $max_year
                or ($ts_format = 'iso' and not regexp_matches(occurred_at_text, '^\d'))
                or is_bad_offset
            else $ts_format in ('epoch_s', 'epoch_ms') and try_cast(occurred_at_text as double) is not null
        end as is_out_of_range
    from parsed
),

validated as (
    select
        *,
        case
            when error is not null then error
            when event_type_clean is null then 'missing event_type'
            when occurred_at_text is null then 'missing occurred_at'
            when is_out_of_range then
                'occurred_at ''' || left(occurred_at_text, 80) || ''' is outside the sane range (a finite time '
                || 'in the years ' || $min_year || '..' || $max_year || ' with an offset of at most 18:00)'
            when occurred_at_ts is null then
                'occurred_at ''' || occurred_at_text || ''' is not a valid timestamp (timestamp_format = '
                || case when $ts_format = 'strptime' then $strptime_format else $ts_format end || ')'
            when coalesce(user_id_clean, anonymous_id_clean, email_clean) is null then
                'no customer identifier: needs one of user_id, anonymous_id, email'
            when revenue_text is not null and revenue_num is null then
                'revenue ''' || revenue_text || ''' is not a number'
            when revenue_num is not null and not isfinite(revenue_num) then
                'revenue ''' || left(revenue_text, 80) || ''' is not a finite number'
            when score_text is not null and score_num is null then
                'score ''' || score_text || ''' is not a number'
            when score_num is not null and not isfinite(score_num) then
                'score ''' || left(score_text, 80) || ''' is not a finite number'
        end as reason
    from checked
),

identified as (
    select
        *,
        coalesce(
            nullif(trim(event_id), ''),
            'h' || left(md5(content_hash || '#' || occurrence::varchar), 24)
        ) as event_id_final
    from validated
),

final as (
    select
        case when reason is not null then 'quarantined' else 'loaded' end as status,
        reason,
        event_id_final as event_id,
        $source as source,
        $channel as channel,
        event_type_clean as event_type,
        occurred_at_ts as occurred_at,
        user_id_clean as user_id,
        anonymous_id_clean as anonymous_id,
        email_clean as email,
        nullif(trim(url), '') as url,
        nullif(trim(referrer), '') as referrer,
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(campaign), '') as campaign,
        nullif(trim(touchpoint), '') as touchpoint,
        revenue_num as revenue,
        score_num as score,
        nullif(text, '') as text,
        coalesce(try_cast(properties as json), '{}'::json) as properties,
        file as source_file,
        line as source_line,
        position_kind,
        raw
    from identified
)

select * from final
