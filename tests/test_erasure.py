"""Erasure and privacy (journey_mining.erasure, docs/privacy.md): `journey forget` removes a
person (their whole stitched cluster) from every table, every Parquet file and the report,
later runs keep them out although the inputs still hold them (counted: rows read = loaded +
quarantined + duplicate + suppressed), nobody else's rows change, the audit keeps no
identifier; `[export] pseudonymize` replaces identifiers in the Parquet output by a keyed
hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from journey_mining import cli, pipeline
from journey_mining.config import load_config, sample_config_path
from journey_mining.erasure import forget, identifier_hash, key_path, load_key, pending_path
from journey_mining.errors import ConfigError
from journey_mining.tables import STORED_PARTIALS

from .test_report import CONFIG, CRM, WEB

PERSON_TABLES = ("events", "sessions", "customers", *STORED_PARTIALS)  # partials: per customer too


def _q(path: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def person(warehouse: Path, customer_id: str) -> set[str]:
    rows = _q(warehouse, "select distinct unnest([user_id, anonymous_id, email]) from events where customer_id = $c",
              {"c": customer_id})
    return {r[0] for r in rows if r[0] is not None}


def others(warehouse: Path, customers: set[str]) -> dict[str, tuple]:
    """A hash of every row of every other customer, per person-level table."""
    out = {}
    for t in PERSON_TABLES:
        out[t] = _q(warehouse, f"select count(*), md5(string_agg(x, ',' order by x)) from (select {t}::varchar as x "
                    f"from {t} where customer_id not in (select unnest($c)))", {"c": sorted(customers)})[0]
    return out


def hits_in_warehouse(warehouse: Path, ids: set[str]) -> dict[str, int]:
    """Rows of every table whose text (all columns) contains any of ``ids``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where not temporary").fetchall()]
        out = {}
        for t in tables:
            n = con.execute(f'select count(*) from "{t}" x where exists (select 1 from (select unnest($ids)) i(v) '
                            f'where contains(x::varchar, v))', {"ids": sorted(ids)}).fetchall()[0][0]
            if n:
                out[t] = n
        return out
    finally:
        con.close()


def hits_in_files(folder: Path, ids: set[str]) -> dict[str, int]:
    """Rows of every Parquet file (and lines of every other file) under ``folder`` holding
    any of ``ids``."""
    con = duckdb.connect()
    out = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".parquet":
            n = con.execute("select count(*) from read_parquet($p) x where exists (select 1 from (select unnest($ids)) "
                            "i(v) where contains(x::varchar, v))", {"p": str(f), "ids": sorted(ids)}).fetchall()[0][0]
        else:
            text = f.read_text(encoding="utf-8", errors="replace")
            n = sum(text.count(i) for i in ids)
        if n:
            out[str(f.relative_to(folder))] = n
    return out


def balanced(warehouse: Path, run_id: str) -> list[tuple]:
    """(source, rows read, loaded + quarantined + duplicate, suppressed): CONTRACT.md's balance
    read = loaded + quarantined + duplicate holds with erased people's rows counted apart."""
    return _q(warehouse, "select source, rows_read, rows_loaded + rows_quarantined + rows_duplicate, "
              "rows_suppressed from run_sources where run_id = $r order by source", {"r": run_id})


# --------------------------------------------------------------------------- tiny project (fast)


@pytest.fixture()
def tiny(tmp_path) -> dict:
    (tmp_path / "web").mkdir()
    # u2 also has a row quarantined (bad timestamp) and a profile row
    (tmp_path / "web" / "a.csv").write_text(WEB + "u2,page_view,not-a-time,https://x.test/,,\n")
    (tmp_path / "crm.csv").write_text(CRM)
    (tmp_path / "journey.toml").write_text(CONFIG)
    config = load_config(tmp_path / "journey.toml")
    first = pipeline.run_pipeline(config)
    return {"config": config, "root": tmp_path, "first": first.run_id}


def test_forget_in_a_tiny_project_quarantined_and_profile_rows_included(tiny):
    cfg = tiny["config"]
    wh = cfg.warehouse_path
    assert _q(wh, "select count(*) from quarantine where raw like 'u2,%'")[0][0] == 1
    before = others(wh, {"u2"})
    in_partials = {t: _q(wh, f"select count(*) from {t} where customer_id = 'u2'")[0][0] for t in STORED_PARTIALS}
    # u2 has rows in every stored partial but two: it has no emotion signal and no conversion
    # (partial_emotion_signals, partial_attribution_credits) ...
    assert {t for t, n in in_partials.items() if not n} == {"partial_emotion_signals", "partial_attribution_credits"}
    result = forget(cfg, "u2")
    assert result["customers"] == 1 and result["identifiers"] == 1
    assert result["rows_removed"]["events"] == 4 and result["rows_removed"]["quarantine"] == 1
    assert {t: result["rows_removed"][t] for t in STORED_PARTIALS} == in_partials
    for t in STORED_PARTIALS:  # ... and none after
        assert _q(wh, f"select count(*) from {t} where customer_id = 'u2'")[0][0] == 0, t
    assert hits_in_warehouse(wh, {"u2"}) == {}
    assert hits_in_files(cfg.parquet_dir, {"u2"}) == {}
    assert others(wh, {"u2"}) == before  # nobody else's rows changed
    run_id = result["run_id"]
    # web: 4 events + 1 quarantined row of u2; crm: its profile row. The files hold 4 and 20
    # rows; u2's are not counted as read
    assert [(s, r, t, n) for s, r, t, n in balanced(wh, run_id)] == [
        ("crm", 3, 3, 1), ("web", 15, 15, 5)]
    assert not pending_path(wh).exists()
    # the audit: when, the identifier's keyed hash, rows per table; never the identifier
    (erasure,) = _q(wh, "select erasure_id, identifier_hash, identifiers, run_id, rows_removed from erasures")
    assert erasure[1] == identifier_hash(load_key(wh), "u2") and erasure[3] == run_id
    assert json.loads(erasure[4])["events"] == 4
    assert _q(wh, "select count(*) from suppressions")[0][0] == 1
    # a later run: the input still holds u2; they stay out
    later = pipeline.run_pipeline(cfg)
    assert hits_in_warehouse(wh, {"u2"}) == {} and hits_in_files(cfg.parquet_dir, {"u2"}) == {}
    assert balanced(wh, later.run_id) == balanced(wh, run_id)
    assert others(wh, {"u2"}) == before


