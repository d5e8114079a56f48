"""The cost mechanisms of incremental nights (issue 11 item 3; docs/operations.md
"Incremental runs", "Cost"): the build file starts as a byte copy of the published warehouse
and only the affected customers' rows of the merged marts are deleted and re-inserted. Each
test here fails without the mechanism it names; exactness against --full-refresh rebuilds is
checked the same way as in tests/test_incremental.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest

from journey_mining import incremental
from journey_mining import warehouse as wh
from journey_mining.config import load_config
from journey_mining.pipeline import run_pipeline

from .incremental_data import Nights, table_hashes, write_config, write_csv


def _run(config_path: Path, out: Path, *, full: bool = False) -> dict:
    config = load_config(config_path, output_base=out)
    if full:
        config = dataclasses.replace(config, full_refresh=True)
    return run_pipeline(config).summary


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()


def _two_nights(tmp_path: Path) -> tuple[Path, Nights]:
    root = tmp_path / "in"
    cfg = write_config(root)
    data = Nights(per_night=60)
    web, mail = data.night(1)
    write_csv(root / "web" / "n1.csv", web)
    write_csv(root / "mail" / "n1.csv", mail)
    return cfg, data


def test_an_incremental_night_edits_a_copy_of_the_published_warehouse(tmp_path, monkeypatch):
    """Night 2 opens its build file as a byte copy of the published warehouse (a full rebuild
    opens an empty one), and the copy's merged marts are edited in place: the result equals a
    --full-refresh rebuild, with no working table left behind."""
    cfg, data = _two_nights(tmp_path)
    calls: list[bool] = []
    real = wh.open_build

    def spy(warehouse, run_id, *, copy_published=False):  # noqa: ANN001, ANN202
        calls.append(copy_published)
        return real(warehouse, run_id, copy_published=copy_published)

    monkeypatch.setattr(wh, "open_build", spy)
    _run(cfg, tmp_path / "inc")
    web, mail = data.night(2)
    write_csv(cfg.parent / "web" / "n2.csv", web)
    write_csv(cfg.parent / "mail" / "n2.csv", mail)
    second = _run(cfg, tmp_path / "inc")
    _run(cfg, tmp_path / "full", full=True)
    assert calls == [False, True, False]
    assert second["refresh"] == "incremental" and 0 < second["customers_rebuilt"] < second["customers"]
    inc_wh, full_wh = tmp_path / "inc" / "out" / "journeys.duckdb", tmp_path / "full" / "out" / "journeys.duckdb"
    assert table_hashes(inc_wh) == table_hashes(full_wh)
    assert _tables(inc_wh) == _tables(full_wh)  # no inc_base_* / inc_* table left in the copy


def test_keep_merged_tables_drops_everything_else(tmp_path):
    """What the copy keeps: only the merged marts (every other table is rebuilt or carried as
    in a new build file; a table left over would make carry_history's `create table` fail or
    double the carried run logs)."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    for t in (*incremental.MERGED_MARTS, "runs", "pain_points", "cfg_stages"):
        con.execute(f'create table "{t}" (x int)')
    con.execute("create view v as select 1")
    dropped = incremental.keep_merged_tables(con)
    left = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    views = con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0]
    con.close()
    assert sorted(dropped) == ["cfg_stages", "pain_points", "runs"]
    assert left == set(incremental.MERGED_MARTS) and views == 0


