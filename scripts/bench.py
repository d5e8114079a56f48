"""`make bench`: how the pipeline's steps scale, as ratios against a baseline of the same run.

Baseline: DuckDB loading the same generated web events into a table with no logic
(``create table as select * from read_parquet(...)``). Each step is reported in seconds and
as a multiple of that baseline, measured on this machine in this run, so the ratios travel
between machines better than the seconds do.

    .venv/bin/python scripts/bench.py [--customers 20000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from journey_mining.config import load_config, parse_config, sample_config_path
from journey_mining.generate import generate
from journey_mining.inference import build_journeys
from journey_mining.ingest import SourcePlan, ingest_source, new_connection


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls; returns (seconds, last result)."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=20000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default="out/bench/bench.json")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="journey-bench-"))
    try:
        t_gen = time.perf_counter()
        generate(work / "data", customers=args.customers, seed=args.seed, fmt="bench")
        gen_s = time.perf_counter() - t_gen
        files = sorted((work / "data" / "web").glob("*.parquet"))
        sample = load_config(sample_config_path())
        cfg = parse_config(
            {"sources": [{"name": "web", "channel": "web", "path": str(work / "data" / "web" / "*.parquet")}]},
            work,
        )
        cfg = dataclasses.replace(cfg, stages=sample.stages, touchpoint_rules=sample.touchpoint_rules)
        plan = SourcePlan(cfg.sources[0], tuple(files))

        def baseline():
            con = new_connection()
            con.execute("create table t as select * from read_parquet($f)", {"f": [str(f) for f in files]})
            n = con.sql("select count(*) from t").fetchall()[0][0]
            con.close()
            return n

        base_s, n_events = timed(baseline, args.repeat)
        ingest_s, counts = timed(lambda: ingest_source(plan, work / "scratch"), args.repeat)

        def inference():
            con = new_connection()
            con.execute("create table stg_events as select * from read_parquet($f)", {"f": str(work / "scratch" / "events.parquet")})
            t = time.perf_counter()
            build_journeys(con, cfg)
            s = time.perf_counter() - t
            customers = con.sql("select count(*) from customers").fetchall()[0][0]
            con.close()
            return s, customers

        infer_times = [inference() for _ in range(args.repeat)]
        infer_s = statistics.median(t for t, _ in infer_times)
        customers = infer_times[-1][1]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("baseline: DuckDB load of the raw events", base_s),
        ("ingest: read + validate + ids + dedupe + Parquet", ingest_s),
        ("inference: identity + sessions + stages + marts", infer_s),
    ]
    print(f"{n_events:,} events, {customers:,} customers (generated in {gen_s:.1f} s); median of {args.repeat}")
    print(f"{'step':52} {'seconds':>8} {'x baseline':>11} {'events/s':>11}")
    for name, s in rows:
        print(f"{name:52} {s:8.2f} {s / base_s:11.1f} {n_events / s:11,.0f}")
    result = {
        "events": n_events,
        "customers": customers,
        "rows_loaded": counts.rows_loaded,
        "repeat": args.repeat,
        "steps": {name: {"seconds": round(s, 3), "ratio_to_baseline": round(s / base_s, 2)} for name, s in rows},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
