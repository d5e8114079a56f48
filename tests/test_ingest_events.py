"""The canonical `events` reader and the staging model: golden rows, options, properties."""

from __future__ import annotations

import csv
import gzip
import json
import shutil

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey_mining.config import SourceConfig, SourceOptions
from journey_mining.errors import SourceError
from journey_mining.ingest import SourcePlan, ingest_source

from .helpers import GOLDEN, assert_golden, staged_frame

G = GOLDEN / "readers" / "events"

WEB = SourceConfig(
    "web",
    "web",
    "events",
    str(G / "web.csv"),
    columns=dict(
        anonymous_id="Visitor", user_id="Login", email="Mail", event_type="What",
        occurred_at="When", url="Page", revenue="Amount",
    ),
    constants={"utm_source": "site"},
    options=SourceOptions(timezone="Europe/Amsterdam"),
)
APP = SourceConfig("app", "app", "events", str(G / "app.jsonl"), options=SourceOptions(timestamp_format="epoch_ms"))


def test_csv_golden_mapping_constants_timezone_and_quarantine():
    df = staged_frame(WEB)
    assert_golden(df, G / "web.expected.csv")
    # the facts the golden file encodes, spelled out
    assert list(df.status) == ["loaded"] * 4 + ["quarantined"] * 5
    assert df.occurred_at[0] == "2026-09-01T08:00:00.000000Z"  # 10:00 Amsterdam summer time
    assert df.occurred_at[1] == "2026-09-01T08:05:00.000000Z"  # explicit +02:00 wins over timezone
    assert df.email[1] == "ann@example.com"
    assert df.event_id[2] != df.event_id[3]  # two identical rows stay two events


def test_jsonl_golden_epoch_ms_duplicates_and_broken_lines():
    df = staged_frame(APP)
    assert_golden(df, G / "app.expected.csv")
    assert list(df.status) == ["loaded", "duplicate", "quarantined", "quarantined", "quarantined"]


def test_gzip_reads_like_plain(tmp_path):
    plain = staged_frame(APP)
    gz = staged_frame(APP, [G / "app.jsonl.gz"])
    assert gz.drop(columns=[]).equals(plain)


def test_json_array_and_parquet_give_the_same_events(tmp_path):
    rows = [
        {"event_id": "a", "user_id": "u1", "event_type": "view", "occurred_at": "2026-01-01T00:00:00Z", "sku": "x"},
        {"event_id": "b", "user_id": "u1", "event_type": "buy", "occurred_at": "2026-01-01T00:01:00Z", "revenue": 5},
    ]
    (tmp_path / "e.json").write_text(json.dumps(rows))
    con = duckdb.connect()
    con.execute("copy (select * from read_json($f)) to $p (format parquet)", {"f": str(tmp_path / "e.json"), "p": str(tmp_path / "e.parquet")})
    src = SourceConfig("s", "web", "events", str(tmp_path / "e.json"))
    from_json = staged_frame(src)
    from_parquet = staged_frame(src, [tmp_path / "e.parquet"])
    cols = ["event_id", "event_type", "occurred_at", "user_id", "revenue"]
    assert from_json[cols].equals(from_parquet[cols])
    assert list(from_json.status) == ["loaded", "loaded"]
    assert from_json.properties[0] == '{"sku":"x"}'
    assert from_json.revenue[1] == "5.0"


def test_broken_json_document_is_one_quarantined_row(tmp_path):
    (tmp_path / "bad.json").write_text('[{"a": 1},')
    df = staged_frame(SourceConfig("s", "web", "events", str(tmp_path / "bad.json")))
    # DuckDB parses the first record; the cut-off end is reported, not dropped
    assert list(df.status) == ["quarantined", "quarantined"]
    assert df.reason[0] == "missing event_type"
    assert df.reason[1].startswith("invalid JSON document: it ends before the closing ]")
    (tmp_path / "worse.json").write_text('[{"a": 1}, {"b": 2')
    df = staged_frame(SourceConfig("s", "web", "events", str(tmp_path / "worse.json")))
    # issue 6: the element that parses is kept (and judged); the cut-off one is the bad part
    assert list(df.status) == ["quarantined", "quarantined"]
    assert df.reason[0] == "missing event_type"
    assert df.reason[1].startswith("invalid JSON document: ")


