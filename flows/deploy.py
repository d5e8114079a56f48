"""Serve `journey-run` as a nightly Prefect deployment (kept apart from the flow code).

    python flows/deploy.py --config /path/journey.toml --cron "0 3 * * *"

Runs a long-lived process that schedules and executes the flow (``flow.serve``); point
``PREFECT_API_URL`` at your Prefect server to see runs in its UI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prefect.schedules import Cron  # noqa: E402

from flows.journey_flow import journey_run  # noqa: E402


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
