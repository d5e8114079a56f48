"""Sharded by customer ([execution] shards, docs/scale.md): the published tables are
IDENTICAL (content hash of every table, order-independent) to the unsharded run, on the
sample data and on real logs; the shard hash is stable (md5) and the same in SQL and Python."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import duckdb
import pytest

from journey_mining import pipeline, shards, tables
from journey_mining.config import (
    SourceConfig,
    SourceOptions,
    load_config,
    parse_config,
    sample_config_path,
)
from journey_mining.errors import ConfigError
from journey_mining.generate import generate
from journey_mining.inference import build_journeys
from journey_mining.ingest import SourcePlan, ingest_source, new_connection

from .helpers import REALDATA

# Columns that name the run or when it ran: different in any two runs, sharded or not.
# recorded_at (metric_history): a wall clock, like started_at
RUN_COLUMNS = {"run_id", "first_run_id", "started_at", "finished_at", "seconds", "config_path", "recorded_at"}


def content_hashes(con: duckdb.DuckDBPyConnection, skip_columns: set[str] = frozenset()) -> dict[str, tuple]:
    """Every table's row count and an order-independent hash of its rows (md5 of each row's
    text, sorted, md5 of the whole): equal hashes = equal multisets of rows."""
    out = {}
    names = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() order by 1").fetchall()]
    for name in names:
        cols = [r[0] for r in con.execute(f'describe "{name}"').fetchall() if r[0] not in skip_columns]
        row = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in cols) + "))::varchar"
        out[name] = con.execute(
            f'select count(*), md5(coalesce(string_agg(h, \'\' order by h), \'\')) '
            f'from (select md5({row}) as h from "{name}")').fetchone()
    return out


def with_execution(config, **kw):  # noqa: ANN001, ANN003, ANN201
    return dataclasses.replace(config, execution=dataclasses.replace(config.execution, **kw))


def test_shard_hash_is_md5_based_and_the_same_in_sql_and_python():
    con = duckdb.connect()
    ids = [f"u{i}" for i in range(200)] + ["anon:0a1b2c3d4e5f6a7b", "ü-ñ", ""]
    got = con.execute(
        f"select customer_id, {shards.SHARD_SQL} from unnest($ids) as t(customer_id)",
        {"ids": ids, "shards": 3}).fetchall()
    assert dict(got) == {i: shards.shard_of(i, 3) for i in ids}
    assert {s for _, s in got} == {0, 1, 2}  # every shard gets customers
    assert shards.shard_of("u1", 3) == 2  # fixed by md5: the same in every version


def test_sharded_plan_stitches_identities_before_the_shards():
    before, per_shard, after, unioned = shards.sharded_plan()
    assert {"int_identity_labels", "int_identity_clusters", "int_event_customers", "identity_links"} <= set(before)
    assert per_shard == [n for n in tables.PER_CUSTOMER if n in per_shard]
    assert set(per_shard) == set(tables.PER_CUSTOMER)
    assert after == []
    assert unioned == ["events", "sessions", "customers"]
    # with keep_intermediate every per-customer intermediate is unioned too
    assert shards.sharded_plan(keep_intermediate=True)[3] == per_shard


def test_config_shards_executor_and_errors(tmp_path):
    base = {"sources": [{"name": "web", "path": "web/*.csv"}]}
    config = parse_config({**base, "execution": {"shards": 4, "executor": "dask", "dask_address": "tcp://h:8786"}},
                          tmp_path)
    assert (config.execution.shards, config.execution.executor, config.execution.dask_address) == (4, "dask", "tcp://h:8786")
    assert parse_config(base, tmp_path).execution.shards == 1
    assert not parse_config(base, tmp_path).execution.is_sharded
    for bad in ({"shards": 0}, {"shards": "3"}, {"shards": True}, {"executor": "spark"}):
        with pytest.raises(ConfigError, match="execution"):
            parse_config({**base, "execution": bad}, tmp_path)


def run_hashes(config) -> dict[str, tuple]:  # noqa: ANN001
    result = pipeline.run_pipeline(config)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        return content_hashes(con, RUN_COLUMNS)
    finally:
        con.close()


def assert_identical_runs(config_path: Path, tmp_path: Path, min_events: int) -> None:
    unsharded = run_hashes(load_config(config_path, output_base=tmp_path / "one"))
    sharded = run_hashes(with_execution(load_config(config_path, output_base=tmp_path / "three"), shards=3))
    assert unsharded.keys() == sharded.keys()
    assert {"events", "sessions", "customers", "stage_funnel", "attribution", "pain_points"} <= unsharded.keys()
    assert unsharded["events"][0] > min_events
    # run_steps: timings of different steps (the sharded run's shards), never equal
    different = {n for n in unsharded if unsharded[n] != sharded[n]} - {"run_steps"}
    assert different == set(), different
    # the shard files are gone with the run's scratch folder
    assert not list((tmp_path / "three").rglob("shard-*.duckdb"))


@pytest.mark.slow  # two whole runs: ~15-30 s
def test_generated_run_with_3_shards_publishes_identical_tables(tmp_path):
    """The whole run (ingest to export) on a small generated data set, sharded and not."""
    generate(tmp_path / "data", customers=300, seed=5)
    assert_identical_runs(tmp_path / "data" / "journey.toml", tmp_path, 1000)


@pytest.mark.slow  # two runs over the 3,000-customer sample: ~32 s
def test_sample_run_with_3_shards_publishes_identical_tables(tmp_path):
    assert_identical_runs(sample_config_path(), tmp_path, 10_000)


def test_a_difference_in_one_row_changes_the_hash():
    con = duckdb.connect()
    con.execute("create table t as select * from (values (1, 'a'), (2, 'b')) v(x, y)")
    before = content_hashes(con)
    con.execute("update t set y = 'c' where x = 2")
    assert content_hashes(con)["t"] != before["t"]
    con.execute("create or replace table t as select * from (values (2, 'b'), (1, 'a')) v(x, y)")
    assert content_hashes(con)["t"] == before["t"]  # order-independent


@pytest.fixture(scope="module")
def taobao_events(tmp_path_factory) -> Path:
    """Taobao UserBehavior sample: 4,321 real events of 43 shoppers."""
    out = tmp_path_factory.mktemp("taobao")
    path = REALDATA / "taobao_userbehavior_sample" / "UserBehavior.csv"
    src = SourceConfig(
        "taobao", "web", "events", str(path), columns={"event_type": "behavior_type"},
        options=SourceOptions(header=False, names=("user_id", "item_id", "category_id", "behavior_type", "occurred_at"),
                              timestamp_format="epoch_s"),
    )
    assert ingest_source(SourcePlan(src, (path,)), out).rows_loaded == 4321
    return out / "events.parquet"


def build_hashes(events: Path, config, tmp: Path) -> dict[str, tuple]:  # noqa: ANN001
    con = new_connection()
    con.execute("create table stg_events as select * from read_parquet($p)", {"p": str(events)})
    build_journeys(con, config, shard_dir=tmp / "shards")
    con.execute("drop table stg_events")
    return content_hashes(con)


def test_real_taobao_events_with_3_shards_give_identical_tables(taobao_events, tmp_path):
    rules = [
        {"stage": "retention", "event_type": "buy", "after": "purchase"},
        {"stage": "purchase", "event_type": "buy"},
        {"stage": "decision", "event_type": ["cart", "fav"]},
        {"stage": "consideration", "event_type": "pv", "after": "awareness"},
    ]
    config = parse_config({"sources": [{"name": "taobao", "path": "x"}], "stages": {"rules": rules},
                           "metrics": {"min_touchpoint_volume": 1}}, Path("."))
    unsharded = build_hashes(taobao_events, config, tmp_path / "one")
    sharded = build_hashes(taobao_events, with_execution(config, shards=3), tmp_path / "three")
    assert unsharded["events"][0] == 4321 and unsharded["customers"][0] == 43
    assert {"stage_funnel", "stage_transitions", "journey_variants", "attribution"} <= unsharded.keys()
    assert unsharded.keys() == sharded.keys()
    different = {n for n in unsharded if unsharded[n] != sharded[n]}
    assert different == set(), different


@pytest.mark.slow  # a 2-worker LocalCluster and one temporary Prefect API server: ~1-2 min under load
def test_dask_local_cluster_gives_the_same_tables_as_the_local_run(taobao_events, tmp_path, monkeypatch):
    pytest.importorskip("prefect_dask")
    from distributed import LocalCluster

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    config = parse_config({"sources": [{"name": "taobao", "path": "x"}],
                           "stages": {"rules": [{"stage": "purchase", "event_type": "buy"},
                                                {"stage": "decision", "event_type": ["cart", "fav"]}]}}, Path("."))
    local = build_hashes(taobao_events, with_execution(config, shards=3), tmp_path / "local")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ran_on: list[str] = []
        import journey_mining.flows.dask_shards as dask_shards

        real = dask_shards.run_shards_on_dask

        def spy(tasks, address):  # noqa: ANN001, ANN202
            results = real(tasks, address)
            ran_on.extend(r.process for r in results)
            return results

        monkeypatch.setattr(dask_shards, "run_shards_on_dask", spy)
        on_dask = build_hashes(taobao_events, with_execution(config, shards=3, executor="dask",
                                                             dask_address=cluster.scheduler_address), tmp_path / "dask")
    # the 3 shards were built in the workers' processes, not in this one
    assert len(ran_on) == 3 and not any(p.endswith(f":{os.getpid()}") for p in ran_on)
    assert local["events"][0] == 4321
    assert local == on_dask
    assert local == build_hashes(taobao_events, config, tmp_path / "unsharded")
