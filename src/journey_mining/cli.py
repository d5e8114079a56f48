"""The ``journey`` command.

    journey run [--config PATH] [--no-prefect] [--quiet]   run the whole pipeline once
    journey check [--config PATH]                validate the config and list input files
    journey generate --customers N --seed S --out DIR   write synthetic sample data
    journey funnel | paths | pain-points | sql   read the warehouse (:mod:`.cli_tables`)
    journey diff | forget                        drift between runs, erasure (:mod:`.cli_ops`)

Exit codes: 0 ok; 2 an error the user can fix, printed as one line (``error: ...``); 1 an
internal error (``--debug`` shows the traceback); 130 interrupted. Bad rows never fail a
run (they are quarantined). Progress goes to stderr: a Rich progress bar on a terminal,
plain lines otherwise (logs stay readable), nothing with ``--quiet``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .cli_tables import EXIT_CODES, add_query_commands, describe
from .config import load_config, with_execution
from .errors import JourneyError, one_line

__all__ = ["main"]


def prefect_home() -> Path:
    """Where the local Prefect (ephemeral server, its SQLite run history) keeps its state
    unless ``PREFECT_HOME`` is set: ``$XDG_STATE_HOME/journey_mining/prefect``, by default
    ``~/.local/state/journey_mining/prefect``. Kept apart from ``~/.prefect`` so a Prefect
    installed for other work, of another version, shares no database with this one.

    >>> prefect_home().parts[-2:]
    ('journey_mining', 'prefect')
    """
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "journey_mining" / "prefect"


def _prefect_env(debug: bool = False) -> None:
    """Keep Prefect local and quiet unless the user configured it. Without ``--debug``,
    Prefect logs nothing below CRITICAL on the terminal: a failed task or flow would print
    its traceback (~120 lines) before our one-line error; the run's state in Prefect stays
    Failed, and ``--debug`` shows everything."""
    if not os.environ.get("PREFECT_HOME"):
        home = prefect_home()
        home.mkdir(parents=True, exist_ok=True)  # Prefect makes only the last level
        os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's default (20 s) is too short for its temporary API server on a busy 2-core
    # machine (measured: "Timed out while attempting to connect to ephemeral Prefect API
    # server" under a load average of ~7).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if debug else "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _fmt(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _terminate_as_interrupt() -> None:
    """SIGTERM (``kill``, a scheduler stopping the job) ends the run like Ctrl-C: the run's
    ``finally`` blocks and exit handlers run, so the failure is journaled, working files are
    removed and Prefect's temporary API server (a child process) is stopped, not orphaned."""
    import signal

    def handler(signum, frame):  # noqa: ANN001, ARG001 - signal handler signature
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        pass


