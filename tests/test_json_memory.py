"""JSON documents under a small [execution] memory_limit: DuckDB allocates twice
``maximum_object_size`` up front, so it is sized from the file (issue 7, item 5)."""

from __future__ import annotations

import json

import duckdb
import pytest

import journey_mining.ingest.jsonutil as ju
from journey_mining.ingest import new_connection


def _no_recovery(*a, **k):
    raise AssertionError("DuckDB could not read the document (the recovery parser was used)")


@pytest.mark.parametrize("layout", ["array", "document"])
def test_json_document_reads_under_a_60mb_memory_limit(tmp_path, monkeypatch, layout):
    """Was: maximum_object_size = 1 GiB -> a 2 GiB read buffer -> out of memory at 60MB, and
    the file went to the recovery parser (or became one 'invalid JSON document' row)."""
    monkeypatch.setattr(ju, "_recover_document", _no_recovery)
    rows = [{"event": "open", "email": f"a{i}@x.com", "timestamp": 1788248605 + i} for i in range(2000)]
    path = tmp_path / "events.json"
    text = json.dumps(rows) if layout == "array" else json.dumps({"batch": rows}, indent=1)
    path.write_text(text)
    con = new_connection(settings={"memory_limit": "60MB"})
    values = ju.read_json_values(con, path)
    n, errors = con.sql(f"select count(*), count(_jm_error) from {values.table}").fetchall()[0]
    con.close()
    assert (n, errors) == ((2000, 0) if layout == "array" else (1, 0))


def test_max_object_size_is_bounded_by_the_file(tmp_path):
    small = tmp_path / "a.json"
    small.write_text("[1]")
    big = tmp_path / "b.json"
    big.write_bytes(b"[" + b" " * (3 << 20) + b"1]")
    assert ju.max_object_size(small) == 1 << 20
    assert ju.max_object_size(big) == big.stat().st_size + 1


def test_real_out_of_memory_is_raised_not_recovered(tmp_path, monkeypatch):
    """An out-of-memory error while reading is not a broken document: it propagates (the
    pipeline turns it into one line naming execution.memory_limit)."""
    monkeypatch.setattr(ju, "_recover_document", _no_recovery)
    path = tmp_path / "events.json"
    path.write_text(json.dumps([{"a": i} for i in range(10)]))
    monkeypatch.setattr(ju, "max_object_size", lambda _f: 1 << 30)  # the old 2 GiB buffer
    con = new_connection(settings={"memory_limit": "60MB"})
    with pytest.raises(duckdb.OutOfMemoryException):
        ju.read_json_values(con, path)
    con.close()
