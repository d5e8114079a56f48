"""The whole pipeline as plain functions, and the ONE definition of a run's steps.

    plan (validate everything, write nothing; then run lock, clean leftovers, journal)
    -> ingest-file (per input file, independent: hashed once, staged to Parquet or reused
    from the staged cache when the manifest says its bytes were staged before)
    -> build-warehouse (duplicates across files, inference, marts, history; sealed side
    file) -> export-parquet (from the side file, temp folder) -> publish (atomic swap of the
    warehouse, then of the export folder; prune the staged cache)
    on failure: record-failure (journal); always: cleanup; at the end: summarize

:data:`RUN` holds that sequence (:class:`Step` objects). :func:`run_pipeline` executes it
with plain calls; the Prefect flow (``journey_mining.flows.journey_flow``) executes the
same definition with one task per step, submitting fan-out steps concurrently and retrying
only steps that do I/O. A failed export therefore publishes nothing; see
docs/reliability.md and docs/operations.md.

    >>> from journey_mining.config import load_config, sample_config_path
    >>> run = prepare_run(load_config(sample_config_path()))
    >>> run.run_id[:2] == "r2"
    True
"""

from __future__ import annotations

import secrets
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import incremental, ingest, outputs
from . import warehouse as wh
from .config import TEMP_DIRECTORY_NAME, Config
from .drift import create_metric_history, record_metric_history
from .erasure import (
    has_unrecorded_requests,
    mark_suppressed,
    prepare_suppressions,
    pseudonymize_key,
    record_erasures,
)
from .export import export_tmp_path, swap_export, write_export
from .ingest import SourceCounts, SourcePlan, StagedFile, ingest_file, plan_sources
from .table_docs import apply_comments
from .tables import temporary_tables

Progress = Callable[[str], None]

__all__ = [
    "RunContext", "RunResult", "RunState", "Step", "RunDefinition", "RUN", "execute", "preflight", "prepare_run",
    "begin", "ingest_one_file", "build_warehouse", "export", "publish", "cleanup", "record_failure", "summarize",
    "run_pipeline", "staged_cache_dir",
]


@dataclass
class RunContext:
    config: Config
    run_id: str
    started_at: datetime
    plans: list[SourcePlan]
    scratch: Path
    # the published warehouse's manifest rows and last fingerprint (empty on --full-refresh)
    previous: incremental.Previous = field(default_factory=incremental.Previous)
    # when each input file's ingest started (run_steps), by "source: file"
    ingest_started: dict[str, datetime] = field(default_factory=dict)

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
    pseudonymize_key(config)  # [export] pseudonymize without its key: one line, before any write
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
        ingest.RETRY_MEMORY_LIMIT = config.execution.retry_memory_limit()  # None: a configured limit
        if not config.full_refresh:  # --full-refresh: ignore the manifest and the staged cache
            ctx.previous = incremental.read_previous(config.warehouse_path)
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


def staged_cache_dir(warehouse: Path) -> Path:
    """The tool's cache of staged input files beside the warehouse (``.<name>.staged/``):
    one ``<sha256>-<key>.parquet`` per distinct input file and reading settings."""
    return warehouse.with_name(f".{warehouse.name}.staged")


def ingest_one_file(ctx: RunContext, item: tuple[SourcePlan, Path], progress: Progress | None = None) -> StagedFile:
    """Stage one input file (hashed once). Its staged Parquet from an earlier run is reused
    when that run's manifest (``input_files``) lists the same source and sha256; a file whose
    path, size and mtime match its manifest row is not even hashed."""
    plan, file = item
    known = ctx.previous.files.get((plan.source.name, str(file)))
    if known is not None:
        st = file.stat()
        if not incremental.modified_at_matches(known, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)):
            known = None
    ctx.ingest_started[f"{plan.source.name}: {file}"] = datetime.now(UTC)
    staged = ingest_file(
        plan, file, staged_cache_dir(ctx.config.warehouse_path),
        reusable=lambda row, _path: (row.source, row.sha256) in ctx.previous.staged, run_id=ctx.run_id, known=known,
    )
    if progress:
        how = "read" if staged.was_read else "unchanged, staged rows reused"
        progress(f"{plan.source.name}: {file.name} ({how}, {staged.rows_read:,} rows, {staged.seconds:.1f} s)")
    return staged


