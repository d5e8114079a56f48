"""Per-file ingest that is fast and lean (issue 10): a Parquet file is staged through a view,
its rows' raw text is built only for the rows staging quarantines, and the staged file is
deterministic. The staged rows are what the copying path gives (checked here against it)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from journey_mining.config import SourceConfig
from journey_mining.ingest import SourcePlan, files, ingest_file, new_connection, stage_file

from .helpers import GOLDEN


def _parquet(path: Path, sql: str) -> Path:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"copy ({sql}) to '{path}' (format parquet)")
    con.close()
    return path


def _staged_rows(path: Path) -> list[dict]:
    cur = duckdb.connect().execute(
        f"select status, reason, event_id, source_line, properties::varchar as properties, raw "
        f"from read_parquet('{path}')"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_staged_parquet_keeps_raw_only_for_quarantined_rows(tmp_path):
    """`raw` is only ever used for quarantined rows: a loaded Parquet row's raw is NULL in the
    staged file (before: every row's JSON text was built, re-parsed and written), while a
    quarantined row keeps the whole row as JSON, nested values nested."""
    f = _parquet(tmp_path / "e.parquet", """
        select * from (values
            ('e1', 'u1', 'view', '2026-01-01T00:00:00Z', {'total': 5, 'items': ['a']}, 'x'),
            ('e2', 'u2', 'view', NULL, {'total': 7, 'items': []}, NULL),
            ('e3', 'u3', 'buy', '2026-01-02T00:00:00Z', NULL, '')
        ) t(event_id, user_id, event_type, occurred_at, cart, note)""")
    source = SourceConfig("web", "web", "events", str(f))
    staged = ingest_file(SourcePlan(source, (f,)), f, tmp_path / "cache")
    rows = _staged_rows(staged.staged)
    assert [(r["status"], r["event_id"], r["source_line"]) for r in rows] == [
        ("loaded", "e1", 1), ("quarantined", "e2", 2), ("loaded", "e3", 3)]
    assert [r["raw"] for r in rows] == [
        None,
        '{"event_id":"e2","user_id":"u2","event_type":"view","occurred_at":null,'
        '"cart":{"total":7,"items":[]},"note":null}',
        None,
    ]
    assert rows[1]["reason"] == "missing occurred_at"
    assert [json.loads(r["properties"]) for r in rows] == [
        {"cart": {"total": 5, "items": ["a"]}, "note": "x"}, {"cart": {"total": 7, "items": []}}, {}]


# Typed, nested, empty and odd columns: text, NaN, infinities, JSON, unions, maps, lists.
RICH = """
    select case when i % 4 = 0 then NULL else 'e' || i end as event_id,
           case when i % 3 = 0 then NULL else 'u' || i end as user_id,
           case when i % 7 = 0 then '' else 'view' end as event_type,
           case when i % 5 = 0 then 'garbage' when i % 11 = 0 then '3000-01-01'
                else '2026-01-01T00:00:00Z' end as occurred_at,
           case when i % 6 = 0 then 'nan'::double when i % 9 = 0 then 'inf'::double else i * 1.25 end as revenue,
           (i % 3)::integer as score,
           {'a': i, 'b': [i, NULL], 'c': {'d': 'x"y', 'e': NULL}, 'f': 1e20::double, 'g': 0.1::double} as st,
           case when i % 4 = 1 then NULL else [i, i + 1] end as lst,
           map {'k': i::varchar, 'z': NULL} as mp,
           case when i % 3 = 0 then '' else 'tx' || i end as note,
           case when i % 3 = 0 then '{"a": [1, 2.50, {"b": null}]}'::json when i % 3 = 1 then '"s"'::json end as js,
           union_value(num := i) as un, date '2026-01-01' + i::integer as d, (i * 1.5)::decimal(10, 2) as dec,
           'nan'::float as fl, [] ::integer[] as empty_list, blob 'ab\\x00' as bl,
           {'a/b~c': i, 'q''s': [1]} as "we/ird~"
    from range(40) t(i)"""


@pytest.mark.parametrize("mapped", [False, True])
def test_parquet_view_gives_the_rows_of_the_copying_path(tmp_path, monkeypatch, mapped):
    """The view (text of every field, nested properties from the Parquet types) stages
    exactly the rows of the reading path that copies the file and re-parses every row's
    JSON (still used for a file with a column named like a reader column), raw apart."""
    f = _parquet(tmp_path / "rich.parquet", RICH)
    kw = dict(columns={"anonymous_id": "note", "url": "st"}, constants={"email": "c@x.com"}) if mapped else {}
    plan = SourcePlan(SourceConfig("web", "web", "events", str(f), **kw), (f,))

    def staged() -> list[tuple]:
        con = new_connection()
        table = stage_file(con, plan, f)
        rows = con.execute(
            f"select * exclude (raw, properties), properties::varchar, "
            f"case when status = 'quarantined' then raw end from {table} order by source_line"
        ).fetchall()
        con.close()
        return rows

    lean = staged()
    monkeypatch.setattr(files, "_parquet_view", lambda *a, **k: None)
    copied = staged()
    assert len(lean) == 40 and lean == copied
    assert {r[0] for r in lean} == {"loaded", "quarantined"}
    assert all(r[-1] for r in lean if r[0] == "quarantined")  # quarantined rows keep their text


def test_rows_of_one_line_are_in_event_id_order_and_a_rerun_is_identical(tmp_path):
    """A Zendesk ticket is one line of several events: they were written in whatever order
    the sort left them (two runs of one file differed); now by event_id, byte for byte."""
    f = GOLDEN / "readers" / "zendesk" / "tickets.jsonl"
    plan = SourcePlan(SourceConfig("zd", "support", "zendesk", str(f)), (f,))
    first = ingest_file(plan, f, tmp_path / "a")
    again = ingest_file(plan, f, tmp_path / "b")
    assert first.staged.read_bytes() == again.staged.read_bytes()
    keys = [(r["source_line"], r["event_id"]) for r in _staged_rows(first.staged)]
    assert keys == sorted(keys) and len({k[0] for k in keys}) < len(keys)
