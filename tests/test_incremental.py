"""Incremental nightly runs (issue 11, items 1, 2 and 4; docs/operations.md "Incremental
runs"): the manifest decides what is read, only the affected customers are rebuilt, and
every night's tables equal a --full-refresh rebuild of the same inputs, table for table."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import duckdb
import pytest

from journey_mining import ingest
from journey_mining.config import load_config
from journey_mining.pipeline import run_pipeline

from .incremental_data import Nights, table_hashes, write_config, write_csv


def _run(config_path: Path, out: Path, *, full: bool = False) -> dict:
    config = load_config(config_path, output_base=out)
    if full:
        config = dataclasses.replace(config, full_refresh=True)
    return run_pipeline(config).summary


def _assert_same_tables(a: Path, b: Path) -> None:
    ha, hb = table_hashes(a), table_hashes(b)
    assert sorted(ha) == sorted(hb)
    differ = [t for t in ha if ha[t] != hb[t]]
    assert not differ, f"tables differ from a full rebuild: {differ}"


def _nights(tmp_path: Path, count: int, *, keep_deleted: bool = False):
    """Yield (night, incremental summary, full summary) for `count` nights with a changed file
    (night 2), a deleted file (night 3) and a touched file (night 4)."""
    root = tmp_path / "in"
    cfg = write_config(root, keep_deleted=keep_deleted)
    data = Nights()
    for n in range(1, count + 1):
        web, mail = data.night(n)
        write_csv(root / "web" / f"night-{n}.csv", web)
        write_csv(root / "mail" / f"night-{n}.csv", mail)
        if n == 2:  # a changed file: one row corrected (late by two weeks), one row removed
            first = (root / "web" / "night-1.csv").read_text().splitlines()
            cols = first[3].split(",")
            cols[2] = "2026-08-20T10:00:00+00:00"
            first[3] = ",".join(cols)
            del first[5]
            (root / "web" / "night-1.csv").write_text("\n".join(first) + "\n")
        if n == 3:
            (root / "mail" / "night-1.csv").unlink()
        if n == 4:  # same bytes, new mtime: hashed again, not read
            p = root / "web" / "night-2.csv"
            os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 3600))
        inc = _run(cfg, tmp_path / "inc")
        full = _run(cfg, tmp_path / f"full-{n}", full=True)
        yield n, inc, full, tmp_path / "inc" / "out" / "journeys.duckdb", tmp_path / f"full-{n}" / "out" / "journeys.duckdb"


@pytest.mark.slow  # ~65 s: four nights, each run twice (incremental and --full-refresh)
def test_nightly_increments_equal_a_full_rebuild(tmp_path):
    seen = {}
    for n, inc, full, inc_wh, full_wh in _nights(tmp_path, 4):
        seen[n] = inc
        assert full["refresh"] == "full" and full["refresh_reason"].startswith("full refresh requested")
        _assert_same_tables(inc_wh, full_wh)
        if n > 1:
            assert inc["refresh"] == "incremental", inc["refresh_reason"]
            assert 0 < inc["customers_rebuilt"] < inc["customers"]
    assert seen[1]["refresh_reason"] == "no published warehouse"
    # night 2: two new files, night-1.csv of web changed, the rest unchanged
    assert (seen[2]["files_new"], seen[2]["files_changed"], seen[2]["files_unchanged"], seen[2]["files_deleted"]) == (2, 1, 2, 0)
    assert seen[2]["files_read"] == 3
    # night 3: mail/night-1.csv deleted; its events are gone
    assert (seen[3]["files_new"], seen[3]["files_deleted"], seen[3]["files_read"]) == (2, 1, 2)
    con = duckdb.connect(str(tmp_path / "inc" / "out" / "journeys.duckdb"), read_only=True)
    assert con.execute("select count(*) from events where source_file like '%mail/night-1.csv'").fetchone()[0] == 0
    # night 4: night-2.csv touched (same bytes): not read, counted unchanged
    assert (seen[4]["files_new"], seen[4]["files_changed"], seen[4]["files_read"]) == (2, 0, 2)
    runs = con.execute("select refresh, files_new, rows_new from runs order by started_at").fetchall()
    con.close()
    assert [r[0] for r in runs] == ["full", "incremental", "incremental", "incremental"]
    assert runs[1][2] == seen[2]["rows_new"] > 0


def test_anonymous_visitor_who_logs_in_later_gets_the_full_rebuild_ids(tmp_path):
    """A cookie seen alone (an anonymous customer 'anon:...') logs in three weeks later: the
    partial rebuild moves all its events to the user, exactly as a full rebuild does, and an
    e-mail-only customer whose e-mail the cookie later gives joins the cluster."""
    root = tmp_path / "in"
    cfg = write_config(root)
    write_csv(root / "web" / "w1.csv", [
        {"event_id": "a1", "event_type": "page_view", "occurred_at": "2026-09-01T10:00:00Z", "anonymous_id": "zz-cookie"},
        {"event_id": "a2", "event_type": "page_view", "occurred_at": "2026-09-01T10:05:00Z", "anonymous_id": "zz-cookie",
         "url": "https://shop.example/pricing"},
        {"event_id": "b1", "event_type": "page_view", "occurred_at": "2026-09-02T10:00:00Z", "anonymous_id": "other"},
    ])
    write_csv(root / "mail" / "m1.csv", [
        {"event_id": "m1", "event_type": "email_open", "occurred_at": "2026-09-03T08:00:00Z", "email": "zz@example.com"},
    ])
    first = _run(cfg, tmp_path / "inc")
    assert first["customers"] == 3
    write_csv(root / "web" / "w2.csv", [
        {"event_id": "a3", "event_type": "page_view", "occurred_at": "2026-09-22T10:00:00Z", "anonymous_id": "zz-cookie",
         "email": "zz@example.com"},
        {"event_id": "a4", "event_type": "purchase", "occurred_at": "2026-09-22T10:10:00Z", "anonymous_id": "zz-cookie",
         "user_id": "u500", "revenue": "10"},
        {"event_id": "a0", "event_type": "page_view", "occurred_at": "2026-08-30T09:00:00Z", "anonymous_id": "zz-cookie"},
    ])
    second = _run(cfg, tmp_path / "inc")
    _run(cfg, tmp_path / "full", full=True)
    assert second["refresh"] == "incremental" and second["customers_rebuilt"] == 3  # 2 anonymous before, u500 after
    inc_wh = tmp_path / "inc" / "out" / "journeys.duckdb"
    _assert_same_tables(inc_wh, tmp_path / "full" / "out" / "journeys.duckdb")
    con = duckdb.connect(str(inc_wh), read_only=True)
    owners = dict(con.execute("select event_id, customer_id from events").fetchall())
    con.close()
    assert {owners[e] for e in ("a0", "a1", "a2", "a3", "a4", "m1")} == {"u500"}
    assert owners["b1"].startswith("anon:")


def test_changed_config_falls_back_to_a_full_rebuild(tmp_path):
    root = tmp_path / "in"
    cfg = write_config(root)
    web, mail = Nights(per_night=30).night(1)
    write_csv(root / "web" / "n1.csv", web)
    write_csv(root / "mail" / "n1.csv", mail)
    _run(cfg, tmp_path / "inc")
    cfg.write_text(cfg.read_text().replace("timeout_minutes = 30", "timeout_minutes = 45"))
    again = _run(cfg, tmp_path / "inc")
    assert again["refresh"] == "full"
    assert again["refresh_reason"] == "the configuration or the code changed since the last successful run"
    (root / "crm" / "profiles.csv").write_text("user_id,email,segment\nu001,x@example.com,gold\n")
    third = _run(cfg, tmp_path / "inc")
    assert third["refresh"] == "full" and third["refresh_reason"].startswith("a profile (customers) file changed")


def test_unchanged_files_are_neither_read_nor_hashed(tmp_path, monkeypatch):
    root = tmp_path / "in"
    cfg = write_config(root)
    web, mail = Nights(per_night=30).night(1)
    write_csv(root / "web" / "n1.csv", web)
    write_csv(root / "mail" / "n1.csv", mail)
    _run(cfg, tmp_path / "inc")
    hashed: list[str] = []
    real = ingest.hash_file
    monkeypatch.setattr(ingest, "hash_file", lambda p: hashed.append(Path(p).name) or real(p))
    again = _run(cfg, tmp_path / "inc")
    assert hashed == [] and again["files_read"] == 0 and again["files_unchanged"] == 3
    p = root / "mail" / "n1.csv"
    os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 60))
    third = _run(cfg, tmp_path / "inc")
    assert hashed == ["n1.csv"] and third["files_read"] == 0 and third["files_unchanged"] == 3


def test_running_twice_changes_no_table_and_full_refresh_rebuilds(tmp_path):
    """Idempotence: every table but the run logs (runs, run_sources: one more row per run) is
    identical after a second run on the same inputs, incremental or --full-refresh."""
    root = tmp_path / "in"
    cfg = write_config(root)
    web, mail = Nights(per_night=60).night(1)
    write_csv(root / "web" / "n1.csv", web)
    write_csv(root / "mail" / "n1.csv", mail)
    wh = tmp_path / "inc" / "out" / "journeys.duckdb"
    _run(cfg, tmp_path / "inc")
    before = table_hashes(wh)
    again = _run(cfg, tmp_path / "inc")
    assert again["refresh"] == "incremental" and again["customers_rebuilt"] == 0
    assert table_hashes(wh) == before
    full = _run(cfg, tmp_path / "inc", full=True)
    assert full["refresh"] == "full" and full["files_read"] == 3  # the staged cache was ignored
    after = table_hashes(wh)
    assert after == before


def test_keep_deleted_files_keeps_their_rows(tmp_path):
    root = tmp_path / "in"
    cfg = write_config(root, keep_deleted=True)
    data = Nights(per_night=40)
    for n in (1, 2):
        web, mail = data.night(n)
        write_csv(root / "web" / f"n{n}.csv", web)
        write_csv(root / "mail" / f"n{n}.csv", mail)
    first = _run(cfg, tmp_path / "inc")
    (root / "mail" / "n1.csv").unlink()
    (root / "web" / "n1.csv").unlink()  # web does not keep deleted files: its rows go
    second = _run(cfg, tmp_path / "inc")
    assert second["files_deleted"] == 1 and second["refresh"] == "incremental"
    con = duckdb.connect(str(tmp_path / "inc" / "out" / "journeys.duckdb"), read_only=True)
    files = dict(con.execute("select file, is_deleted from input_files").fetchall())
    kept = con.execute("select count(*) from events where source_file like '%mail/n1.csv'").fetchone()[0]
    web_gone = con.execute("select count(*) from events where source_file like '%web/n1.csv'").fetchone()[0]
    con.close()
    assert files[str(root / "mail" / "n1.csv")] is True and kept > 0 and web_gone == 0
    assert second["events"] < first["events"]
    third = _run(cfg, tmp_path / "inc")  # still kept a night later (its staged rows were not pruned)
    assert third["events"] == second["events"] and third["files_deleted"] == 0


@pytest.mark.slow
def test_six_nights_with_late_data_equal_full_rebuilds(tmp_path):
    for _n, _inc, _full, inc_wh, full_wh in _nights(tmp_path, 6):
        _assert_same_tables(inc_wh, full_wh)


def test_a_changed_file_replaces_its_rows_and_a_split_cluster_gets_full_rebuild_ids(tmp_path):
    """The row that linked a cookie to an e-mail is removed from a file: the cluster splits,
    the e-mail's events become an anonymous customer of their own (id from the e-mail), the
    cookie's stay with the user; a corrected timestamp moves an event between sessions."""
    root = tmp_path / "in"
    cfg = write_config(root)
    rows = [
        {"event_id": "k1", "event_type": "page_view", "occurred_at": "2026-09-01T10:00:00Z", "anonymous_id": "k-cookie"},
        {"event_id": "k2", "event_type": "page_view", "occurred_at": "2026-09-01T10:10:00Z", "anonymous_id": "k-cookie",
         "email": "k@example.com"},
        {"event_id": "k3", "event_type": "purchase", "occurred_at": "2026-09-01T10:20:00Z", "anonymous_id": "k-cookie",
         "user_id": "u77", "revenue": "5"},
        {"event_id": "n1", "event_type": "page_view", "occurred_at": "2026-09-05T10:00:00Z", "anonymous_id": "n-cookie"},
    ]
    write_csv(root / "web" / "w.csv", rows)
    write_csv(root / "mail" / "m.csv", [
        {"event_id": "km", "event_type": "email_open", "occurred_at": "2026-09-02T08:00:00Z", "email": "k@example.com"},
    ])
    _run(cfg, tmp_path / "inc")
    inc_wh = tmp_path / "inc" / "out" / "journeys.duckdb"
    con = duckdb.connect(str(inc_wh), read_only=True)
    assert con.execute("select customer_id from events where event_id = 'km'").fetchone()[0] == "u77"
    con.close()
    write_csv(root / "web" / "w.csv", [
        rows[0], {**rows[2], "occurred_at": "2026-09-01T12:00:00Z"}, rows[3],  # k2 gone, k3 corrected
    ])
    second = _run(cfg, tmp_path / "inc")
    _run(cfg, tmp_path / "full", full=True)
    assert (second["refresh"], second["files_changed"], second["files_unchanged"]) == ("incremental", 1, 2)
    _assert_same_tables(inc_wh, tmp_path / "full" / "out" / "journeys.duckdb")
    con = duckdb.connect(str(inc_wh), read_only=True)
    owners = dict(con.execute("select event_id, customer_id from events").fetchall())
    sessions = con.execute("select count(*) from sessions where customer_id = 'u77'").fetchone()[0]
    expected = con.execute("select 'anon:' || left(md5('email:k@example.com'), 16)").fetchone()[0]
    con.close()
    assert owners == {"k1": "u77", "k3": "u77", "n1": owners["n1"], "km": expected}
    assert sessions == 2