def input_items(ctx: RunContext) -> list[tuple[SourcePlan, Path]]:
    """The fan-out of the ingest step: every (source, file) of the run."""
    return [(plan, f) for plan in ctx.plans for f in plan.files]


def build_warehouse(ctx: RunContext, staged: list[StagedFile], progress: Progress | None = None) -> dict:
    """Build the complete warehouse in a sealed side file (published by :func:`publish`)
    from the staged input files; returns this run's row of the ``runs`` table (with the
    per-source balances under ``"counts"``)."""
    from . import models
    from .inference import build_journeys  # heavy SQL lives there

    config = ctx.config
    kept = incremental.kept_deleted_files(ctx.plans, ctx.previous, staged_cache_dir(config.warehouse_path))
    delta = incremental.file_delta(staged, ctx.previous, kept,
                                   frozenset(p.source.name for p in ctx.plans if not p.source.is_profile))
    reason = incremental.full_refresh_reason(config, ctx.previous, delta, requested=config.full_refresh,
                                             erasure_pending=has_unrecorded_requests(config.warehouse_path))
    timer = models.StepTimer()
    for f in staged:  # timed where they ran (maybe another process): seconds and rows only
        key = f"{f.input.source}: {f.input.file}"
        timer.add("ingest", detail=key + ("" if f.was_read else " (staged rows reused)"),
                  started_at=ctx.ingest_started.get(key), seconds=f.seconds, rows=f.rows_read)
    # an incremental build starts as a byte copy of the published warehouse (edited in place)
    try:
        con, build = wh.open_build(config.warehouse_path, ctx.run_id, copy_published=reason is None)
    except OSError as e:  # e.g. no room for the copy of the published warehouse: one line
        _reraise_as_output_error(e, f"the warehouse build file {wh.build_path(config.warehouse_path, ctx.run_id)}")
        raise
    models.TIMER = timer
    try:
        if reason is None:
            with timer.step("load", detail="copy of the published warehouse: every table but the merged marts dropped"):
                incremental.keep_merged_tables(con)
        key = prepare_suppressions(con, config.warehouse_path)  # erased people (journey forget)
        with timer.step("load", detail="stg_events, stg_profiles, stg_quarantine",
                        rows=lambda: _count(con, "stg_events")):
            load = wh.load_staged if reason is not None else incremental.load_incremental  # narrow: keys only
            counts = load(con, [*staged, *kept], ctx.plans,
                          suppress=(lambda c, t: mark_suppressed(c, t, key)) if key else None)
        if progress:
            for c in counts:
                progress(
                    f"ingested {c.source} ({c.files} file(s), {c.seconds:.1f} s): "
                    f"{c.rows_read:,} rows read = {c.rows_loaded:,} loaded + "
                    f"{c.rows_quarantined:,} quarantined + {c.rows_duplicate:,} duplicate"
                    + (f" ({c.rows_suppressed:,} rows of erased people not read)" if c.rows_suppressed else "")
                )
        started = time.perf_counter()
        figures: dict = {}
        with timer.step("build", detail="incremental build" if reason is None else "build_journeys: every model below"):
            if reason is None:
                figures = incremental.build_incremental(con, config, config.warehouse_path, delta)
            else:
                build_journeys(con, config, shard_dir=ctx.scratch / "shards")  # used with [execution] shards
        if progress:
            how = (f"incremental: {figures['customers_rebuilt']:,} customers rebuilt in "
                   f"{figures['journeys_seconds']} s, metrics marts recomputed in {figures['marts_seconds']} s"
                   if reason is None else f"full rebuild: {reason}")
            progress(f"built customers, sessions and stages ({how}; {time.perf_counter() - started:.1f} s)")
        with timer.step("record", detail="history, runs, comments"):
            create_metric_history(con)  # carried like runs (declared write="append")
            wh.carry_history(con, config.warehouse_path, ctx.run_id,
                             [vars(f.input) for f in staged] + [{**vars(f.input), "is_deleted": True} for f in kept])
            record_metric_history(con, ctx.run_id, ctx.started_at)  # this run's headline figures (drift)
            for t in temporary_tables("load"):  # stg_events, stg_profiles, stg_quarantine
                con.execute(f'drop table if exists "{t}"')
            extra = {**delta.as_run_columns(), "refresh": "incremental" if reason is None else "full",
                     "refresh_reason": reason, "customers_rebuilt": figures.get("customers_rebuilt"),
                     "config_fingerprint": incremental.config_fingerprint(config)}
            run = wh.record_run(con, ctx.run_id, ctx.started_at, datetime.now(UTC), counts, ctx.config_path, extra)
            record_erasures(con, config.warehouse_path, ctx.run_id)
        wh.record_steps(con, ctx.run_id, timer.rows)
        apply_comments(con)  # every table and column's meaning as a DuckDB comment (table_docs.py)
        wh.seal(con, build)
        run = {**run, "counts": counts}
    except BaseException as e:
        models.TIMER = None
        try:
            con.close()
        except Exception:  # noqa: BLE001 - already failing; the original error matters
            pass
        build.unlink(missing_ok=True)
        build.with_name(build.name + ".wal").unlink(missing_ok=True)
        _reraise_as_output_error(e, f"the warehouse build file {build}")
        raise
    models.TIMER = None
    return run


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'select count(*) from "{table}"').fetchall()[0][0]


