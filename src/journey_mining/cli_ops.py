"""The operations commands of ``journey``: run-over-run drift and erasure.

    journey diff [RUN_A] [RUN_B] [--json]     headline figures of two runs, changes flagged
    journey forget IDENTIFIER                 erase a person from the warehouse and export

``diff`` reads the published warehouse read-only (defaults: the previous run against the
latest, from ``metric_history``; docs/metrics.md "Drift"). ``forget`` takes the run lock and
republishes the warehouse and the export atomically (docs/privacy.md).
"""

from __future__ import annotations

import argparse
import json

from .cli_tables import (
    EXIT_CODES,
    _common,
    _console,
    describe,
    open_warehouse,
    to_json,
    warehouse_path,
)

__all__ = ["add_ops_commands", "cmd_diff", "cmd_forget"]

def cmd_diff(args: argparse.Namespace) -> int:
    from .config import MetricsConfig, load_config
    from .drift import METRIC_LABELS, compare, format_value, resolve_runs

    path = warehouse_path(args)
    metrics = MetricsConfig() if args.warehouse else load_config(args.config).metrics
    con = open_warehouse(path)
    try:
        run_a, run_b = resolve_runs(con, args.run_a, args.run_b)
        rows = compare(con, run_a, run_b, metrics)
    finally:
        con.close()
    if args.json:
        print(to_json([{"run_before": run_a, "run_after": run_b, **r} for r in rows]))
        return 0
    from rich.table import Table

    table = Table(title=f"Changes from {run_a} to {run_b}", title_justify="left",
                  caption=f"! = conversion change with p < {metrics.drift_alpha:g} (two-proportion z-test, "
                          f"at least {metrics.drift_min_n} customers at the previous stage in both runs)")
    for name, justify in (("figure", "left"), ("item", "left"), ("before", "right"), ("after", "right"),
                          ("change", "right"), ("p-value", "right"), ("", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for r in rows:
        m = r["metric"]
        table.add_row(METRIC_LABELS.get(m, m), r["item"] or "", format_value(m, r["value_before"]),
                      format_value(m, r["value_after"]), format_value(m, r["change"], signed=True),
                      "" if r["p_value"] is None else f"{r['p_value']:.2g}", "!" if r["is_flagged"] else "")
    console = _console()
    console.print(table)
    flagged = [r for r in rows if r["is_flagged"]]
    console.print(f"{len(flagged)} change(s) unlikely to be noise" if flagged else "no change flagged")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from .config import load_config
    from .erasure import forget

    config = load_config(args.config)
    result = forget(config, args.identifier)
    if args.json:
        print(json.dumps(result, indent=1, default=str))
        return 0
    removed = sum(result["rows_removed"].values())
    print(f"erased {result['identifiers']} identifier(s) of one person: {removed:,} row(s) removed "
          f"(erasure {result['erasure_id']})")
    for table, n in sorted(result["rows_removed"].items()):
        if n:
            print(f"  {table}: {n:,}")
    return 0


def add_ops_commands(sub, formatter) -> None:  # noqa: ANN001 - argparse's private subparsers type
    """Register ``diff`` and ``forget`` on ``sub``."""
    d = sub.add_parser(
        "diff", help="what changed between two runs (drift), changes unlikely to be noise flagged",
        formatter_class=formatter,
        description=describe("The headline figures (funnel, conversion, top pain points, emotion per stage) of "
                             "RUN_A and RUN_B from metric_history, with the change; a conversion change is "
                             "flagged when a two-proportion z-test gives p < [metrics] drift_alpha. Default: "
                             "the previous run against the latest (docs/metrics.md, Drift)."),
        epilog="examples:\n  journey diff\n  journey diff r20260101T020000Z-abc123 --json\n\n" + EXIT_CODES,
    )
    d.add_argument("run_a", nargs="?", metavar="RUN_A", help="the earlier run (default: the previous one)")
    d.add_argument("run_b", nargs="?", metavar="RUN_B", help="the later run (default: the latest)")
    _common(d)
    d.set_defaults(func=cmd_diff)

    f = sub.add_parser(
        "forget", help="erase a person (user id, email or anonymous id) from every output",
        formatter_class=formatter,
        description=describe("Remove the person the identifier belongs to (their whole stitched cluster of "
                             "identifiers) from the warehouse and the Parquet export, and keep them out of "
                             "later runs (a suppression list of keyed hashes). Records the erasure in "
                             "`erasures` without the identifier (docs/privacy.md)."),
        epilog="examples:\n  journey forget user_42\n  journey forget ada@example.com --config journey.toml\n\n"
               + EXIT_CODES,
    )
    f.add_argument("identifier", help="a user_id, email or anonymous_id of the person")
    f.add_argument("--config", help="config file (default: ./journey.toml, else the bundled sample)")
    f.add_argument("--json", action="store_true", help="print the erasure record as JSON")
    f.set_defaults(func=cmd_forget)
