"""The vendor readers: segment, sendgrid, zendesk, xes.

* golden files: ``tests/golden/readers/<format>/`` holds hand-written inputs and
  ``expected.json``, the exact rows (file name, line, error and every canonical column, in
  table order) each input must yield; the same inputs gzip-compressed must yield the same;
* config: ``columns`` / ``constants`` work for every format;
* properties (hypothesis): arbitrary JSON lines, JSON arrays, random bytes and random or
  truncated XES never crash a reader and never lose a record;
* real data: the helpdesk and BPIC 2012 XES logs (read-only, under /work/shared/realdata).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey_mining.config import SourceConfig
from journey_mining.errors import SourceError
from journey_mining.ingest import segment, sendgrid, xes, zendesk
from journey_mining.ingest.base import EVENT_COLUMNS

GOLDEN = Path(__file__).parent / "golden" / "readers"
READERS = {"segment": segment, "sendgrid": sendgrid, "zendesk": zendesk, "xes": xes}
GOLDEN_INPUTS = [
    ("segment", "messages.jsonl"),
    ("segment", "batch.json"),
    ("sendgrid", "webhook.json"),
    ("sendgrid", "events.jsonl"),
    ("zendesk", "export.json"),
    ("zendesk", "tickets.jsonl"),
    ("xes", "small.xes"),
    ("xes", "truncated.xes"),
]
REALDATA = Path("/work/shared/realdata")
HELPDESK = REALDATA / "helpdesk" / "helpdesk.xes.gz"
BPIC2012 = REALDATA / "bpic2012" / "bpic2012.xes.gz"


def source(fmt: str, path: Path, **kw) -> SourceConfig:
    return SourceConfig(name=fmt, channel="test", format=fmt, path=str(path), **kw)


_shared: list[duckdb.DuckDBPyConnection] = []


def shared_con() -> duckdb.DuckDBPyConnection:
    """One connection for the many small reads (a new connection costs ~50 ms)."""
    if not _shared:
        _shared.append(duckdb.connect())
    return _shared[0]


def read(fmt: str, path: Path, **kw):
    """Run a reader; return (ReaderOutput, rows as dicts in table order)."""
    con = shared_con()
    out = READERS[fmt].read(con, source(fmt, path, **kw), Path(path))
    try:
        cur = con.execute(f"select * from {out.relation}")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.execute(f"drop table {out.relation}")
    return out, rows


def comparable(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        r = {k: v for k, v in r.items() if k != "raw"}
        r["file"] = Path(r["file"]).name
        out.append(r)
    return out


def expected(fmt: str, name: str) -> dict:
    return json.loads((GOLDEN / fmt / "expected.json").read_text(encoding="utf-8"))[name]


def gzip_to(src: Path, dst: Path) -> Path:
    dst.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    return dst


# --------------------------------------------------------------------------- module contract


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_module_contract(fmt):
    mod = READERS[fmt]
    assert mod.__all__ == ["read", "DEFAULT_TIMESTAMP_FORMAT"]
    assert mod.DEFAULT_TIMESTAMP_FORMAT == ("epoch_s" if fmt == "sendgrid" else "iso")
    assert mod.__doc__ and len(mod.__doc__) > 500


@pytest.mark.parametrize(("fmt", "name"), GOLDEN_INPUTS)
def test_columns_and_types(fmt, name):
    con = duckdb.connect()
    out = READERS[fmt].read(con, source(fmt, GOLDEN / fmt / name), GOLDEN / fmt / name)
    desc = con.execute(f"describe {out.relation}").fetchall()
    assert tuple(d[0] for d in desc) == EVENT_COLUMNS
    assert {d[0]: d[1] for d in desc} == {
        c: ("BIGINT" if c == "line" else "VARCHAR") for c in EVENT_COLUMNS
    }


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize(("fmt", "name"), GOLDEN_INPUTS)
def test_golden(fmt, name):
    want = expected(fmt, name)
    out, rows = read(fmt, GOLDEN / fmt / name)
    assert out.position_kind == want["position_kind"]
    assert comparable(rows) == want["rows"]
    assert all(isinstance(r["raw"], str) and r["raw"] for r in rows)
    for r in rows:  # properties are JSON objects; error rows have no properties
        if r["error"] is None:
            assert isinstance(json.loads(r["properties"]), dict)


@pytest.mark.parametrize(("fmt", "name"), GOLDEN_INPUTS)
def test_golden_gzip(fmt, name, tmp_path):
    gz = gzip_to(GOLDEN / fmt / name, tmp_path / (name + ".gz"))
    out, rows = read(fmt, gz)
    want = expected(fmt, name)
    assert out.position_kind == want["position_kind"]
    assert comparable(rows) == [dict(r, file=gz.name) for r in want["rows"]]


@pytest.mark.parametrize("name", ["messages.jsonl"])
def test_segment_raw_is_the_line(name):
    lines = (GOLDEN / "segment" / name).read_text(encoding="utf-8").split("\n")
    _, rows = read("segment", GOLDEN / "segment" / name)
    assert [r["raw"] for r in rows] == [lines[r["line"] - 1] for r in rows]


def test_segment_array_document_and_single_object(tmp_path):
    lines = (GOLDEN / "segment" / "messages.jsonl").read_bytes().split(b"\n")
    msgs = [m for m in map(_loads, lines) if isinstance(m, dict) and "messageId" in m]
    doc = tmp_path / "array.json"
    doc.write_text(json.dumps(msgs, indent=2))
    out, rows = read("segment", doc)
    assert out.position_kind == "record"
    assert [r["line"] for r in rows] == list(range(1, len(msgs) + 1))
    assert [r["event_id"] for r in rows] == [m["messageId"] for m in msgs]
    one = tmp_path / "one.json"
    one.write_text(json.dumps(msgs[1], indent=2))
    _, rows = read("segment", one)
    assert [(r["line"], r["event_type"], r["error"]) for r in rows] == [
        (1, "order_completed", None)
    ]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert read("segment", empty)[1] == []


def test_sendgrid_broken_array_document_is_one_error_row(tmp_path):
    f = tmp_path / "cut.json"
    f.write_text((GOLDEN / "sendgrid" / "webhook.json").read_text()[:700])
    _, rows = read("sendgrid", f)
    # issue 6 item 2: the complete first element is kept; the cut-off second is the one error row
    assert len(rows) == 2
    assert rows[0]["line"] == 1 and rows[0]["error"] is None and rows[0]["event_id"] == "sg-ev-1"
    assert rows[1]["line"] == 2 and rows[1]["error"].startswith("invalid JSON document: ")
    assert rows[1]["raw"].startswith('{"email": "ann.lee@example.com"')


def test_invalid_utf8_line_is_kept(tmp_path):
    f = tmp_path / "bad.jsonl"
    good = b'{"email": "a@example.com", "timestamp": 1, "event": "open", "sg_event_id": "x"}'
    f.write_bytes(good + b"\n\xff\xfe\xfa broken\n\n" + good.replace(b'"x"', b'"y"') + b"\n")
    _, rows = read("sendgrid", f)
    assert [(r["line"], r["event_id"], r["error"] is None) for r in rows] == [
        (1, "x", True),
        (2, None, False),
        (4, "y", True),
    ]
    assert rows[1]["error"].startswith("unreadable line (INVALID ENCODING)")


# --------------------------------------------------------------------------- columns / constants


def test_segment_columns_and_constants():
    _, rows = read(
        "segment",
        GOLDEN / "segment" / "messages.jsonl",
        columns={
            "user_id": "anonymousId",
            "text": "properties.title",
            "campaign": "context.campaign.term",
        },
        constants={"touchpoint": "web:segment", "email": "nobody@example.com"},
    )
    first, second = rows[0], rows[1]
    assert (first["user_id"], first["text"], first["campaign"]) == ("anon-1", "Pricing", "shoes")
    assert (first["touchpoint"], first["email"]) == ("web:segment", "nobody@example.com")
    assert (second["user_id"], second["email"], second["text"]) == (
        "anon-1",
        "Ann.Lee@Example.com",
        None,
    )
    assert all(r["touchpoint"] == "web:segment" for r in rows)
    with pytest.raises(SourceError, match="columns.user_id = 'customer'"):
        read("segment", GOLDEN / "segment" / "messages.jsonl", columns={"user_id": "customer"})


def test_sendgrid_columns_and_constants():
    _, rows = read(
        "sendgrid",
        GOLDEN / "sendgrid" / "webhook.json",
        columns={"user_id": "sg_message_id"},
        constants={"utm_medium": "email"},
    )
    assert rows[4]["user_id"] == "abc.filter0002"
    assert "sg_message_id" not in json.loads(rows[4]["properties"])
    assert [r["utm_medium"] for r in rows] == ["email"] * 7


def test_zendesk_columns():
    _, rows = read(
        "zendesk", GOLDEN / "zendesk" / "export.json", columns={"user_id": "requester_id"}
    )
    by_id = {r["event_id"]: r for r in rows if r["event_id"]}
    assert by_id["zd:103:created"]["user_id"] == "9003"
    assert by_id["zd:103:created"]["anonymous_id"] == "zendesk:9003"
    assert by_id["zd:101:comment:2"]["user_id"] == "9001"
    assert by_id["zd:999:csat:557"]["user_id"] == "9001"


def test_xes_columns_and_constants():
    _, rows = read(
        "xes",
        GOLDEN / "xes" / "small.xes",
        columns={"user_id": "case:customer"},
        constants={"email": "support@example.com"},
    )
    assert [r["user_id"] for r in rows] == ["cust-42"] * 3 + ["cust-43"] * 2
    props = json.loads(rows[0]["properties"])
    assert props["case:concept:name"] == "case-1" and "case:customer" not in props
    assert {r["email"] for r in rows} == {"support@example.com"}


# --------------------------------------------------------------------------- XES faults


def test_xes_truncated_gzip_keeps_events_read(tmp_path):
    data = gzip.compress((GOLDEN / "xes" / "small.xes").read_bytes() * 1, mtime=0)
    f = tmp_path / "cut.xes.gz"
    f.write_bytes(data[: len(data) * 3 // 4])
    _, rows = read("xes", f)
    want = expected("xes", "small.xes")["rows"]
    assert rows[-1]["error"] is not None and rows[-1]["line"] == len(rows)
    assert comparable(rows[:-1]) == [dict(r, file=f.name) for r in want[: len(rows) - 1]]
    assert all(r["error"] is None for r in rows[:-1])


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "malformed XES (XML error at line 1, column 0): no element found"),
        (b"\x00\x01garbage", "malformed XES (XML error at line 1, column 0)"),
        (
            b"<?xml version='1.0'?><feed><entry/></feed>",
            "not an XES log: the root element is <feed>",
        ),
        (b"\x1f\x8b\x08garbage", "unreadable XES file"),
    ],
)
def test_xes_not_a_log_is_one_error_row(tmp_path, content, error):
    f = tmp_path / "x.xes"
    f.write_bytes(content)
    _, rows = read("xes", f)
    assert len(rows) == 1
    assert rows[0]["line"] == 1 and rows[0]["error"].startswith(error)


def test_xes_empty_log_has_no_rows(tmp_path):
    f = tmp_path / "x.xes"
    f.write_text(
        '<log xmlns="http://www.xes-standard.org/"><trace><string key="concept:name" value="c"/></trace></log>'
    )
    assert read("xes", f)[1] == []


# --------------------------------------------------------------------------- properties

KEYS = st.sampled_from(
    [
        "type",
        "event",
        "batch",
        "tickets",
        "ticket",
        "users",
        "comments",
        "satisfaction_ratings",
        "id",
        "created_at",
        "updated_at",
        "status",
        "requester_id",
        "author_id",
        "ticket_id",
        "score",
        "messageId",
        "userId",
        "previousId",
        "properties",
        "context",
        "traits",
        "email",
        "url",
        "timestamp",
        "sg_event_id",
        "category",
        "name",
    ]
) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        ["track", "page", "alias", "identify", "solved", "good", "bad", "2024-01-01T00:00:00Z"]
    )
)
JSON_VALUES = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(KEYS, c, max_size=5), max_leaves=15
)
TEXT_LINE = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\ufeff", blacklist_categories=("Cs",)),
    max_size=30,
)
LINES = st.lists(
    st.one_of(
        st.tuples(JSON_VALUES, st.booleans()).map(
            lambda t: json.dumps(t[0], ensure_ascii=t[1]).encode()
        ),
        TEXT_LINE.map(lambda s: s.encode()),
        st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b),
    ),
    max_size=12,
)
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _blank(line: bytes) -> bool:
    return line.decode("utf-8", "replace").strip(" \t\ufeff") == ""


def _loads(line: bytes):
    try:
        return json.loads(line)
    except ValueError:
        return None


def _min_rows(fmt: str, value) -> int:
    """Rows a top-level JSON value must yield at least (exactly, for segment/sendgrid)."""
    if not isinstance(value, dict):
        return 1
    if fmt == "segment" and isinstance(value.get("batch"), list):
        return len(value["batch"])
    if fmt == "zendesk" and (
        isinstance(value.get("tickets"), list)
        or isinstance(value.get("users"), list)
        or isinstance(value.get("satisfaction_ratings"), list)
        or isinstance(value.get("ticket"), dict)
    ):
        tickets = value.get("tickets")
        return (len(tickets) if isinstance(tickets, list) else 0) + isinstance(
            value.get("ticket"), dict
        )
    return 1


def _is_batch(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("batch"), list)


def _check_rows(rows: list[dict]) -> None:
    for r in rows:
        assert set(r) == set(EVENT_COLUMNS)
        assert isinstance(r["line"], int) and r["line"] >= 1
        assert r["error"] is None or (isinstance(r["error"], str) and r["error"])
        assert r["raw"] is not None


@pytest.mark.parametrize("fmt", ["segment", "sendgrid", "zendesk"])
@PROPERTY_SETTINGS
@given(lines=LINES)
def test_property_json_lines_lose_nothing(fmt, lines):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "in.jsonl"
        f.write_bytes(b"\n".join(lines) + b"\n")
        out, rows = read(fmt, f)
    _check_rows(rows)
    kept = [(i, line) for i, line in enumerate(lines, 1) if not _blank(line)]
    need = [_min_rows(fmt, _loads(line)) for _, line in kept]
    if fmt == "zendesk":
        assert len(rows) >= sum(need)
        assert out.position_kind == "record"
    elif fmt == "segment" and any(
        _min_rows(fmt, _loads(line)) != 1 or _is_batch(_loads(line)) for _, line in kept
    ):
        assert len(rows) == sum(need)  # batch documents: messages numbered 1, 2, ...
        assert [r["line"] for r in rows] == list(range(1, len(rows) + 1))
    else:  # one row per non-blank line, numbered by physical line
        assert [r["line"] for r in rows] == [i for i, _ in kept]
        assert out.position_kind == "line"
        for r, (_, line) in zip(rows, kept, strict=True):
            if _loads(line) is None or not isinstance(_loads(line), dict):
                assert r["error"] is not None


@pytest.mark.parametrize("fmt", ["segment", "sendgrid", "zendesk"])
@PROPERTY_SETTINGS
@given(values=st.lists(JSON_VALUES, max_size=8), indent=st.sampled_from([None, 2]))
def test_property_json_array_loses_nothing(fmt, values, indent):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "in.json"
        f.write_text(json.dumps(values, indent=indent), encoding="utf-8")
        _, rows = read(fmt, f)
    _check_rows(rows)
    need = sum(_min_rows(fmt, v) for v in values)
    if fmt == "zendesk":
        assert len(rows) >= need
    else:
        assert len(rows) == need
        assert [r["line"] for r in rows] == list(range(1, need + 1))


@pytest.mark.parametrize("fmt", ["segment", "sendgrid", "zendesk"])
@PROPERTY_SETTINGS
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".jsonl", ".json", ".json.gz"]))
def test_property_random_bytes(fmt, suffix, data):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / ("in" + suffix)
        f.write_bytes(data)
        _, rows = read(fmt, f)
    _check_rows(rows)
    if any(not _blank(x) for x in data.replace(b"\r", b"\n").split(b"\n")):
        assert rows


_XML_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
_XKEY = st.sampled_from(
    ["concept:name", "time:timestamp", "org:resource", "lifecycle:transition", "amount"]
) | st.text(_XML_CHARS, min_size=1, max_size=8)
_XATTRS = st.lists(
    st.tuples(
        st.sampled_from(["string", "date", "int", "float", "boolean", "id"]),
        _XKEY,
        st.text(_XML_CHARS, max_size=10),
    ),
    max_size=4,
)
XES_LOGS = st.lists(st.tuples(_XATTRS, st.lists(_XATTRS, max_size=4)), max_size=4)


def _xes(log) -> tuple[str, list[dict]]:
    """An XES document for [(trace attrs, [event attrs...])] and the flattened events."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">\n'
    ]
    want = []
    for trace_attrs, events in log:
        parts.append("<trace>\n")
        for kind, k, v in trace_attrs:
            parts.append(f"<{kind} key={quoteattr(k)} value={quoteattr(v)}/>\n")
        case: dict[str, str] = {}
        for _, k, v in trace_attrs:
            case.setdefault("case:" + k, v)
        for attrs in events:
            parts.append("<event>\n")
            row: dict[str, str] = {}
            for kind, k, v in attrs:
                parts.append(f"<{kind} key={quoteattr(k)} value={quoteattr(v)}/>\n")
                row.setdefault(k, v)
            for k, v in case.items():
                row.setdefault(k, v)
            want.append(row)
            parts.append("</event>\n")
        parts.append("</trace>\n")
    parts.append("</log>\n")
    return "".join(parts), want