def export(ctx: RunContext, progress: Progress | None = None) -> list[str]:
    """Export the sealed build file to Parquet in a temp folder beside ``parquet_dir``."""
    from .models import StepTimer, peak_rss_mb

    config = ctx.config
    build = wh.build_path(config.warehouse_path, ctx.run_id)
    timer = StepTimer()
    started_at, t0, c0 = datetime.now(UTC), time.perf_counter(), time.process_time()

    def record_export(tables_done: int) -> None:
        """The sealed build file gets its export timing before it is published, and before
        ``run_steps`` itself is exported (so the export equals the warehouse)."""
        timer.add("export", detail="Parquet of every table but run_steps (then run_steps, graphs, manifest)",
                  started_at=started_at, seconds=round(time.perf_counter() - t0, 4),
                  cpu_seconds=round(time.process_time() - c0, 4), rows=tables_done, peak=peak_rss_mb())
        con = ingest.new_connection(build)
        try:
            wh.record_steps(con, ctx.run_id, timer.rows)
            con.execute("checkpoint")
        finally:
            con.close()

    try:
        _, tables = write_export(build, config.parquet_dir, ctx.run_id, before_last=record_export,
                                 pseudonymize_key=pseudonymize_key(config))
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
    ingest.RETRY_MEMORY_LIMIT = None
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
                               "rows_suppressed", "events", "customers", "sessions")},
        **{k: run[k] for k in (*incremental.RUN_COLUMNS, "refresh", "refresh_reason", "customers_rebuilt")
           if k in run},
        "warehouse": str(ctx.config.warehouse_path),
        "parquet_dir": str(ctx.config.parquet_dir),
    }


def prune_staged_cache(ctx: RunContext, keep: Sequence[str]) -> None:
    """Remove the staged Parquet no input of the published manifest refers to any more
    (called once the warehouse holding that manifest is published)."""
    cache = staged_cache_dir(ctx.config.warehouse_path)
    if not cache.is_dir():
        return
    wanted = set(keep)
    for p in cache.iterdir():
        if p.is_file() and p.name.endswith(".parquet") and p.name not in wanted:
            p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the run, defined once


@dataclass
class RunState:
    """What the steps of one run share: the plan, and each step's result."""

    ctx: RunContext
    progress: Progress | None = None
    staged: list[StagedFile] = field(default_factory=list)
    run: dict = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    report: Path | None = None


@dataclass(frozen=True)
class Step:
    """One step of a run. ``function(state)``, or ``function(state, item)`` once per item of
    ``fan_out(state)`` (independent items: a runner may run them concurrently). Its result
    goes to ``state.<store>`` (a list for a fan-out step). ``does_io``: it reads or writes
    files and may be retried on a transient failure (never on a
    :class:`~journey_mining.errors.JourneyError`, which a retry cannot fix)."""

    name: str
    function: Callable[..., Any]
    does_io: bool = False
    fan_out: Callable[[RunState], Sequence[Any]] | None = None
    store: str | None = None
    item_label: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class RunDefinition:
    """``plan`` makes the state (validates, takes the lock); then ``steps`` in order;
    ``on_failure`` and ``always`` run however a step ends; ``result`` summarizes."""

    plan: Step
    steps: tuple[Step, ...]
    on_failure: Callable[[RunState, BaseException], None]
    always: Callable[[RunState], None]
    result: Callable[[RunState], dict]


