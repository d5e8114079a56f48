"""JSON records are parsed once for all their fields (issue 10): the events/customers JSON
reader and the Segment reader take every field's value from one ``json_extract`` of a list of
paths, where each field cost three parses of the whole record (``json_text_sql``). The text
of every field is what the per-key extraction gave, whatever the value."""

from __future__ import annotations

import json

from journey_mining.config import SourceConfig
from journey_mining.ingest import files, new_connection, segment
from journey_mining.ingest.jsonutil import json_text_sql, read_json_values

# values of every JSON kind, odd keys (a slash, a tilde, a quote, unicode), numbers written
# in several ways, nesting, and keys present in some records only
RECORDS = [
    '{"event_id": "e1", "a/b": 1, "t~1": 1.50e3, "q\'s": "x\\"y", "é": "\\u00e9", "n": null, "b": true, '
    '"o": {"k": [1, {"z": null}]}, "arr": [], "big": 123456789012345678901234567890, "neg": -0.0}',
    '{"event_id": 2, "a/b": "2", "o": "not an object", "arr": [1, "two"], "late": {"x": 1}}',
    '{"event_id": "e3", "b": false, "t~1": 1E-7, "é": "", "late": "s", "o": {}}',
    "[1, 2]",
    '"a string"',
    "not json",
]


def test_json_record_fields_equal_the_per_key_extraction(tmp_path):
    f = tmp_path / "e.jsonl"
    f.write_text("\n".join(RECORDS) + "\n")
    con = new_connection(settings={})
    rec = files._read_json(con, SourceConfig("s", "web", "events", str(f)), f)
    assert rec.values_col is not None and len(rec.fields) == 12
    got = con.execute(
        f"select line, error, {', '.join(f'{files.ident(k)}' for k in rec.fields)} from {rec.table} order by line"
    ).fetchall()
    vals = read_json_values(con, f)
    want = con.execute(
        f"select _jm_line, _jm_error is not null or json_type(_jm_json) <> 'OBJECT', "
        f"{', '.join(json_text_sql('_jm_json', [k]) for k in rec.fields)} from {vals.table} order by _jm_line"
    ).fetchall()
    con.close()
    assert [r[0] for r in got] == [r[0] for r in want] == [1, 2, 3, 4, 5, 6]
    assert [r[1] is not None for r in got] == [r[1] for r in want]
    assert [r[2:] for r in got] == [r[2:] for r in want]
    first = dict(zip(rec.fields, got[0][2:], strict=True))
    assert (first["a/b"], first["o"], first["n"], first["late"]) == ("1", '{"k":[1,{"z":null}]}', None, None)


def test_segment_fields_equal_the_per_path_extraction(tmp_path):
    msgs = [
        {"type": "track", "event": "Order Completed", "messageId": "m1", "userId": "u1",
         "timestamp": "2026-01-01T00:00:00Z", "properties": {"revenue": 1.5e1, "a/b": {"c~d": [1]}},
         "context": {"page": {"url": "https://x/?a=1"}, "traits": {"email": "a@b.c"}}},
        {"type": "page", "messageId": 7, "anonymousId": "a1", "timestamp": "2026-01-01T00:00:01Z",
         "properties": "flat", "context": {"page": "not an object"}},
        {"type": "identify", "messageId": "m3", "userId": ["u1"], "timestamp": "2026-01-01T00:00:02Z"},
    ]
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(json.dumps(m) for m in msgs) + "\n")
    con = new_connection(settings={})
    source = SourceConfig("s", "web", "segment", str(f), columns={"url": "properties.a/b", "text": "context.page"})
    out = segment.read(con, source, f)
    got = con.execute(f"select line, error, url, text from {out.relation} order by line").fetchall()
    con.close()
    assert got == [
        (1, None, '{"c~d":[1]}', '{"url":"https://x/?a=1"}'),
        (2, None, None, "not an object"),
        (3, "userId is a JSON array, not an id: [\"u1\"]", None, None),
    ]