def test_headerless_names_epoch_seconds(tmp_path):
    (tmp_path / "t.csv").write_text("1,99,5,pv,1511544070\n2,98,5,buy,1511544071\n")
    src = SourceConfig(
        "t", "web", "events", str(tmp_path / "t.csv"), columns={"event_type": "behavior"},
        options=SourceOptions(header=False, names=("user_id", "item_id", "category_id", "behavior", "occurred_at"), timestamp_format="epoch_s"),
    )
    df = staged_frame(src)
    assert list(df.occurred_at) == ["2017-11-24T17:21:10.000000Z", "2017-11-24T17:21:11.000000Z"]
    assert list(df.source_line) == ["1", "2"]
    assert df.properties[0] == '{"item_id":"99","category_id":"5"}'


def test_strptime_pattern_with_timezone_and_latin1_semicolons(tmp_path):
    (tmp_path / "c.csv").write_bytes("id;when;note\r\n7;31/12/2015 23:30;caf\xe9\r\n".encode("latin-1"))
    src = SourceConfig(
        "c", "support", "events", str(tmp_path / "c.csv"),
        columns={"user_id": "id", "occurred_at": "when", "text": "note"}, constants={"event_type": "complaint"},
        options=SourceOptions(delimiter=";", encoding="latin-1", timestamp_format="%d/%m/%Y %H:%M", timezone="Europe/Amsterdam"),
    )
    df = staged_frame(src)
    assert df.occurred_at[0] == "2015-12-31T22:30:00.000000Z"
    assert df.text[0] == "café"
    assert df.event_type[0] == "complaint"


def test_event_ids_survive_redelivery_under_another_name(tmp_path):
    """Re-delivering a file never duplicates: the copy's rows are counted as duplicates."""
    first = tmp_path / "orders_1.csv"
    first.write_text("user_id,event_type,occurred_at\nu1,order,2026-01-01\nu1,order,2026-01-01\n")
    shutil.copy(first, tmp_path / "orders_1 (copy).csv")
    src = SourceConfig("o", "web", "events", str(tmp_path / "*.csv"))
    counts = ingest_source(SourcePlan(src, tuple(sorted(tmp_path.glob("*.csv")))), tmp_path / "out")
    assert (counts.rows_read, counts.rows_loaded, counts.rows_duplicate) == (4, 2, 2)


def test_unknown_column_mapping_is_a_clear_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    src = SourceConfig("x", "web", "events", str(tmp_path / "x.csv"), columns={"user_id": "CustomerID"})
    with pytest.raises(SourceError, match="columns.user_id = 'CustomerID' is not a column of the file"):
        staged_frame(src)


# --------------------------------------------------------------------------- properties

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(_text, st.dictionaries(st.sampled_from(["user_id", "event_type", "occurred_at", "email", "x"]), _text, max_size=5).map(json.dumps)), max_size=25))
def test_jsonl_reader_never_crashes_and_loses_no_line(tmp_path, lines):
    lines = [ln.replace("\n", " ").replace("\r", " ") for ln in lines]
    path = tmp_path / "p.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    counts = ingest_source(SourcePlan(SourceConfig("p", "web", "events", str(path)), (path,)), tmp_path / "o")
    non_blank = sum(1 for ln in lines if ln.strip(" \t"))
    assert counts.rows_read == non_blank
    assert counts.rows_read == counts.rows_loaded + counts.rows_quarantined + counts.rows_duplicate


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_text, _text, _text), min_size=1, max_size=20))
def test_csv_reader_reads_every_record(tmp_path, rows):
    path = tmp_path / "p.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "event_type", "occurred_at"])
        w.writerows(rows)
    # csv.writer quotes what needs quoting; a record of empty fields is ",,", still a row
    expected = len(rows)
    counts = ingest_source(SourcePlan(SourceConfig("p", "web", "events", str(path)), (path,)), tmp_path / "o")
    assert counts.rows_read == expected
    assert counts.rows_read == counts.rows_loaded + counts.rows_quarantined + counts.rows_duplicate
