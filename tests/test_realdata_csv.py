"""Real public logs from ../shared/realdata (read in place, never copied), tabular ones.

Expected figures come from each dataset's SOURCE.txt and were cross-checked with plain
DuckDB queries over the raw files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from journey_mining.config import SourceConfig, SourceOptions
from journey_mining.ingest import SourcePlan, ingest_source

from .helpers import REALDATA


def ingest(tmp_path: Path, source: SourceConfig):
    assert Path(source.path).exists(), f"missing real data file {source.path}"
    counts = ingest_source(SourcePlan(source, (Path(source.path),)), tmp_path)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("create table ev as select * from read_parquet($p)", {"p": str(tmp_path / "events.parquet")})
    return counts, con


def test_taobao_headerless_names_and_epoch_seconds(tmp_path):
    src = SourceConfig(
        "taobao", "web", "events", str(REALDATA / "taobao_userbehavior_sample" / "UserBehavior.csv"),
        columns={"event_type": "behavior_type"},
        options=SourceOptions(header=False, names=("user_id", "item_id", "category_id", "behavior_type", "occurred_at"), timestamp_format="epoch_s"),
    )
    counts, con = ingest(tmp_path, src)
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined, counts.rows_duplicate) == (4321, 4321, 0, 0)
    assert con.sql("select count(distinct user_id) from ev").fetchall()[0][0] == 43
    by_type = dict(con.sql("select event_type, count(*) from ev group by 1").fetchall())
    assert by_type == {"pv": 3926, "cart": 190, "fav": 128, "buy": 77}
    # 1511544070 is the first row's epoch second
    first = con.sql("select strftime(occurred_at, '%Y-%m-%d %H:%M:%S') from ev where source_line = 1").fetchall()[0][0]
    assert first == "2017-11-24 17:21:10"


def test_bpic2016_complaints_semicolons_latin1_local_dates(tmp_path):
    src = SourceConfig(
        "complaints", "support", "events", str(REALDATA / "bpic2016_complaints" / "BPI2016_Complaints.csv"),
        columns={"user_id": "CustomerID", "occurred_at": "ContactDate", "text": "ComplaintTopic_EN"},
        constants={"event_type": "complaint"},
        options=SourceOptions(delimiter=";", encoding="latin-1", timezone="Europe/Amsterdam"),
    )
    counts, con = ingest(tmp_path, src)
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined) == (289, 289, 0)
    assert con.sql("select count(distinct user_id) from ev").fetchall()[0][0] == 226
    lo, hi = con.sql("select min(occurred_at), max(occurred_at) from ev").fetchall()[0]
    # local midnight in Amsterdam (UTC+2 in July, UTC+1 in February)
    assert (str(lo), str(hi)) == ("2015-07-02 22:00:00+00:00", "2016-02-27 23:00:00+00:00")
    assert con.sql("select properties->>'ComplaintTheme_EN' from ev where source_line = 2").fetchall()[0][0] == "duration of treatment"


def test_helpdesk_csv_xes_flattened_columns(tmp_path):
    src = SourceConfig(
        "helpdesk", "support", "events", str(REALDATA / "helpdesk" / "helpdesk.csv"),
        columns={"user_id": "customer", "event_type": "concept:name", "occurred_at": "time:timestamp"},
    )
    counts, con = ingest(tmp_path, src)
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined, counts.rows_duplicate) == (21348, 21348, 0, 0)
    assert con.sql("select count(distinct user_id) from ev").fetchall()[0][0] == 397
    assert con.sql("select count(distinct properties->>'case:concept:name') from ev").fetchall()[0][0] == 4580
    assert con.sql("select count(distinct event_type) from ev").fetchall()[0][0] == 14


def test_receipt_csv(tmp_path):
    src = SourceConfig(
        "receipt", "web", "events", str(REALDATA / "receipt" / "receipt.csv"),
        columns={"user_id": "case:concept:name", "event_type": "concept:name", "occurred_at": "time:timestamp"},
    )
    counts, con = ingest(tmp_path, src)
    assert (counts.rows_read, counts.rows_loaded) == (8577, 8577)
    assert con.sql("select count(distinct user_id) from ev").fetchall()[0][0] == 1434
    channels = {r[0] for r in con.sql("select properties->>'case:channel' from ev").fetchall()}
    assert channels == {"Internet", "Desk", "Post", "e-mail", "Intern"}


def test_snowplow_fixture_duplicates_are_dropped_and_counted(tmp_path):
    src = SourceConfig(
        "snowplow", "web", "events", str(REALDATA / "snowplow_web_events" / "snowplow_web_events.csv"),
        columns={
            "event_type": "event_name", "occurred_at": "derived_tstamp", "anonymous_id": "domain_userid",
            "url": "page_url", "referrer": "page_referrer", "utm_source": "mkt_source",
            "utm_medium": "mkt_medium", "utm_campaign": "mkt_campaign",
        },
    )
    counts, con = ingest(tmp_path, src)
    # 161 rows, 158 distinct event_ids: the fixture's "dupe: event_id ..." edge cases
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined, counts.rows_duplicate) == (161, 158, 0, 3)
    assert con.sql("select count(*) - count(distinct event_id) from ev").fetchall()[0][0] == 0
    assert con.sql("select count(*) from ev where event_type = 'page_view'").fetchall()[0][0] > 0
    assert con.sql("select count(distinct anonymous_id) from ev").fetchall()[0][0] == 42