def test_a_crash_in_an_incremental_night_leaves_the_published_warehouse_as_it_was(tmp_path, monkeypatch):
    """The copy is the only file written: an error after the merged marts were edited in
    place (while the metrics marts are built) leaves the published warehouse byte for byte
    as it was, and no build file behind."""
    cfg, data = _two_nights(tmp_path)
    _run(cfg, tmp_path / "inc")
    published = tmp_path / "inc" / "out" / "journeys.duckdb"
    before = published.read_bytes()
    web, mail = data.night(2)
    write_csv(cfg.parent / "web" / "n2.csv", web)

    def boom(con, config, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ARG001
        assert con.execute("select count(*) from events").fetchone()[0] > 0  # merged in place already
        raise RuntimeError("disk on fire")

    import journey_mining.incremental as incremental

    # the first metrics stage of the night (signals), after the journey tables were merged in place
    monkeypatch.setattr(incremental, "build_stage_incremental", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _run(cfg, tmp_path / "inc")
    assert published.read_bytes() == before
    assert not list(published.parent.glob(".journeys.duckdb.build-*"))
    monkeypatch.undo()
    again = _run(cfg, tmp_path / "inc")  # the next night picks up where the failed one stopped
    _run(cfg, tmp_path / "full", full=True)
    assert again["refresh"] == "incremental"
    assert table_hashes(published) == table_hashes(tmp_path / "full" / "out" / "journeys.duckdb")


@pytest.mark.slow  # ~90 s: seven nights, each run twice (incremental and --full-refresh)
def test_a_week_of_growing_partly_late_nights_equals_full_rebuilds(tmp_path):
    """Seven nights of growing data (15% of each night's web events up to three weeks late,
    logins and e-mails joining earlier cookie clusters, re-delivered ids): after every night,
    every table of the incrementally edited warehouse equals a --full-refresh rebuild, and the
    copied-and-edited file does not grow without bound (at most twice the rebuilt file)."""
    root = tmp_path / "in"
    cfg = write_config(root)
    data = Nights(per_night=70)
    inc_wh = tmp_path / "inc" / "out" / "journeys.duckdb"
    for n in range(1, 8):
        web, mail = data.night(n)
        write_csv(root / "web" / f"night-{n}.csv", web)
        write_csv(root / "mail" / f"night-{n}.csv", mail)
        inc = _run(cfg, tmp_path / "inc")
        _run(cfg, tmp_path / f"full-{n}", full=True)
        full_wh = tmp_path / f"full-{n}" / "out" / "journeys.duckdb"
        assert inc["refresh"] == ("full" if n == 1 else "incremental"), inc["refresh_reason"]
        ha, hb = table_hashes(inc_wh), table_hashes(full_wh)
        assert [t for t in set(ha) | set(hb) if ha.get(t) != hb.get(t)] == [], f"night {n}"
        assert inc_wh.stat().st_size <= 2 * full_wh.stat().st_size, f"night {n}"


def test_the_narrow_load_marks_duplicates_quarantine_and_erasures_as_a_full_load(tmp_path, monkeypatch):
    """An incremental night loads only keys and identifiers of every staged row
    (load_incremental; the build sees a narrow stg_events) and still gets every balance,
    duplicate mark, quarantined row and suppressed (erased) row of a --full-refresh of the
    same warehouse: a new file that sorts first takes an event id over from an unchanged file,
    a re-delivered id is a duplicate, bad rows in new and unchanged files are quarantined, and
    an erased person's new events are suppressed."""
    import shutil

    from journey_mining.erasure import forget

    root = tmp_path / "in"
    cfg = write_config(root)
    ev = lambda i, at, **kw: {"event_id": i, "event_type": "page_view", "occurred_at": at, **kw}  # noqa: E731
    write_csv(root / "web" / "n1.csv", [
        ev("a1", "2026-09-01T10:00:00Z", anonymous_id="ca"),
        ev("a2", "2026-09-01T10:05:00Z", anonymous_id="ca", user_id="u1"),
        ev("a2", "2026-09-01T10:06:00Z", anonymous_id="ca", user_id="u1"),  # duplicate within the file
        ev("b1", "2026-09-02T10:00:00Z", anonymous_id="cb", email="gone@example.com"),
        ev("bad1", "not a date", anonymous_id="cq"),
        ev("c1", "2026-09-03T10:00:00Z", anonymous_id="cc"),
    ])
    write_csv(root / "mail" / "m1.csv", [
        {"event_id": "m1", "event_type": "email_open", "occurred_at": "2026-09-02T08:00:00Z", "email": "gone@example.com"},
    ])
    config = load_config(cfg, output_base=tmp_path / "inc")
    run_pipeline(config)
    forget(config, "gone@example.com")  # a full run (the erasure is pending); suppressed from now on
    write_csv(root / "web" / "a0.csv", [  # sorts before n1.csv: its copy of c1 wins now
        ev("c1", "2026-09-03T11:00:00Z", anonymous_id="cz"),
    ])
    write_csv(root / "web" / "n2.csv", [
        ev("a1", "2026-09-01T10:00:00Z", anonymous_id="ca"),  # re-delivered: a duplicate
        ev("d1", "2026-09-10T10:00:00Z", anonymous_id="cb"),  # the erased person's cookie: suppressed
        ev("d2", "2026-09-10T10:00:00Z", anonymous_id="cd", user_id="u1"),
        ev("bad2", "2026-13-45", anonymous_id="cq"),
    ])
    seen: dict[str, set[str]] = {}
    real = incremental.build_incremental

    def spy(con, *args):  # noqa: ANN001, ANN002, ANN202
        seen["stg_events"] = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where table_name = 'stg_events'").fetchall()}
        return real(con, *args)

    monkeypatch.setattr(incremental, "build_incremental", spy)
    night = run_pipeline(config).summary
    assert night["refresh"] == "incremental"
    assert "_row" in seen["stg_events"] and "text" not in seen["stg_events"]  # the narrow load
    monkeypatch.undo()
    shutil.copytree(tmp_path / "inc", tmp_path / "full", symlinks=True)  # same suppressions and key
    full = run_pipeline(dataclasses.replace(load_config(cfg, output_base=tmp_path / "full"), full_refresh=True)).summary
    assert full["refresh"] == "full"
    for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_suppressed", "events", "customers"):
        assert night[k] == full[k], k
    assert (night["rows_duplicate"], night["rows_quarantined"]) == (3, 2)  # a2, a1 and n1's c1; bad1, bad2
    assert night["rows_suppressed"] == 3  # b1, m1 and d1
    inc_wh, full_wh = tmp_path / "inc" / "out" / "journeys.duckdb", tmp_path / "full" / "out" / "journeys.duckdb"
    assert table_hashes(inc_wh) == table_hashes(full_wh)
    con = duckdb.connect(str(inc_wh), read_only=True)
    sources = con.execute("select source, rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_suppressed "
                          "from run_sources where run_id = $r order by source", {"r": night["run_id"]}).fetchall()
    c1 = con.execute("select anonymous_id from events where event_id = 'c1'").fetchall()
    con.close()
    con = duckdb.connect(str(full_wh), read_only=True)
    assert sources == con.execute("select source, rows_read, rows_loaded, rows_quarantined, rows_duplicate, "
                                  "rows_suppressed from run_sources where run_id = $r order by source",
                                  {"r": full["run_id"]}).fetchall()
    con.close()
    assert c1 == [("cz",)]