def test_a_login_pulls_in_the_whole_published_cluster_and_the_users_other_devices(tmp_path):
    """Night 2 brings one event: cookie c1 logs in as u9. c1 was clustered (through e-mail e1)
    with cookie c2, and u9 was already known on cookie c3: none of c2's, e1's or c3's events is
    in the delta, yet they all belong to the rebuilt customers (the closure over the published
    clusters); a full rebuild agrees."""
    root = tmp_path / "in"
    cfg = write_config(root)
    ev = lambda i, at, **ids: {"event_id": i, "event_type": "page_view", "occurred_at": at, **ids}  # noqa: E731
    write_csv(root / "web" / "w1.csv", [
        ev("x1", "2026-09-01T10:00:00Z", anonymous_id="c1", email="e1@example.com"),
        ev("x2", "2026-09-02T10:00:00Z", anonymous_id="c2", email="e1@example.com"),
        ev("x3", "2026-09-03T10:00:00Z", anonymous_id="c2"),
        ev("x4", "2026-09-04T10:00:00Z", anonymous_id="c3", user_id="u9"),
        ev("x5", "2026-09-04T10:05:00Z", anonymous_id="c3"),
        ev("x6", "2026-09-09T10:00:00Z", anonymous_id="other"),
    ])
    write_csv(root / "mail" / "m1.csv", [
        {"event_id": "y1", "event_type": "email_open", "occurred_at": "2026-09-03T10:20:00Z", "email": "e1@example.com"},
    ])
    _run(cfg, tmp_path / "inc")
    write_csv(root / "web" / "w2.csv", [ev("x9", "2026-09-20T10:00:00Z", anonymous_id="c1", user_id="u9")])
    second = _run(cfg, tmp_path / "inc")
    _run(cfg, tmp_path / "full", full=True)
    assert second["refresh"] == "incremental"
    inc_wh = tmp_path / "inc" / "out" / "journeys.duckdb"
    _assert_same_tables(inc_wh, tmp_path / "full" / "out" / "journeys.duckdb")
    con = duckdb.connect(str(inc_wh), read_only=True)
    owners = dict(con.execute("select event_id, customer_id from events").fetchall())
    con.close()
    assert {owners[e] for e in ("x1", "x2", "x3", "x4", "x5", "x9", "y1")} == {"u9"}
    assert owners["x6"] != "u9" and second["customers_rebuilt"] == 2  # anon:{c1,c2,e1} before, u9


@pytest.mark.slow  # three `journey run` subprocesses: ~20 s quiet, ~60 s on a loaded machine
def test_journey_run_full_refresh_on_the_command_line(tmp_path):
    """`journey run` is incremental; `--full-refresh` rebuilds and says why (one line each)."""
    import subprocess
    import sys

    root = tmp_path / "in"
    write_config(root)
    web, mail = Nights(per_night=20).night(1)
    write_csv(root / "web" / "n1.csv", web)
    write_csv(root / "mail" / "n1.csv", mail)

    def journey(*args: str) -> str:
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        r = subprocess.run([sys.executable, "-c", "from journey_mining.cli import entry; entry()", "run", "--no-prefect",
                            "-q", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return next(line for line in r.stdout.splitlines() if line.strip().startswith("files:"))

    assert journey().endswith("full rebuild (no published warehouse)")
    assert journey() == "  files: 0 new, 0 changed, 3 unchanged, 0 deleted; 0 rows read from 0 file(s); incremental, 0 customers rebuilt"
    assert journey("--full-refresh").endswith("3 file(s); full rebuild (full refresh requested (--full-refresh))")
