"""The full load marks duplicates in place (warehouse.mark_duplicates_in_place, the narrow
model stg_event_duplicate_copies): the same rows, statuses included, as the wide model
stg_events_deduplicated (used per source and by incremental runs) writes."""

from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey_mining.ingest import mark_duplicates
from journey_mining.warehouse import mark_duplicates_in_place

ROW = st.tuples(
    st.sampled_from(["web", "email"]),                # source
    st.sampled_from(["e1", "e2", "e3", None]),        # event_id
    st.sampled_from(["a.json", "b.json", "c.json"]),  # source_file
    st.integers(1, 4),                                # source_line
    st.sampled_from(["loaded", "loaded", "loaded", "quarantined"]),
)


def _staged(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create temp table stg_file_events (source VARCHAR, event_id VARCHAR, source_file VARCHAR, "
                "source_line BIGINT, status VARCHAR, payload VARCHAR)")
    if rows:
        con.executemany("insert into stg_file_events values (?, ?, ?, ?, ?, ?)",
                        [[*r, f"row{i}"] for i, r in enumerate(rows)])
    return con


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def test_later_copies_are_marked_in_place() -> None:
    con = _staged([("web", "e1", "b.json", 1, "loaded"), ("web", "e1", "a.json", 9, "loaded"),
                   ("web", "e1", "a.json", 2, "loaded"), ("email", "e1", "a.json", 3, "loaded"),
                   ("web", "e2", "a.json", 4, "quarantined"), ("web", "e2", "a.json", 5, "loaded")])
    mark_duplicates_in_place(con)
    assert _rows(con, "stg_event_rows") == sorted([
        ("web", "e1", "b.json", 1, "duplicate", "row0"), ("web", "e1", "a.json", 9, "duplicate", "row1"),
        ("web", "e1", "a.json", 2, "loaded", "row2"), ("email", "e1", "a.json", 3, "loaded", "row3"),
        ("web", "e2", "a.json", 4, "quarantined", "row4"), ("web", "e2", "a.json", 5, "loaded", "row5"),
    ], key=repr)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert tables == {"stg_event_rows"}  # no wide copy, no helper table left


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, max_size=25, unique_by=lambda r: (r[2], r[3], r[1])))
def test_in_place_marks_equal_the_wide_model(rows: list[tuple]) -> None:
    wide = _staged(rows)
    mark_duplicates(wide, "stg_event_rows")
    in_place = _staged(rows)
    mark_duplicates_in_place(in_place)
    assert _rows(in_place, "stg_event_rows") == _rows(wide, "stg_event_rows")
