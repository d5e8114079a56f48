"""Serve `journey-run` as a nightly Prefect deployment (kept apart from the flow code).

    python -m journey_mining.flows.deploy --config /path/journey.toml --cron "0 3 * * *"

(``python flows/deploy.py ...`` in a checkout does the same: ``flows/`` is installed as the
``journey_mining.flows`` package.)

Runs a long-lived process that schedules and executes the flow (``flow.serve``); point
``PREFECT_API_URL`` at your Prefect server to see runs in its UI.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prefect.schedules import Cron

from journey_mining.flows.journey_flow import journey_run


def schedule(cron: str, timezone: str) -> Cron:
    return Cron(cron, timezone=timezone)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="journey.toml to run every night")
    p.add_argument("--cron", default="0 3 * * *", help="cron schedule (default: 03:00 daily)")
    p.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")
    p.add_argument("--name", default="nightly")
    args = p.parse_args(argv)
    journey_run.serve(
        name=args.name,
        schedules=[schedule(args.cron, args.timezone)],
        parameters={"config_path": str(Path(args.config).resolve())},
        tags=["journey_mining", "nightly"],
    )


if __name__ == "__main__":
    main()