def _execution_overrides(args: argparse.Namespace) -> dict:
    """``journey run --shards/--executor/--dask-address``: they replace ``[execution]``."""
    keys = {"shards": args.shards, "executor": args.executor, "dask_address": args.dask_address}
    out = {k: v for k, v in keys.items() if v is not None}
    if args.dask_address is not None and args.executor is None:
        out["executor"] = "dask"
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import preflight

    config = load_config(args.config)
    execution = _execution_overrides(args)
    if execution:
        config = with_execution(config, **execution)
    if getattr(args, "full_refresh", False):
        import dataclasses

        config = dataclasses.replace(config, full_refresh=True)
    plans = preflight(config)  # fail fast, before starting Prefect and before writing anything
    _terminate_as_interrupt()
    where = config.path if args.config or Path("journey.toml").exists() else f"bundled sample ({config.path})"
    if not args.quiet:
        print(f"journey run: config {where}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with run_progress(args.quiet, steps=len(plans) + 4):
        if args.no_prefect:
            from .pipeline import run_pipeline, stderr_progress

            summary = run_pipeline(config, progress=stderr_progress).summary
        else:
            _prefect_env(args.debug)
            from journey_mining.flows.journey_flow import journey_run

            summary = journey_run(str(config.path), str(config.output_base), execution=execution or None,
                                  full_refresh=config.full_refresh)
    secs = time.perf_counter() - started
    print(
        f"run {summary['run_id']} finished in {secs:.1f} s: {_fmt(summary['rows_read'])} rows read = "
        f"{_fmt(summary['rows_loaded'])} loaded + {_fmt(summary['rows_quarantined'])} quarantined + "
        f"{_fmt(summary['rows_duplicate'])} duplicate"
        + (f" ({_fmt(summary['rows_suppressed'])} rows of erased people not read)" if summary.get("rows_suppressed") else "")
    )
    print(
        f"  {_fmt(summary['events'])} events, {_fmt(summary['customers'])} customers, "
        f"{_fmt(summary['sessions'])} sessions"
    )
    if summary.get("refresh"):  # the incremental figures (docs/operations.md, "Incremental runs")
        how = (f"incremental, {_fmt(summary['customers_rebuilt'])} customers rebuilt" if summary["refresh"] == "incremental"
               else f"full rebuild ({summary['refresh_reason']})")
        print(f"  files: {summary['files_new']} new, {summary['files_changed']} changed, {summary['files_unchanged']} "
              f"unchanged, {summary['files_deleted']} deleted; {_fmt(summary['rows_new'])} rows read from "
              f"{summary['files_read']} file(s); {how}")
    print(f"  warehouse: {summary['warehouse']}")
    print(f"  parquet:   {summary['parquet_dir']}")
    if summary["rows_quarantined"]:
        print(f"  quarantine: {_fmt(summary['rows_quarantined'])} rows (select * from quarantine)")
    if summary.get("report"):
        print(f"  report:    {summary['report']}")
    return 0


class run_progress:  # noqa: N801 - used as a context manager, like contextlib's
    """Route the pipeline's progress lines (``pipeline.stderr_progress``, used by the plain
    run and by the Prefect flow): nothing with ``quiet``; a Rich progress bar (one step per
    source, build, export and the two publishes) with the lines above it when stderr is a
    terminal; otherwise the plain lines, unchanged, so logs stay readable."""

    def __init__(self, quiet: bool, steps: int):
        self.quiet, self.steps, self.progress, self.saved = quiet, steps, None, None

    def __enter__(self):
        from . import pipeline

        self.saved = pipeline.PROGRESS_SINK
        if self.quiet:
            pipeline.PROGRESS_SINK = lambda msg: None
        elif sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(SpinnerColumn(), TextColumn("journey run"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            task = self.progress.add_task("run", total=self.steps)
            self.progress.start()

            def sink(msg: str) -> None:
                self.progress.console.print(f"  {msg}", highlight=False, markup=False)
                if not msg.startswith("removed leftovers"):
                    self.progress.advance(task)

            pipeline.PROGRESS_SINK = sink
        return self

    def __exit__(self, *exc) -> None:
        from . import pipeline

        if self.progress is not None:
            self.progress.stop()
        pipeline.PROGRESS_SINK = self.saved


def cmd_check(args: argparse.Namespace) -> int:
    from .pipeline import preflight

    config = load_config(args.config)
    plans = preflight(config)  # the same checks a run makes before writing anything
    print(f"config {config.path}: ok")
    for p in plans:
        print(f"  source {p.source.name!r} ({p.source.format}, channel {p.source.channel}): {len(p.files)} file(s)")
    print(f"  {len(config.stages.rules)} stage rules over {', '.join(config.stages.order)}")
    print(f"  outputs: warehouse {config.warehouse_path}, parquet {config.parquet_dir}, report {config.report_path}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate_from_args

    started = time.perf_counter()
    counts = generate_from_args(args)
    total = sum(v for v in counts.values() if isinstance(v, int))
    print(f"wrote {_fmt(total)} records to {args.out} in {time.perf_counter() - started:.1f} s")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="journey", description=describe("Infer customer journey maps from event logs."), formatter_class=fmt,
        epilog="examples:\n  journey run                 # the bundled sample (or ./journey.toml) into ./out\n"
               "  journey funnel --by persona\n  journey pain-points --limit 5\n"
               "  journey sql \"select * from stage_funnel\"\n\n"
               "`journey COMMAND --help` shows each command's options and examples.\n\n" + EXIT_CODES,
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser(
        "run", help="run the whole pipeline once", formatter_class=fmt,
        description=describe("Ingest every source, build the warehouse and the marts, export Parquet and publish "
                    "them atomically (docs/operations.md). Progress goes to stderr (a progress bar on a "
                    "terminal, plain lines otherwise); the summary to stdout."),
        epilog="examples:\n  journey run\n  journey run --config journey.toml --no-prefect --quiet\n"
               "  journey run --shards 8 --executor dask --dask-address tcp://scheduler:8786\n\n" + EXIT_CODES,
    )
    r.add_argument("--config", help="config file (default: ./journey.toml, else the bundled sample)")
    r.add_argument("--no-prefect", action="store_true", help="run the same steps without Prefect")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress: only the summary and errors")
    r.add_argument("--shards", type=int, help="split the per-customer work into N shards ([execution] shards; docs/scale.md)")
    r.add_argument("--executor", choices=("local", "dask"), help="where the shards run ([execution] executor)")
    r.add_argument("--dask-address", metavar="tcp://HOST:8786",
                   help="the Dask scheduler of the dask executor (implies --executor dask)")
    r.add_argument("--full-refresh", action="store_true",
                   help="rebuild everything from scratch: ignore the manifest and the staged cache "
                        "(default: incremental, docs/operations.md)")
    r.set_defaults(func=cmd_run)
    c = sub.add_parser(
        "check", help="validate the config and list the input files", formatter_class=fmt,
        description=describe("Every check a run makes before writing anything; writes nothing."),
        epilog="examples:\n  journey check\n  journey check --config journey.toml\n\n" + EXIT_CODES,
    )
    c.add_argument("--config", help="config file (default: ./journey.toml, else the bundled sample)")
    c.set_defaults(func=cmd_check)
    g = sub.add_parser(
        "generate", help="write synthetic sample data (any size, deterministic per seed)", formatter_class=fmt,
        epilog="examples:\n  journey generate --customers 3000 --seed 7 --out data/generated\n\n" + EXIT_CODES,
    )
    from .generate import add_generate_arguments

    add_generate_arguments(g, default_out="data/generated")  # never the committed sample by default
    g.set_defaults(func=cmd_generate)
    add_query_commands(sub, fmt)
    from .cli_ops import add_ops_commands

    add_ops_commands(sub, fmt)  # diff, forget
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except JourneyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `journey sql ... | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001 - one readable line unless --debug
        if args.debug:
            raise
        print(f"error: {type(e).__name__}: {one_line(e, 500)} (rerun with --debug for details)", file=sys.stderr)
        return 1


def entry() -> None:
    """Console-script entry point.

    After a Prefect run, DuckDB 2.0's bindings print spurious "nanobind: leaked ..." lines
    while the interpreter tears down. Run the exit handlers (Prefect stops its ephemeral
    server there), flush, and leave without the noisy finalization.
    """
    import atexit

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
