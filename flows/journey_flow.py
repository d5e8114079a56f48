"""`journey run`: the whole pipeline as a Prefect flow.

The steps are NOT spelled out here: the flow executes the run definition of
``journey_mining.pipeline.RUN`` (the same one ``journey run --no-prefect`` executes), one
task per step; fan-out steps (one ingest per input file) are submitted concurrently; steps
that do I/O (``Step.does_io``) are retried with exponential backoff (5 s, then 10 s), never on a :class:`~journey_mining.errors.JourneyError` (a retry
cannot fix a bad source). Recording a failure and the clean-up run as plain calls, so they
happen however a task ends.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.tasks import exponential_backoff

from journey_mining import pipeline
from journey_mining.config import load_config, with_execution
from journey_mining.errors import JourneyError, one_line
from journey_mining.report.artifacts import publish_artifacts

IO_RETRIES = 2  # attempts after the first, for steps that read or write files
IO_RETRY_DELAY_SECONDS = 5  # before the first retry; doubled before each next one (exponential backoff)
IO_RETRY_JITTER_FACTOR = 0.2  # each delay varies by up to 20%, so retries of parallel tasks spread out


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


def as_task(step: pipeline.Step):  # noqa: ANN201 - a Prefect Task
    """The Prefect task of one step of the run definition."""
    retries = dict(retries=IO_RETRIES, retry_delay_seconds=exponential_backoff(IO_RETRY_DELAY_SECONDS),
                   retry_jitter_factor=IO_RETRY_JITTER_FACTOR,
                   retry_condition_fn=_retry_unless_user_error) if step.does_io else {}
    return task(step.function, name=step.name, cache_policy=NO_CACHE, **retries)


def _call(step: pipeline.Step, args: tuple):  # noqa: ANN202
    return as_task(step)(*args)


def _call_each(step: pipeline.Step, state: pipeline.RunState, items: list) -> list:
    t = as_task(step)
    futures = [
        t.with_options(task_run_name=f"{step.name}-{step.item_label(item)}" if step.item_label else None)
        .submit(state, item)
        for item in items
    ]
    return [f.result() for f in futures]


@flow(name="journey-run", log_prints=True)
def journey_run(config_path: str | None = None, output_base: str | None = None,
                execution: dict | None = None, full_refresh: bool = False) -> dict:
    """Ingest -> stitch/sessionize/stage -> marts -> export -> publish (``pipeline.RUN``).

    ``output_base``: folder for the warehouse and export paths (default: the config's folder).
    ``execution``: ``[execution]`` keys to replace (``journey run --shards/--executor/--dask-address``).
    """
    config = load_config(config_path, output_base=Path(output_base) if output_base else None)
    if execution:
        config = with_execution(config, **execution)
    if full_refresh:  # `journey run --full-refresh`: ignore the manifest and the staged cache
        config = dataclasses.replace(config, full_refresh=True)
    state = pipeline.execute(pipeline.RUN, config, _call, _call_each, progress=_progress)
    summary = pipeline.RUN.result(state)
    try:  # the run's outputs are published; the artifacts are only a view of them in the UI
        publish_artifacts(config.warehouse_path, summary["report"], summary["run_id"], config.metrics)
    except Exception as e:  # noqa: BLE001 - a Prefect API hiccup must not fail a published run
        get_run_logger().warning(f"could not publish the Prefect artifacts: {one_line(e)}")
    return summary


if __name__ == "__main__":
    import sys

    print(journey_run(sys.argv[1] if len(sys.argv) > 1 else None))
