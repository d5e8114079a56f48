"""Baseline (a), the floor: one bare DuckDB query over the web events Parquet that
sessionizes per customer key (user_id, else anonymous_id; 30-minute gap) and counts
directly-follows pairs of event_type. Nothing else: no validation, no stitching, no output.

    python floor_duckdb.py TIMEOUT_MINUTES FILE.parquet...
"""

from __future__ import annotations

import duckdb
from _common import Phases, args, emit

QUERY = """
with source_events as (
    select
        coalesce(user_id, anonymous_id) as customer_key,
        cast(occurred_at as timestamptz) as occurred_at,
        event_id,
        event_type
    from read_parquet($files)
    where coalesce(user_id, anonymous_id) is not null
),

gaps as (
    select
        *,
        coalesce(
            occurred_at - lag(occurred_at) over by_customer > to_minutes($timeout_minutes),
            true
        ) as is_session_start
    from source_events
    window by_customer as (partition by customer_key order by occurred_at, event_id)
),

sessioned as (
    select
        *,
        sum(is_session_start::int) over (
            partition by customer_key order by occurred_at, event_id rows unbounded preceding
        ) as session_index
    from gaps
),

pairs as (
    select
        event_type as from_type,
        lead(event_type) over (
            partition by customer_key, session_index order by occurred_at, event_id
        ) as to_type
    from sessioned
),

final as (
    -- to_type is null for the last event of each session: those rows count the sessions
    select from_type, to_type, count(*) as pairs
    from pairs
    group by all
)

select * from final
"""

def main() -> None:
    files, timeout = args()
    ph = Phases()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    with ph("query"):
        rows = con.execute(QUERY, {"files": files, "timeout_minutes": timeout}).fetchall()
    pairs = {f"{a}\t{b}": int(n) for a, b, n in rows if b is not None}
    sessions = sum(int(n) for _, b, n in rows if b is None)
    events = sessions + sum(pairs.values())
    emit({"events": events, "sessions": sessions, "pairs": pairs, "phases": ph.seconds})


if __name__ == "__main__":
    main()
