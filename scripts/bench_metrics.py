"""What the path metrics cost: ``build_journeys`` with and without ``build_path_metrics``
on the same staged events (issue 8: at most +25% at 1M events).

    .venv/bin/journey generate --customers 50000 --format bench --out /tmp/c-bench
    .venv/bin/python scripts/bench_metrics.py /tmp/c-bench/journey.toml [--repeat 3]

Ingests every source of the config once into a scratch folder, then for each repeat loads
the staged tables into a fresh in-memory DuckDB and times ``build_journeys`` without the
path metrics (``build_path_metrics`` replaced by a no-op) and, on another fresh connection,
with them (as ``journey run`` does).
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
    for plan in plan_sources(config):
        ingest_source(plan, scratch / _safe(plan.source.name))
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeat):
        for with_metrics in (False, True):
            inference.build_path_metrics = build_path_metrics if with_metrics else _skip
            con = new_connection()
            wh.load_staged(con, scratch, [_safe(s.name) for s in config.event_sources],
                           [_safe(s.name) for s in config.profile_sources])
            t = time.perf_counter()
            inference.build_journeys(con, config)
            times[with_metrics].append(time.perf_counter() - t)
            events = con.execute("select count(*) from events").fetchone()[0]
            con.close()
    inference.build_path_metrics = build_path_metrics
    shutil.rmtree(scratch, ignore_errors=True)
    without, with_ = statistics.median(times[False]), statistics.median(times[True])
    print(f"{events:,} events; median of {args.repeat}: {times}")
    print(f"build_journeys without path metrics: {without:.2f} s")
    print(f"build_journeys with path metrics:    {with_:.2f} s (+{100 * (with_ - without) / without:.1f}%)")


def _skip(con, config, **kwargs) -> None:
    return None


if __name__ == "__main__":
    main()