def test_forget_cli_and_errors(tiny, capsys):
    cfg_path = str(tiny["root"] / "journey.toml")
    assert cli.main(["forget", "u4", "--config", cfg_path, "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["rows_removed"]["customers"] == 1 and "u4" not in json.dumps(rec)
    assert cli.main(["forget", "  ", "--config", cfg_path]) == 2
    assert "give a user_id" in capsys.readouterr().err
    # a suppression list without its key cannot be matched: fail closed, one line
    key_path(tiny["config"].warehouse_path).unlink()
    with pytest.raises(ConfigError, match="erasure key"):
        pipeline.run_pipeline(tiny["config"])


def test_forget_someone_not_in_the_data_keeps_them_out_later(tiny):
    cfg = tiny["config"]
    result = forget(cfg, "newcomer@example.com")
    assert result["customers"] == 0 and sum(result["rows_removed"].values()) == 0
    (tiny["root"] / "web" / "b.csv").write_text(
        "user_id,event_type,occurred_at,url,email\nu9,page_view,2026-01-06T09:00:00Z,https://x.test/,Newcomer@Example.com\n")
    later = pipeline.run_pipeline(cfg)
    assert hits_in_warehouse(cfg.warehouse_path, {"newcomer@example.com", "u9"}) == {}
    assert dict((s, n) for s, _r, _t, n in balanced(cfg.warehouse_path, later.run_id))["web"] == 1


def test_pseudonymized_export(tiny, monkeypatch):
    cfg = dataclasses.replace(tiny["config"], pseudonymize=True)
    monkeypatch.delenv("JOURNEY_PSEUDONYMIZE_KEY", raising=False)
    with pytest.raises(ConfigError, match="JOURNEY_PSEUDONYMIZE_KEY"):
        pipeline.run_pipeline(cfg)
    monkeypatch.setenv("JOURNEY_PSEUDONYMIZE_KEY", "s3cret")
    pipeline.run_pipeline(cfg)
    pq = cfg.parquet_dir
    users = {"u1", "u2", "u3", "u4"}
    assert hits_in_files(pq / "events", users) == {} and hits_in_files(pq / "customers", users) == {}
    assert hits_in_files(pq / "quarantine", {"u5"}) == {}
    expected = hashlib.sha256(b"s3cretu1").hexdigest()
    con = duckdb.connect()
    got = con.execute("select distinct user_id, customer_id from read_parquet($p) where user_id = $h",
                      {"p": str(pq / "events" / "**" / "*.parquet"), "h": expected}).fetchall()
    assert got == [(expected, expected)]  # the same keyed hash everywhere: joins still work
    # the warehouse keeps the identifiers (the option is about the export)
    assert _q(cfg.warehouse_path, "select count(*) from events where user_id = 'u1'")[0][0] == 5


# --------------------------------------------------------------------------- the sample (slow)


@pytest.mark.slow
def test_forget_a_person_in_the_sample(tmp_path):
    cfg = load_config(sample_config_path(), output_base=tmp_path)
    pipeline.run_pipeline(cfg)
    wh = cfg.warehouse_path
    # a customer with a user_id, an anonymous_id and an email, in no ambiguous cluster
    (customer,) = _q(wh, """
        select c.customer_id from customers c
        where c.user_id is not null and c.identifiers >= 3 and not exists (
            select 1 from identity_links l where l.customer_id = c.customer_id and l.is_ambiguous)
        order by c.events desc, c.customer_id limit 1""")[0:1]
    customer = customer[0]
    ids = person(wh, customer)
    email = next(i for i in ids if "@" in i)
    assert len(ids) >= 3 and hits_in_warehouse(wh, ids)
    before = others(wh, {customer})
    result = forget(cfg, email.upper())  # by email, any case: the whole cluster goes
    assert result["customers"] == 1 and result["identifiers"] >= len(ids)
    assert hits_in_warehouse(wh, ids) == {}
    assert hits_in_files(cfg.parquet_dir, ids) == {}
    report = cfg.report_path.read_text(encoding="utf-8")
    assert not any(i in report for i in ids)
    assert others(wh, {customer}) == before
    for _source, read, accounted, _n in balanced(wh, result["run_id"]):
        assert read == accounted
    later = pipeline.run_pipeline(cfg)
    assert hits_in_warehouse(wh, ids) == {} and hits_in_files(cfg.parquet_dir, ids) == {}
    assert sum(n for *_, n in balanced(wh, later.run_id)) == sum(n for *_, n in balanced(wh, result["run_id"])) > 0
    assert others(wh, {customer}) == before
