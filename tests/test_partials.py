"""Stored per-customer partials (journey_mining.tables.STORED_PARTIALS, issues 10 and 11): the
metrics stages split into a map (the partials, kept in the warehouse) and a reduce (the marts,
from the partials), and an incremental night rebuilds the map for the affected customers only
and replaces their rows (journey_mining.incremental.build_stage_incremental)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from journey_mining import incremental, tables
from journey_mining.tables import STORED_PARTIALS, TABLES, partial_plan

from .incremental_data import table_hashes, write_csv
from .test_incremental_cost import _run, _two_nights

MAP_INPUTS = set(incremental.PARTIAL_INPUTS)


def test_the_plan_splits_each_stage_into_a_per_customer_map_and_a_reduce_over_partials():
    """What makes an incremental map exact and its reduce cheap: the map reads only the
    journey tables of one customer (events / sessions / customers), cfg_* rules and its own
    tables; the reduce reads no event- or session-level table and no temporary of the map."""
    assert all(t.startswith("partial_") for t in STORED_PARTIALS)
    assert set(STORED_PARTIALS) <= set(TABLES) and not any(TABLES[t].temporary for t in STORED_PARTIALS)
    for stage in tables.BUILD_STAGES[1:]:
        mapped, reduce = partial_plan(stage)
        order = [t.name for t in tables.build_order(stage)]
        assert sorted(mapped + reduce) == sorted(order) and mapped == [t for t in order if t in mapped]
        for name in mapped:
            t = TABLES[name]
            assert name in STORED_PARTIALS or t.temporary or name.startswith("cfg_"), name  # cfg_*: from the config
            assert all(d in MAP_INPUTS or d.startswith("cfg_") or d in mapped for d in t.depends_on), (name, t.depends_on)
        for name in reduce if mapped else ():  # a stage without partials is built whole, every night
            reads = set(TABLES[name].depends_on)
            assert not reads & {"events", "sessions"}, name
            assert not {d for d in reads if d in mapped and TABLES[d].temporary}, name
    assert set(partial_plan("paths")[0]) >= {"partial_path_runs", "partial_path_customers"}


def _partials(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f'select * from "{t}" order by all').fetchall() for t in STORED_PARTIALS}
    finally:
        con.close()


def test_an_incremental_night_replaces_the_affected_customers_partial_rows(tmp_path, monkeypatch):
    """Night 2 builds the map on the affected customers' rows only (fewer customers than the
    warehouse holds), every stored partial then equals a --full-refresh rebuild's (so the
    affected customers' old rows are gone and their new rows are in: stale, doubled or missing
    rows would differ), and the night did change the partials."""
    cfg, data = _two_nights(tmp_path)
    _run(cfg, tmp_path / "inc")
    published = tmp_path / "inc" / "out" / "journeys.duckdb"
    night1 = _partials(published)
    mapped: list[tuple[str, int, int]] = []  # (stage, customers in the map's events, in the merged events)
    real = tables.build_tables

    def spy(con, config, stage, params, **kw):  # noqa: ANN001, ANN003, ANN202
        if kw.get("partials_temp"):
            db = con.execute("select current_database()").fetchone()[0]
            mapped.append((stage, con.execute("select count(distinct customer_id) from events").fetchone()[0],
                           con.execute(f'select count(distinct customer_id) from "{db}".main.events').fetchone()[0]))
        return real(con, config, stage, params, **kw)

    monkeypatch.setattr(tables, "build_tables", spy)
    web, mail = data.night(2)
    write_csv(cfg.parent / "web" / "n2.csv", web)
    write_csv(cfg.parent / "mail" / "n2.csv", mail)
    second = _run(cfg, tmp_path / "inc")
    monkeypatch.undo()
    _run(cfg, tmp_path / "full", full=True)
    assert second["refresh"] == "incremental"
    assert "paths" in [s for s, _, _ in mapped]
    for _stage, some, every in mapped:
        assert 0 < some <= second["customers_rebuilt"] < every
    full = tmp_path / "full" / "out" / "journeys.duckdb"
    night2, rebuilt = _partials(published), _partials(full)
    for t in STORED_PARTIALS:
        assert night2[t] == rebuilt[t], t
        assert night2[t] != night1[t] or not night1[t], t  # the night changed it (a kept stale row would show); some partials are empty on this data
    assert table_hashes(published) == table_hashes(full)
