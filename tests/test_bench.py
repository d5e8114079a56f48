"""The benchmark harness (benchmarks/bench.py) on a tiny size, without the peers' virtualenv:
it generates data into a cache, runs `journey run --no-prefect`, the DuckDB floor and pandas
in subprocesses, checks the transition counts and writes the results file. The real
benchmark (`make bench`) is not part of the suite; this keeps its code from rotting."""

from __future__ import annotations

import doctest
import json
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from .helpers import BENCHMARKS, load_script

BENCH_PY = BENCHMARKS / "bench.py"


@pytest.fixture(scope="module")
def bench():
    return load_script(BENCH_PY, "journey_bench")


def test_doctests(bench):
    """measure() sees a 200 MB allocation in a child; parse_steps, compare_pairs, the cache key."""
    result = doctest.testmod(bench)
    assert result.attempted >= 8 and result.failed == 0


def test_tiny_run_end_to_end(bench, tmp_path):
    result = bench.bench("tiny", peers=False, cache=tmp_path / "cache", results_dir=tmp_path / "results")
    ours = result["systems"]["journey_mining"]
    assert "error" not in ours, ours
    assert ours["events"] > 3000 and ours["events_per_s"] > 0 and ours["peak_rss_mb"] > 50
    assert ours["events_basis"] == "the warehouse's `events` (web + email + support)"
    steps = ours["steps"]  # parsed from journey run's progress lines on stderr
    assert steps[0]["step"].startswith("startup") and steps[-1]["step"].startswith("finish")
    web = [s for s in steps if "web" in s["step"]]
    assert web and web[0]["reported_s"] is not None and "x_floor" in web[0]
    assert abs(sum(s["elapsed_s"] for s in steps) - ours["wall_s"]) < 0.5
    # the pipeline's directly-follows counts equal the floor method's on the same events
    assert result["check"]["equal"] is True and result["check"]["pairs"] > 1000
    floor, pandas = result["systems"]["duckdb_floor"], result["systems"]["pandas"]
    assert "error" not in floor and "error" not in pandas
    assert floor["events"] == pandas["events"] > 0  # the same web events Parquet
    assert pandas["pairs_equal_floor"] is True and pandas["ratio"]["wall_x"] > 0
    assert "retentioneering" not in result["systems"] and "pm4py" not in result["systems"]
    written = json.loads(Path(result["written_to"]).read_text())
    assert written["tiny"]["check"]["equal"] is True
    # the run left its warehouse nowhere but a removed work folder; the data stays cached
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [Path(result["data"]["folder"]).name]
    # --sources web: the pipeline reads only the web Parquet the baselines read
    data = Path(result["data"]["folder"])
    config, timeout = bench.run_config(data, tmp_path / "web-only", "web")
    text = config.read_text()
    assert timeout == 30 and text.count("[[sources]]") == 1
    assert f'path = "{data}/web/*.parquet"' in text and 'path = "out/journeys.duckdb"' in text
    again = bench.ensure_data("tiny", bench.SIZES["tiny"], 7, tmp_path / "cache")
    assert again["cached"] is True and again["folder"] == result["data"]["folder"]
    assert again["generate_s"] == result["data"]["generate_s"]
    # the content hash of every published table is in the results (benchmarks/table_hashes.py)
    hashes = ours["table_hashes"]
    assert hashes["events"][0] == ours["events"] and hashes["sessions"][0] == ours["sessions"]
    assert "run_steps" not in hashes and "runs" in hashes
    assert {r["step"] for r in ours["run_steps"]} >= {"ingest", "load", "build", "export"}
    # --memory-limit: the run's [execution] memory_limit
    config, _ = bench.run_config(data, tmp_path / "bounded", "all", "700MB")
    assert tomllib.loads(config.read_text())["execution"] == {"memory_limit": "700MB"}


def _warehouse(path: Path, boundary_gap_minutes: int) -> Path:
    """Two customers; c1's events 30 minutes apart (one session: the gap is not > 30) then a
    31-minute gap (a new session). session_id starts a session at gaps >= boundary_gap_minutes."""
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("""
        create table events as
        select * from (values
            ('c1', 'web', 'e1', 'page_view',   timestamptz '2026-09-01 10:00:00+00'),
            ('c1', 'web', 'e2', 'add_to_cart', timestamptz '2026-09-01 10:30:00+00'),
            ('c1', 'web', 'e3', 'purchase',    timestamptz '2026-09-01 11:01:00+00'),
            ('c1', 'email', 'e0', 'email_open', timestamptz '2026-09-01 11:02:00+00'),
            ('c2', 'web', 'e4', 'page_view',   timestamptz '2026-09-01 10:00:00+00'),
            ('c2', 'email', 'e5', 'email_open', timestamptz '2026-09-01 10:00:00+00')
        ) t(customer_id, source, event_id, event_type, occurred_at)
    """)
    con.execute("""
        create or replace table events as
        select *, customer_id || '-' || sum(is_start::int) over (
            partition by customer_id order by occurred_at, source, event_id) as session_id
        from (
            select *, coalesce(occurred_at - lag(occurred_at) over (
                partition by customer_id order by occurred_at, source, event_id)
                >= to_minutes($gap), true) as is_start
            from events
        )
    """, {"gap": boundary_gap_minutes})
    con.close()
    return path


def test_check_counts_pairs_in_contract_order(bench, tmp_path):
    ours, floor = bench.transition_counts(_warehouse(tmp_path / "ok.duckdb", 31), 30)
    # c1: page_view -> add_to_cart (30 min: same session), then purchase -> email_open;
    # c2: two events in the same second, ordered by source: email before web
    assert ours == floor == {"page_view\tadd_to_cart": 1, "email_open\tpage_view": 1,
                             "purchase\temail_open": 1}
    assert bench.check_transitions(tmp_path / "ok.duckdb", 30)["equal"] is True


def test_check_fails_when_sessions_differ(bench, tmp_path):
    """A pipeline that split sessions at a gap of exactly the timeout is caught."""
    check = bench.check_transitions(_warehouse(tmp_path / "bad.duckdb", 30), 30)
    assert check["equal"] is False
    assert check["differences"] == [["page_view\tadd_to_cart", 0, 1]]


def test_a_small_child_of_a_large_bench_is_measured_small(bench):
    """Linux folds a forked child's inherited RSS into its ru_maxrss: the 10M incremental bench
    (its night split holds the events in memory) reported the same 5,251 MB for all three runs.
    A 600 MB parent measuring a child that allocates nothing must see the child's size."""
    ballast = bytearray(600 * 2**20)
    ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touch every page: resident
    m = bench.measure([sys.executable, "-c", "import time; time.sleep(0.5); print('ok')"])
    del ballast
    assert m["returncode"] == 0 and m["stdout"].strip() == "ok"
    assert 0 < m["peak_rss_mb"] < 300, m["peak_rss_mb"]
