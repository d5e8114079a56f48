"""The whole pipeline as plain functions; the Prefect flow in ``flows/`` calls these.

    ingest (per source, independent) -> build warehouse (stage tables, inference, marts,
    history) -> publish (atomic swap) -> export (Parquet, swapped folder)

    >>> from journey_mining.config import load_config, sample_config_path
    >>> run = prepare_run(load_config(sample_config_path()))
    >>> run.run_id[:2] == "r2"
    True
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import warehouse as wh
from .config import Config
from .export import export_parquet
from .ingest import SourceCounts, SourcePlan, ingest_source, plan_sources

Progress = Callable[[str], None]

__all__ = ["RunContext", "RunResult", "prepare_run", "ingest_all", "build_warehouse", "run_pipeline", "file_fingerprints"]


@dataclass
class RunContext:
    config: Config
    run_id: str
    started_at: datetime
    plans: list[SourcePlan]
    scratch: Path

    @property
    def config_path(self) -> str | None:
        return str(self.config.path) if self.config.path else None


@dataclass
class RunResult:
    run_id: str
    warehouse: Path
    parquet_dir: Path
    counts: list[SourceCounts]
    summary: dict = field(default_factory=dict)


def new_run_id(now: datetime) -> str:
    return "r" + now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def prepare_run(config: Config) -> RunContext:
    """Validate everything that can be checked before writing: every source has files and a
    reader. Raises :class:`~journey_mining.errors.JourneyError` with one clear line."""
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    plans = plan_sources(config)
    scratch = config.warehouse_path.parent / f".scratch-{run_id}"
    return RunContext(config, run_id, now, plans, scratch)


def stderr_progress(msg: str) -> None:
    """The default progress reporter: one indented line on stderr (stdout stays for results)."""
    # sys.stderr.write, not print: a Prefect flow with log_prints turns prints into logs
    sys.stderr.write(f"  {msg}\n")
    sys.stderr.flush()


def ingest_one(ctx: RunContext, plan: SourcePlan, progress: Progress | None = None) -> SourceCounts:
    counts = ingest_source(plan, ctx.scratch / _safe(plan.source.name))
    if progress:
        progress(
            f"ingested {counts.source} ({counts.files} file(s), {counts.seconds:.1f} s): "
            f"{counts.rows_read:,} rows read = {counts.rows_loaded:,} loaded + "
            f"{counts.rows_quarantined:,} quarantined + {counts.rows_duplicate:,} duplicate"
        )
    return counts


def ingest_all(ctx: RunContext, progress: Progress | None = None) -> list[SourceCounts]:
    return [ingest_one(ctx, plan, progress) for plan in ctx.plans]


def file_fingerprints(plans: list[SourcePlan]) -> list[dict]:
    """Size, mtime and sha256 of every input file (the manifest of what a run read)."""
    rows = []
    for plan in plans:
        for f in plan.files:
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            st = f.stat()
            rows.append(
                {
                    "source": plan.source.name,
                    "file": str(f),
                    "bytes": st.st_size,
                    "modified_at": datetime.fromtimestamp(st.st_mtime, UTC),
                    "sha256": h.hexdigest(),
                }
            )
    return rows


def build_warehouse(ctx: RunContext, counts: list[SourceCounts], progress: Progress | None = None) -> dict:
    """Build the complete warehouse in a side file and publish it; returns this run's row
    of the ``runs`` table."""
    from .inference import build_journeys  # heavy SQL lives there

    config = ctx.config
    con, build = wh.open_build(config.warehouse_path, ctx.run_id)
    try:
        event_sources = [_safe(s.name) for s in config.event_sources]
        profile_sources = [_safe(s.name) for s in config.profile_sources]
        wh.load_staged(con, ctx.scratch, event_sources, profile_sources)
        started = time.perf_counter()
        build_journeys(con, config)
        if progress:
            progress(f"built customers, sessions and stages ({time.perf_counter() - started:.1f} s)")
        wh.carry_history(con, config.warehouse_path, ctx.run_id, file_fingerprints(ctx.plans))
        for t in ("stg_events", "stg_profiles", "stg_quarantine"):
            con.execute(f"drop table if exists {t}")
        run = wh.record_run(con, ctx.run_id, ctx.started_at, datetime.now(UTC), counts, ctx.config_path)
        wh.publish(con, build, config.warehouse_path)
        if progress:
            progress(f"published {config.warehouse_path}")
    except BaseException:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - already failing; the original error matters
            pass
        build.unlink(missing_ok=True)
        build.with_name(build.name + ".wal").unlink(missing_ok=True)
        raise
    return run


def cleanup(ctx: RunContext) -> None:
    shutil.rmtree(ctx.scratch, ignore_errors=True)


def record_failure(ctx: RunContext, error: BaseException) -> None:
    wh.append_failed_run(
        ctx.config.warehouse_path, ctx.run_id, ctx.started_at, datetime.now(UTC), ctx.config_path,
        f"{type(error).__name__}: {error}",
    )


def summarize(ctx: RunContext, run: dict) -> dict:
    """What `journey run` prints: this run's ``runs`` row and where the outputs are."""
    return {
        **{k: run[k] for k in ("run_id", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate",
                               "events", "customers", "sessions")},
        "warehouse": str(ctx.config.warehouse_path),
        "parquet_dir": str(ctx.config.parquet_dir),
    }


def run_pipeline(config: Config, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run everything once, without Prefect (the flow does the same with tasks)."""
    ctx = prepare_run(config)
    try:
        counts = ingest_all(ctx, progress)
        run = build_warehouse(ctx, counts, progress)
        export_parquet(config.warehouse_path, config.parquet_dir)
        if progress:
            progress(f"exported Parquet to {config.parquet_dir}")
    except BaseException as e:
        record_failure(ctx, e)
        raise
    finally:
        cleanup(ctx)
    return RunResult(ctx.run_id, config.warehouse_path, config.parquet_dir, counts, summarize(ctx, run))


def _safe(name: str) -> str:
    """A folder name for a source (names are free text in the config)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return f"{keep}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
