"""Serve `journey-run` as a nightly Prefect deployment (kept apart from the flow code).

    prefect server start --host 127.0.0.1 --port 4200          # terminal 1 (UI: http://127.0.0.1:4200)
    export PREFECT_API_URL=http://127.0.0.1:4200/api          # terminal 2
    python -m journey_mining.flows.deploy --config /path/journey.toml [--cron "0 2 * * *"]

(``python flows/deploy.py ...`` in a checkout does the same: ``flows/`` is installed as the
``journey_mining.flows`` package.) The schedule is ``[schedule] cron`` / ``timezone`` of
the config (default ``0 2 * * *`` UTC); ``--cron`` / ``--timezone`` override it. This
process registers the deployment ``journey-run/<name>`` (default ``nightly``) with the
server and executes its runs, scheduled or triggered (``prefect deployment run
journey-run/nightly``), until it is stopped (Ctrl-C, SIGTERM). docs/operations.md,
"Scheduling".
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_NAME = "nightly"


def schedule(cron: str, timezone: str):  # noqa: ANN201 - prefect.schedules.Cron
    """The deployment's schedule; an invalid cron expression or time zone is a
    :class:`~journey_mining.errors.ConfigError` (one line).

    >>> schedule("0 2 * * *", "UTC").cron
    '0 2 * * *'
    """
    from prefect.schedules import Cron

    from journey_mining.errors import ConfigError

    try:
        return Cron(cron, timezone=timezone)
    except Exception as e:  # noqa: BLE001 - pydantic / croniter / zoneinfo errors
        raise ConfigError(f"schedule: invalid cron {cron!r} or timezone {timezone!r}: "
                          f"{' '.join(str(e).split())[:200]}") from None


def build_deployment(config_path: str | Path, *, name: str = DEFAULT_NAME, cron: str | None = None,
                     timezone: str | None = None):  # noqa: ANN201 - prefect RunnerDeployment
    """The nightly deployment of ``config_path`` (``flow.to_deployment``): the flow
    ``journey-run`` with the config as its parameter and the cron schedule of the config
    unless ``cron`` / ``timezone`` are given."""
    from journey_mining.config import load_config
    from journey_mining.flows.journey_flow import journey_run

    config = load_config(config_path)
    return journey_run.to_deployment(
        name=name,
        schedules=[schedule(cron or config.schedule_cron, timezone or config.schedule_timezone)],
        parameters={"config_path": str(Path(config_path).resolve())},
        tags=["journey_mining", "nightly"],
        description=f"journey run of {Path(config_path).resolve()}",
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--config", required=True, help="journey.toml to run every night")
    p.add_argument("--cron", help="cron schedule (default: [schedule] cron of the config, else '0 2 * * *')")
    p.add_argument("--timezone", help="time zone of the cron schedule (default: [schedule] timezone, else UTC)")
    p.add_argument("--name", default=DEFAULT_NAME, help=f"deployment name (default {DEFAULT_NAME})")
    args = p.parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from journey_mining.errors import JourneyError

    try:
        deployment = build_deployment(args.config, name=args.name, cron=args.cron, timezone=args.timezone)
    except JourneyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not os.environ.get("PREFECT_API_URL"):
        print("note: PREFECT_API_URL is not set: runs go to a temporary local API, not to a server's UI",
              file=sys.stderr)
    from prefect import serve

    serve(deployment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
