"""A Zendesk export document is read straight into its lists (issue 10): the 10M benchmark's
171 MB export ran out of memory at the default 3,000 MB limit (the general JSON path held the
whole document as one value and as text, and parsed every ticket about 30 times) and loaded
only thanks to the retry at 60% of RAM. The rows staged are those of the general path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import journey_mining.ingest as ingest
from journey_mining.config import SourceConfig
from journey_mining.ingest import SourcePlan, ingest_file, new_connection, stage_file, zendesk

from .helpers import GOLDEN


def _export(path: Path, n: int) -> Path:
    """An export like the generator writes (one ticket a line): n tickets of 7 events each
    (created, 2 customer comments, 2 agent replies, solved, csat) and 50 side-loaded users."""
    tickets = [
        {
            "id": 1000 + i, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "subject": f"subject {i}", "description": "d" * 200, "status": "solved", "requester_id": i % 50,
            "tags": ["billing"], "satisfaction_rating": {"id": i, "score": "good", "comment": "thanks"},
            "comments": [
                {"id": 10 * i + k, "author_id": i % 50 if k % 2 == 0 else 9, "body": "b" * 300,
                 "public": True, "created_at": f"2026-01-01T0{k}:00:00Z"}
                for k in range(4)
            ],
        }
        for i in range(n)
    ]
    users = [{"id": u, "email": f"u{u}@x.com", "external_id": f"c{u}"} for u in range(50)]
    path.write_text(
        '{"tickets":[\n' + ",\n".join(json.dumps(t) for t in tickets) + '\n],\n"users":' + json.dumps(users) + "}\n"
    )
    return path


def test_a_12mb_export_stages_at_a_limit_the_general_path_ran_out_at(tmp_path, monkeypatch):
    """At memory_limit 290MB (2 threads, no retry) the 12 MB export stages; the general path
    ran out of memory there (measured: it needs 375..400 MB, this reader 200..220 MB)."""
    f = _export(tmp_path / "zendesk.json", 6000)
    monkeypatch.setattr(ingest, "RUN_SETTINGS", {"memory_limit": "290MB", "threads": 2})
    monkeypatch.setattr(ingest, "RETRY_MEMORY_LIMIT", None)
    staged = ingest_file(SourcePlan(SourceConfig("zd", "support", "zendesk", str(f)), (f,)), f, tmp_path / "c")
    con = new_connection(settings={})
    counts = con.execute(
        "select status, count(*), count(distinct source_line) from read_parquet($p) group by all",
        {"p": str(staged.staged)},
    ).fetchall()
    con.close()
    assert staged.rows_read == 42000
    assert counts == [("loaded", 42000, 6000)]


def _staged(path: Path, monkeypatch, export: bool, **kw) -> list[tuple]:
    plan = SourcePlan(SourceConfig("zd", "support", "zendesk", str(path), **kw), (path,))
    with monkeypatch.context() as m:
        if not export:
            m.setattr(zendesk, "_read_export", lambda *a: False)
        con = new_connection(settings={})
        table = stage_file(con, plan, path)
        rows = con.execute(
            f"select * exclude (properties), properties::varchar from {table} order by all"
        ).fetchall()
        con.close()
    return rows


T = {"id": 1, "created_at": "2026-01-01T00:00:00Z", "subject": "s", "description": "d", "status": "closed",
     "requester_id": 5, "satisfaction_rating": {"id": 9, "score": "bad"},
     "comments": [{"id": 2, "author_id": 5, "body": "d", "created_at": "2026-01-01T00:00:00Z"},
                  {"id": 3, "author_id": 6, "body": "r", "created_at": "2026-01-01T01:00:00Z"}]}
DOCUMENTS = {
    # read straight into lists
    "pretty": (json.dumps({"tickets": [T, {**T, "id": 2, "tags": ["a"]}, 5, None, {"id": 3}],
                           "users": [{"id": 5, "email": "a@b.c"}, 7],
                           "comments": [{"id": 4, "ticket_id": 1, "body": "x"}, {"id": 8, "ticket_id": 99}, "c"],
                           "satisfaction_ratings": [{"id": 9, "ticket_id": 1, "score": "good"},
                                                    {"id": 10, "ticket_id": 77, "score": "bad", "requester_id": 5}],
                           "count": 5}, indent=2), True),
    "two documents": (json.dumps({"tickets": [T]}, indent=1) + "\n" + json.dumps({"ticket": {**T, "id": 4},
                      "users": [{"id": 5, "external_id": "e5"}]}, indent=1), True),
    "users only": (json.dumps({"users": [{"id": 5}]}, indent=1), True),
    # read the general way (same rows)
    "a pretty ticket": (json.dumps(T, indent=2), False),
    "tickets not a list": (json.dumps({"tickets": "x", "users": [{"id": 5}]}, indent=2), False),
    "document then a ticket": (json.dumps({"tickets": [T]}, indent=1) + "\n" + json.dumps({**T, "id": 6}, indent=1), False),
    "comments only": (json.dumps({"comments": [{"id": 1, "ticket_id": 2}]}, indent=2), False),
    "garbage after": (json.dumps({"tickets": [T]}, indent=2) + "\n}x", False),
    "one line": (json.dumps({"tickets": [T]}), False),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_export_path_stages_the_rows_of_the_general_path(tmp_path, monkeypatch, name):
    """Every column of every staged row (raw too) equals the general path's, and a file that
    is not only export documents is read the general way."""
    text, is_export = DOCUMENTS[name]
    f = tmp_path / "zd.json"
    f.write_text(text)
    con = new_connection(settings={})
    assert zendesk._read_export(con, SourceConfig("zd", "support", "zendesk", str(f)), f) is is_export
    con.close()
    lean = _staged(f, monkeypatch, True)
    assert lean == _staged(f, monkeypatch, False)
    assert lean or name in ("users only", "tickets not a list")  # (no ticket in them)


@pytest.mark.parametrize("kw", [{}, {"columns": {"user_id": "requester_id"}, "constants": {"email": "c@x.com"}}])
def test_the_golden_export_stages_the_same_rows_either_way(monkeypatch, kw):
    f = GOLDEN / "readers" / "zendesk" / "export.json"
    assert _staged(f, monkeypatch, True, **kw) == _staged(f, monkeypatch, False, **kw)