# The step functions look the pipeline's functions up when they run (tests replace them).
def _plan_step(config: Config, progress: Progress | None = None) -> RunState:
    ctx = prepare_run(config)
    begin(ctx, progress)
    return RunState(ctx, progress)


def _ingest_step(state: RunState, item: tuple[SourcePlan, Path]) -> StagedFile:
    return ingest_one_file(state.ctx, item, state.progress)


def _build_step(state: RunState) -> dict:
    return build_warehouse(state.ctx, state.staged, state.progress)


def _export_step(state: RunState) -> list[str]:
    return export(state.ctx, state.progress)


def _report_step(state: RunState) -> Path:
    return write_report(state.ctx, state.progress)


def _publish_step(state: RunState) -> None:
    publish(state.ctx, state.progress)
    ctx = state.ctx  # the staged rows of kept deleted files (keep_deleted_files) stay cached too
    kept = incremental.kept_deleted_files(ctx.plans, ctx.previous, staged_cache_dir(ctx.config.warehouse_path))
    prune_staged_cache(ctx, [f.staged.name for f in [*state.staged, *kept]])


RUN = RunDefinition(
    plan=Step("plan-run", _plan_step),
    steps=(
        Step("ingest-file", _ingest_step, does_io=True, fan_out=lambda s: input_items(s.ctx), store="staged",
             item_label=lambda item: f"{item[0].source.name}-{item[1].name}"),
        Step("build-warehouse", _build_step, store="run"),
        Step("export-parquet", _export_step, does_io=True, store="tables"),
        Step("publish", _publish_step),
        Step("write-report", _report_step, does_io=True, store="report"),
    ),
    on_failure=lambda state, error: record_failure(state.ctx, error),
    always=lambda state: cleanup(state.ctx),
    result=lambda state: {**summarize(state.ctx, state.run), "report": str(state.report)},
)


def execute(
    definition: RunDefinition,
    config: Config,
    call: Callable[[Step, tuple], Any],
    call_each: Callable[[Step, RunState, list], list],
    progress: Progress | None = None,
) -> RunState:
    """Run ``definition``: ``call(step, args)`` runs one step, ``call_each(step, state,
    items)`` a fan-out step over its items (returns the results in item order)."""
    state = call(definition.plan, (config, progress))
    try:
        for step in definition.steps:
            if step.fan_out is not None:
                result = call_each(step, state, list(step.fan_out(state)))
            else:
                result = call(step, (state,))
            if step.store:
                setattr(state, step.store, result)
    except BaseException as e:
        definition.on_failure(state, e)
        raise
    finally:
        definition.always(state)
    return state


def run_pipeline(config: Config, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run everything once, without Prefect: :data:`RUN` with plain calls, one after the
    other (the flow runs the same steps as tasks)."""
    state = execute(
        RUN, config,
        call=lambda step, args: step.function(*args),
        call_each=lambda step, state, items: [step.function(state, item) for item in items],
        progress=progress,
    )
    config = state.ctx.config
    return RunResult(state.ctx.run_id, config.warehouse_path, config.parquet_dir, state.run["counts"],
                     RUN.result(state))


def write_report(ctx: RunContext, progress: Progress | None = None) -> Path:
    """The journey map report of the published warehouse (``export.report``, written
    atomically; docs/report.md)."""
    from .report import write_report as write_report_file

    try:
        path = write_report_file(ctx.config.warehouse_path, ctx.config, ctx.run_id)
    except OSError as e:
        _reraise_as_output_error(e, f"the report {ctx.config.report_path}")
        raise
    if progress:
        progress(f"wrote the report {path}")
    return path


def _reraise_as_output_error(e: BaseException, where: str) -> None:
    """Disk full, read-only or permission errors while writing outputs: one clear line."""
    err = outputs.output_error(e, where)
    if err is not e:
        raise err from None
