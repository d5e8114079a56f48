"""The whole pipeline as plain functions; the Prefect flow in ``flows/`` calls these.

    prepare (validate everything, write nothing) -> begin (run lock, clean leftovers,
    journal) -> ingest (per source, independent) -> build warehouse (stage tables,
    inference, marts, history; sealed side file) -> export (Parquet from the side file, temp
    folder) -> publish (atomic swap of the warehouse, then of the export folder)

A failed export therefore publishes nothing; see docs/reliability.md.

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

from . import ingest, outputs
from . import warehouse as wh
from .config import TEMP_DIRECTORY_NAME, Config
from .export import export_tmp_path, swap_export, write_export
from .ingest import SourceCounts, SourcePlan, ingest_source, plan_sources
from .table_docs import apply_comments

Progress = Callable[[str], None]

__all__ = [
    "RunContext", "RunResult", "preflight", "prepare_run", "begin", "ingest_all", "build_warehouse", "export",
    "publish", "cleanup", "run_pipeline", "file_fingerprints",
]


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


def preflight(config: Config) -> list[SourcePlan]:
    """Everything ``journey check`` and a run validate before writing anything: sources
    (files, readers, encodings, mapped columns, files read twice), output paths (nothing the
    run did not create can be deleted or overwritten, folders writable) and the warehouse
    (not held open for writing by another program)."""
    plans = plan_sources(config)
    outputs.check_outputs(config, plans)
    outputs.probe_warehouse(config.warehouse_path)
    return plans


def prepare_run(config: Config) -> RunContext:
    """Validate everything that can be checked before writing (:func:`preflight`). Raises
    :class:`~journey_mining.errors.JourneyError` with one clear line. Writes nothing."""
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    plans = preflight(config)
    scratch = config.warehouse_path.parent / f".scratch-{run_id}"
    return RunContext(config, run_id, now, plans, scratch)


def begin(ctx: RunContext, progress: Progress | None = None) -> None:
    """The run's first writes: take the run lock (one run per warehouse), remove what
    interrupted runs left behind, journal the start, apply ``[execution]`` settings."""
    config = ctx.config
    outputs.acquire_run_lock(config.warehouse_path, ctx.run_id)
    try:
        removed = outputs.clean_leftovers(config)
        if removed and progress:
            progress(f"removed leftovers of interrupted runs: {', '.join(sorted(removed))}")
        wh.journal(config.warehouse_path, {"run_id": ctx.run_id, "event": "started",
                                           "started_at": ctx.started_at.isoformat(), "config_path": ctx.config_path})
        ingest.RUN_SETTINGS.clear()
        ingest.RUN_SETTINGS.update(config.duckdb_settings())
    except BaseException as e:
        outputs.release_run_lock(config.warehouse_path)
        if isinstance(e, OSError):
            raise outputs.output_error(e, f"the warehouse folder {config.warehouse_path.parent}") from None
        raise


# Where stderr_progress sends its lines instead of stderr when set (the CLI: a Rich progress
# bar on a terminal, nothing with --quiet).
PROGRESS_SINK: Callable[[str], None] | None = None


def stderr_progress(msg: str) -> None:
    """The default progress reporter: one indented line on stderr (stdout stays for results),
    or :data:`PROGRESS_SINK` when the CLI set one."""
    if PROGRESS_SINK is not None:
        PROGRESS_SINK(msg)
        return
    # sys.stderr.write, not print: a Prefect flow with log_prints turns prints into logs
    sys.stderr.write(f"  {msg}\n")
    sys.stderr.flush()


def ingest_one(ctx: RunContext, plan: SourcePlan, progress: Progress | None = None) -> SourceCounts:
    out_dir = ctx.scratch / _safe(plan.source.name)
    counts = ingest_source(plan, out_dir)
    _refuse_resource_quarantine(ctx, plan, out_dir)
    if progress:
        progress(
            f"ingested {counts.source} ({counts.files} file(s), {counts.seconds:.1f} s): "
            f"{counts.rows_read:,} rows read = {counts.rows_loaded:,} loaded + "
            f"{counts.rows_quarantined:,} quarantined + {counts.rows_duplicate:,} duplicate"
        )
    return counts


def _refuse_resource_quarantine(ctx: RunContext, plan: SourcePlan, out_dir: Path) -> None:
    """A reader that ran out of memory must fail the run, not quarantine the file as if its
    rows were bad (they are not: with more memory they load)."""
    con = ingest.new_connection(settings={})
    try:
        hit = con.execute(
            "select file from read_parquet($f) where reason ilike '%Out of Memory Error%' limit 1",
            {"f": str(out_dir / "quarantine.parquet")},
        ).fetchall()
    finally:
        con.close()
    if hit:
        raise ingest.out_of_memory(plan.source.name, hit[0][0])


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
    """Build the complete warehouse in a sealed side file (published by :func:`publish`);
    returns this run's row of the ``runs`` table."""
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
        apply_comments(con)  # every table and column's meaning as a DuckDB comment (table_docs.py)
        wh.seal(con, build)
    except BaseException as e:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - already failing; the original error matters
            pass
        build.unlink(missing_ok=True)
        build.with_name(build.name + ".wal").unlink(missing_ok=True)
        _reraise_as_output_error(e, f"the warehouse build file {build}")
        raise
    return run