@PROPERTY_SETTINGS
@given(log=XES_LOGS)
def test_property_xes_round_trip(log):
    doc, want = _xes(log)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "in.xes"
        f.write_text(doc, encoding="utf-8")
        _, rows = read("xes", f)
    _check_rows(rows)
    assert [json.loads(r["raw"]) for r in rows] == want
    assert [r["line"] for r in rows] == list(range(1, len(want) + 1))
    assert all(r["error"] is None for r in rows)
    assert [r["event_type"] for r in rows] == [w.get("concept:name") for w in want]


@PROPERTY_SETTINGS
@given(log=XES_LOGS, cut=st.floats(0, 1, exclude_max=True))
def test_property_xes_truncated_keeps_what_was_read(log, cut):
    doc, want = _xes(log)
    data = doc.encode("utf-8").rstrip()
    prefix = data[: int(len(data) * cut)]
    complete = prefix.count(b"</event>")
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "in.xes"
        f.write_bytes(prefix)
        _, rows = read("xes", f)
    _check_rows(rows)
    assert len(rows) == complete + 1
    assert rows[-1]["error"] is not None and all(r["error"] is None for r in rows[:-1])
    # trace attributes precede events here, so every complete event is whole
    assert [json.loads(r["raw"]) for r in rows[:-1]] == want[:complete]


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=300))
def test_property_xes_random_bytes(data):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "in.xes"
        f.write_bytes(data)
        _, rows = read("xes", f)
    _check_rows(rows)
    assert sum(r["error"] is not None for r in rows) <= 1
    assert all(r["error"] is None for r in rows[:-1])


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not HELPDESK.exists(), reason="real data not available")
def test_real_helpdesk_xes():
    con = duckdb.connect()
    out = xes.read(con, source("xes", HELPDESK), HELPDESK)
    stats = con.sql(
        f"select count(*), count(distinct user_id), count(error), count(event_type), "
        f"count(occurred_at), count(distinct event_type), min(occurred_at), max(line) from {out.relation}"
    ).fetchall()[0]
    assert stats[:6] == (21348, 4580, 0, 21348, 21348, 14)
    assert stats[6].startswith("2010-") and stats[7] == 21348
    customers = con.sql(
        f"select count(distinct properties->>'customer') from {out.relation}"
    ).fetchall()[0][0]
    assert customers == 397


@pytest.mark.skipif(not BPIC2012.exists(), reason="real data not available")
def test_real_bpic2012_xes():
    # (how long it takes is the benchmark's business, not a unit test's: `make bench`)
    con = duckdb.connect()
    out = xes.read(con, source("xes", BPIC2012), BPIC2012)
    stats = con.sql(
        f"select count(*), count(distinct user_id), count(error), count(occurred_at), "
        f"count(distinct event_type) from {out.relation}"
    ).fetchall()[0]
    assert stats == (262200, 13087, 0, 262200, 24)
