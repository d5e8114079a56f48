"""`journey run`: the whole pipeline as a Prefect flow.

Reads top to bottom as a handful of typed tasks; all logic is in ``journey_mining``.
Retries only where I/O can fail transiently (reading source files, writing the export).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE

from journey_mining import pipeline
from journey_mining.config import load_config
from journey_mining.errors import JourneyError
from journey_mining.ingest import SourceCounts, SourcePlan
from journey_mining.report.artifacts import publish_artifacts


def _retry_unless_user_error(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's hook
    """Retry I/O hiccups, not errors the user must fix (a retry cannot fix a bad source)."""
    try:
        state.result()
    except JourneyError:
        return False
    except BaseException:  # noqa: BLE001 - any other failure may be transient
        return True
    return True


def _progress(msg: str) -> None:
    """Progress for the person at the terminal (stderr) and for the Prefect UI (logs)."""
    pipeline.stderr_progress(msg)
    get_run_logger().info(msg)


@task(name="plan-run", cache_policy=NO_CACHE)
def plan_run(config_path: str | None, output_base: str | None) -> pipeline.RunContext:
    base = Path(output_base) if output_base else None
    ctx = pipeline.prepare_run(load_config(config_path, output_base=base))
    pipeline.begin(ctx, progress=_progress)
    return ctx


@task(name="ingest-source", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE,
      retry_condition_fn=_retry_unless_user_error, task_run_name="ingest-{plan.source.name}")
def ingest_source(ctx: pipeline.RunContext, plan: SourcePlan) -> SourceCounts:
    return pipeline.ingest_one(ctx, plan, progress=_progress)


@task(name="build-warehouse", cache_policy=NO_CACHE)
def build_warehouse(ctx: pipeline.RunContext, counts: list[SourceCounts]) -> dict:
    return pipeline.build_warehouse(ctx, counts, progress=_progress)


@task(name="export-parquet", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE,
      retry_condition_fn=_retry_unless_user_error)
def export(ctx: pipeline.RunContext) -> list[str]:
    """Parquet from the sealed build file into a temp folder: a failure publishes nothing."""
    return pipeline.export(ctx, progress=_progress)


@task(name="publish", cache_policy=NO_CACHE)
def publish(ctx: pipeline.RunContext) -> None:
    """Swap in the warehouse, then the export folder."""
    pipeline.publish(ctx, progress=_progress)


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(ctx: pipeline.RunContext) -> str:
    """The journey map report (export.report) of the published warehouse."""
    return str(pipeline.write_report(ctx, progress=_progress))


@flow(name="journey-run", log_prints=True)
def journey_run(config_path: str | None = None, output_base: str | None = None) -> dict:
    """Ingest -> stitch/sessionize/stage -> marts -> export -> publish.

    ``output_base``: folder for the warehouse and export paths (default: the config's folder).
    """
    ctx = plan_run(config_path, output_base)
    try:
        futures = [ingest_source.submit(ctx, plan) for plan in ctx.plans]
        counts = [f.result() for f in futures]
        run = build_warehouse(ctx, counts)
        export(ctx)
        publish(ctx)
        report = write_report(ctx)
    except BaseException as e:
        pipeline.record_failure(ctx, e)
        raise
    finally:
        pipeline.cleanup(ctx)
    publish_artifacts(ctx.config.warehouse_path, report, ctx.run_id)
    return {**pipeline.summarize(ctx, run), "report": report}


if __name__ == "__main__":
    import sys

    print(journey_run(sys.argv[1] if len(sys.argv) > 1 else None))