def export(ctx: RunContext, progress: Progress | None = None) -> list[str]:
    """Export the sealed build file to Parquet in a temp folder beside ``parquet_dir``."""
    config = ctx.config
    try:
        _, tables = write_export(wh.build_path(config.warehouse_path, ctx.run_id), config.parquet_dir, ctx.run_id)
    except Exception as e:
        _reraise_as_output_error(e, f"the Parquet export beside {config.parquet_dir}")
        raise
    if progress:
        progress(f"exported {len(tables)} tables to Parquet")
    return tables


def publish(ctx: RunContext, progress: Progress | None = None) -> None:
    """Publish the warehouse (atomic replace), then the export folder (renames); journal
    the run as finished."""
    config = ctx.config
    try:
        wh.publish(wh.build_path(config.warehouse_path, ctx.run_id), config.warehouse_path)
        if progress:
            progress(f"published {config.warehouse_path}")
        swap_export(export_tmp_path(config.parquet_dir, ctx.run_id), config.parquet_dir)
        if progress:
            progress(f"published Parquet to {config.parquet_dir}")
        wh.journal(config.warehouse_path, {"run_id": ctx.run_id, "event": "finished",
                                           "finished_at": datetime.now(UTC).isoformat()})
    except OSError as e:
        _reraise_as_output_error(e, f"the outputs beside {config.warehouse_path.parent}")
        raise


def cleanup(ctx: RunContext) -> None:
    """Remove this run's working files (whatever happened) and release the run lock."""
    config = ctx.config
    shutil.rmtree(ctx.scratch, ignore_errors=True)
    build = wh.build_path(config.warehouse_path, ctx.run_id)
    build.unlink(missing_ok=True)
    build.with_name(build.name + ".wal").unlink(missing_ok=True)
    tmp = export_tmp_path(config.parquet_dir, ctx.run_id)
    if tmp.is_dir() and outputs.is_owned_export(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
    if config.temp_directory == config.warehouse_path.parent / TEMP_DIRECTORY_NAME:
        shutil.rmtree(config.temp_directory, ignore_errors=True)
    ingest.RUN_SETTINGS.clear()
    outputs.release_run_lock(config.warehouse_path)


def record_failure(ctx: RunContext, error: BaseException) -> None:
    """Journal the failure (imported into ``runs`` by the next run). Never masks ``error``:
    if even the ledger cannot be written, the original error is what the user sees."""
    message = f"{type(error).__name__}: {error}"
    if not isinstance(error, Exception):  # Ctrl-C, SIGTERM (Prefect: TerminationSignal)
        message = f"interrupted ({type(error).__name__}{': ' + str(error) if str(error) else ''})"
    try:
        wh.append_failed_run(
            ctx.config.warehouse_path, ctx.run_id, ctx.started_at, datetime.now(UTC), ctx.config_path, message,
        )
    except OSError:
        pass


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
    begin(ctx, progress)
    try:
        counts = ingest_all(ctx, progress)
        run = build_warehouse(ctx, counts, progress)
        export(ctx, progress)
        publish(ctx, progress)
    except BaseException as e:
        record_failure(ctx, e)
        raise
    finally:
        cleanup(ctx)
    return RunResult(ctx.run_id, config.warehouse_path, config.parquet_dir, counts, summarize(ctx, run))


def _reraise_as_output_error(e: BaseException, where: str) -> None:
    """Disk full, read-only or permission errors while writing outputs: one clear line."""
    err = outputs.output_error(e, where)
    if err is not e:
        raise err from None


def _safe(name: str) -> str:
    """A folder name for a source (names are free text in the config)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return f"{keep}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
