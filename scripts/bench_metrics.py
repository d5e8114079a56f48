"""What the path metrics cost: ``build_journeys`` with and without ``build_path_metrics``
on the same staged events (issue 8: at most +25% at 1M events).

    .venv/bin/journey generate --customers 50000 --format bench --out /tmp/c-bench
    .venv/bin/python scripts/bench_metrics.py /tmp/c-bench/journey.toml [--repeat 3]

Ingests every source of the config once into a scratch folder, then for each repeat loads
the staged tables into a fresh in-memory DuckDB and times ``build_journeys`` without the
path metrics (``build_path_metrics`` replaced by a no-op) and, on another fresh connection,
with them (as ``journey run`` does). Reports wall and CPU time (process_time, all threads:
steadier than wall time when other work shares the machine).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from journey_mining import inference
from journey_mining import warehouse as wh
from journey_mining.config import load_config
from journey_mining.ingest import ingest_source, new_connection, plan_sources
from journey_mining.metrics.paths import build_path_metrics
from journey_mining.pipeline import _safe


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    config = load_config(Path(args.config))
    scratch = Path(tempfile.mkdtemp(prefix="journey-bench-metrics-"))
    t = time.perf_counter()
    for plan in plan_sources(config):
        ingest_source(plan, scratch / _safe(plan.source.name))
    ingest_s = time.perf_counter() - t
    times: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeat):
        for with_metrics in (False, True):
            inference.build_path_metrics = build_path_metrics if with_metrics else _skip
            con = new_connection()
            wh.load_staged(con, scratch, [_safe(s.name) for s in config.event_sources],
                           [_safe(s.name) for s in config.profile_sources])
            t, c = time.perf_counter(), time.process_time()
            inference.build_journeys(con, config)
            times[with_metrics].append(time.perf_counter() - t)
            cpu[with_metrics].append(time.process_time() - c)
            events = con.execute("select count(*) from events").fetchone()[0]
            con.close()
    inference.build_path_metrics = build_path_metrics
    shutil.rmtree(scratch, ignore_errors=True)
    without, with_ = statistics.median(times[False]), statistics.median(times[True])
    print(f"{events:,} events; median of {args.repeat}: {times}")
    print(f"build_journeys without path metrics: {without:.2f} s")
    print(f"build_journeys with path metrics:    {with_:.2f} s (+{100 * (with_ - without) / without:.1f}%)")
    cpu_without, cpu_with = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(f"CPU seconds (all threads; steadier on a shared machine): {cpu_without:.2f} -> {cpu_with:.2f}"
          f" (+{100 * (cpu_with - cpu_without) / cpu_without:.1f}%)")
    print(f"ingest (once): {ingest_s:.2f} s; ingest + build_journeys: +{100 * (with_ - without) / (ingest_s + without):.1f}%")


def _skip(con, config, **kwargs) -> None:
    return None


if __name__ == "__main__":
    main()
