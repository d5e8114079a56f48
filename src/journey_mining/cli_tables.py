"""The analyst commands of ``journey``: tidy tables on the terminal, JSON for scripts.

    journey funnel [--by ATTR]                        the stage funnel (per persona, ...)
    journey paths [--from T] [--to T] [--level L]     the journeys customers take / routes
    journey pain-points [--limit N]                   the ranked pain points, with reasons
    journey sql "select ..."                          any read-only query on the warehouse

Each reads the published warehouse (``--warehouse PATH``, else the one of ``--config``, else
of ``./journey.toml`` or the bundled sample) through a read-only connection, prints a Rich
table, or with ``--json`` a JSON array of records (keys are the column names, timestamps ISO
8601 in UTC, NULL as null). A missing warehouse is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import shutil
import sys
import textwrap
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from .errors import ConfigError

__all__ = [
    "add_query_commands", "open_warehouse", "records", "to_json", "routes",
    "cmd_funnel", "cmd_paths", "cmd_pain_points", "cmd_sql",
]

EXIT_CODES = """exit codes:
  0    ok
  2    a problem you can fix (bad config or option, no warehouse yet, SQL error), one line
  1    an internal error (rerun with --debug for the traceback)
  130  interrupted (Ctrl-C, SIGTERM)"""

# Columns the terminal table shows (``--json`` gives every column of the mart).
FUNNEL_COLUMNS = ("stage", "customers", "conversion_from_previous", "conversion_from_start", "dropped")
PAIN_COLUMNS = ("rank", "touchpoint", "segment", "stage", "channel", "score", "sessions", "reason")
VARIANT_COLUMNS = ("variant_rank", "variant", "journeys", "share", "converted", "conversion_rate")
_PERCENT_HINTS = ("rate", "conversion_", "share", "probability")


# --------------------------------------------------------------------------- warehouse


def warehouse_path(args: argparse.Namespace) -> Path:
    """``--warehouse`` if given, else the config's ``warehouse_path``."""
    if getattr(args, "warehouse", None):
        return Path(args.warehouse).expanduser().resolve()
    from .config import load_config

    return load_config(getattr(args, "config", None)).warehouse_path


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection (TimeZone UTC) to the warehouse at ``path``; a missing file
    is a :class:`~journey_mining.errors.ConfigError` (one line, exit 2).

    >>> open_warehouse(Path("/nonexistent/journeys.duckdb"))
    Traceback (most recent call last):
    ...
    journey_mining.errors.ConfigError: no warehouse at /nonexistent/journeys.duckdb: run `journey run` first
    """
    if not path.is_file():
        raise ConfigError(f"no warehouse at {path}: run `journey run` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise ConfigError(f"cannot open the warehouse {path}: {' '.join(str(e).split())}") from None
    con.execute("set TimeZone = 'UTC'")
    return con


def _mart(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """Refuse (one line) a warehouse built before ``table`` existed."""
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = $t and not temporary", {"t": table}
    ).fetchone()[0]
    if not found:
        raise ConfigError(f"the warehouse {path} has no table {table}: run `journey run` again to build it")


# --------------------------------------------------------------------------- output


def _plain(v):
    """A JSON-ready value: ISO timestamps (UTC), NULL/NaN as None, numpy scalars as Python."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float | int | str | bool):
        return None if isinstance(v, float) and math.isnan(v) else v
    if hasattr(v, "item") and not isinstance(v, pd.Timestamp):  # numpy scalar
        return _plain(v.item())
    if isinstance(v, pd.Timestamp):
        return _plain(v.to_pydatetime())
    if isinstance(v, dt.datetime):
        return (v.astimezone(dt.UTC) if v.tzinfo else v).isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal | uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return str(v)


def records(columns: Sequence[str], rows: Sequence[Sequence]) -> list[dict]:
    """Rows as JSON-ready records keyed by column name.

    >>> records(["at", "n", "x"], [(dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), 1, float("nan"))])
    [{'at': '2026-01-02T03:04:00+00:00', 'n': 1, 'x': None}]
    """
    return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def frame_records(df: pd.DataFrame) -> list[dict]:
    return records(list(df.columns), df.itertuples(index=False, name=None))


def to_json(recs: list[dict]) -> str:
    return json.dumps(recs, indent=1, ensure_ascii=False)


def _cell(column: str, v) -> str:
    v = _plain(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if any(h in column for h in _PERCENT_HINTS) and -1.0 <= v <= 1.0:
            return "<0.1%" if 0 < v < 0.0005 else f"{v:.1%}"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _console():
    from rich.console import Console

    tty = sys.stdout.isatty()
    # not a terminal (a pipe, a file, a test): wide, no colours, so nothing is cut or wrapped
    return Console(file=sys.stdout, width=None if tty else max(shutil.get_terminal_size().columns, 200),
                   no_color=not tty, highlight=False)


def print_table(columns: Sequence[str], rows: Sequence[Sequence], title: str | None = None,
                caption: str | None = None) -> None:
    """``rows`` as a Rich table on stdout (numbers right-aligned, rates as percentages)."""
    from rich.table import Table

    rows = list(rows)
    table = Table(title=title, caption=caption, show_lines=False, title_justify="left")
    for i, c in enumerate(columns):
        numeric = bool(rows) and all(
            isinstance(_plain(r[i]), int | float) and not isinstance(_plain(r[i]), bool)
            for r in rows if _plain(r[i]) is not None
        ) and any(_plain(r[i]) is not None for r in rows)
        table.add_column(c, justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        table.add_row(*(_cell(c, v) for c, v in zip(columns, r, strict=True)))
    _console().print(table)


def _emit(args: argparse.Namespace, df: pd.DataFrame, shown: Sequence[str], title: str, caption: str | None = None) -> int:
    if args.json:
        print(to_json(frame_records(df)))
        return 0
    cols = [c for c in shown if c in df.columns]
    print_table(cols, df[cols].itertuples(index=False, name=None), title=title, caption=caption)
    return 0


# --------------------------------------------------------------------------- commands


def cmd_funnel(args: argparse.Namespace) -> int:
    from .metrics import funnel

    path = warehouse_path(args)
    con = open_warehouse(path)
    try:
        if args.by is None:
            _mart(con, "stage_funnel", path)
            return _emit(args, funnel(con), FUNNEL_COLUMNS, "Stage funnel (customers who reached each stage)")
        _mart(con, "stage_funnel_breakdown", path)
        df = funnel(con, by=args.by)
        if df.empty:
            known = [r[0] for r in con.execute(
                "select distinct dimension from stage_funnel_breakdown order by 1").fetchall()]
            raise ConfigError(f"--by {args.by!r}: no such breakdown (known: {', '.join(known) or 'none'})")
    finally:
        con.close()
    return _emit(args, df, ("value", *FUNNEL_COLUMNS), f"Stage funnel by {args.by}")


def routes(G, source: str, target: str, limit: int) -> pd.DataFrame:
    """The ``limit`` most probable routes from ``source`` to ``target`` in a transition graph
    (:func:`journey_mining.graph.build_transition_graph`): simple paths ranked by the product
    of the transition probabilities along them (the share of the flow leaving ``source`` that
    follows the route, if each step depends only on where the customer is); ``transitions``
    is the smallest edge count along the route (how many journeys at most took it whole).

    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", probability=0.5, transitions=5)
    >>> G.add_edge("a", "c", probability=0.5, transitions=5)
    >>> G.add_edge("b", "c", probability=1.0, transitions=5)
    >>> routes(G, "a", "c", 5)[["route", "steps", "probability"]]
           route  steps  probability
    0      a > c      1          0.5
    1  a > b > c      2          0.5
    """
    import networkx as nx

    H = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        p = d.get("probability") or 0.0
        if p > 0:
            H.add_edge(u, v, cost=-math.log(p), probability=p, transitions=d.get("transitions", 0))
    out = []
    if source in H and target in H:
        try:
            for path in nx.shortest_simple_paths(H, source, target, weight="cost"):
                edges = list(zip(path, path[1:], strict=False))
                prob = math.prod(H[u][v]["probability"] for u, v in edges)
                out.append({"route": " > ".join(path), "steps": len(edges), "probability": round(prob, 6),
                            "transitions": min(H[u][v]["transitions"] for u, v in edges)})
                if len(out) >= limit:
                    break
        except nx.NetworkXNoPath:
            pass
    df = pd.DataFrame(out, columns=["route", "steps", "probability", "transitions"])
    return df.sort_values(["probability", "steps", "route"], ascending=[False, True, True], kind="stable",
                          ignore_index=True)


def cmd_paths(args: argparse.Namespace) -> int:
    from .graph import END, START, build_transition_graph
    from .metrics import variants

    path = warehouse_path(args)
    con = open_warehouse(path)
    try:
        if args.source is None and args.target is None:
            _mart(con, "journey_variants", path)
            df = variants(con, level=args.level, grain="customer").head(args.limit)
            return _emit(args, df, VARIANT_COLUMNS,
                         f"Most frequent journeys ({args.level} level, one per customer)")
        _mart(con, f"{args.level}_transitions", path)
        G = build_transition_graph(con, level=args.level)
    finally:
        con.close()
    source, target = args.source or START, args.target or END
    for name in (source, target):
        if name not in G:
            nodes = sorted(n for n in G.nodes if n not in (START, END))
            sample = ", ".join(nodes[:8]) + (", ..." if len(nodes) > 8 else "")
            raise ConfigError(f"{name!r} is not a {args.level} of this warehouse (known: {sample})")
    df = routes(G, source, target, args.limit)
    return _emit(args, df, ("route", "steps", "probability", "transitions"),
                 f"Most probable routes {source} -> {target} ({args.level} level)",
                 caption="probability: product of the transition probabilities along the route")


def cmd_pain_points(args: argparse.Namespace) -> int:
    from .metrics import pain_points

    path = warehouse_path(args)
    con = open_warehouse(path)
    try:
        _mart(con, "pain_points", path)
        df = pain_points(con).head(args.limit)
    finally:
        con.close()
    return _emit(args, df, PAIN_COLUMNS, "Pain points, worst first (docs/pain-points.md)")


def cmd_sql(args: argparse.Namespace) -> int:
    path = warehouse_path(args)
    con = open_warehouse(path)
    try:
        try:
            cur = con.execute(args.query)
            columns = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if columns else []
        except duckdb.Error as e:
            raise ConfigError(f"sql: {' '.join(str(e).split())[:400]}") from None
    finally:
        con.close()
    if args.json:
        print(to_json(records(columns, rows)))
    else:
        print_table(columns, rows, caption=f"{len(rows):,} row(s)")
    return 0


# --------------------------------------------------------------------------- parser


def describe(text: str) -> str:
    """A command description wrapped for ``--help`` (the formatter keeps text as written, so
    that the examples in the epilog stay one per line)."""
    return textwrap.fill(" ".join(text.split()), 88)


def _common(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--config", help="config file whose warehouse to read (default: ./journey.toml, else the bundled sample)")
    where.add_argument("--warehouse", metavar="PATH", help="the warehouse file to read (instead of --config)")
    p.add_argument("--json", action="store_true", help="print a JSON array of records instead of a table")


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return n


def add_query_commands(sub, formatter) -> None:  # noqa: ANN001 - argparse's private subparsers type
    """Register ``funnel``, ``paths``, ``pain-points`` and ``sql`` on ``sub``."""
    f = sub.add_parser(
        "funnel", help="the stage funnel, optionally by a customer attribute", formatter_class=formatter,
        description=describe("Customers who reached each stage, conversion from the previous stage and from the "
                    "first, and how many stopped there (stage_funnel; --by: stage_funnel_breakdown)."),
        epilog="examples:\n  journey funnel\n  journey funnel --by persona --json > funnel.json\n\n" + EXIT_CODES,
    )
    f.add_argument("--by", metavar="ATTR", help="break down by a dimension: a customer attribute (persona, "
                   "country, ...), first_touch_channel or acquisition_week")
    _common(f)
    f.set_defaults(func=cmd_funnel)

    p = sub.add_parser(
        "paths", help="the journeys customers take, or the likely routes between two steps",
        formatter_class=formatter,
        description=describe("Without --from/--to: the most frequent whole journeys (journey_variants, one per "
                    "customer). With --from and/or --to: the most probable routes through the transition "
                    "graph (stage_transitions / touchpoint_transitions) from T (default: the start) to T "
                    "(default: the end)."),
        epilog="examples:\n  journey paths\n  journey paths --level touchpoint --limit 5\n"
               "  journey paths --from consideration --to purchase\n"
               "  journey paths --level touchpoint --from web:page_view:/pricing --json\n\n" + EXIT_CODES,
    )
    p.add_argument("--from", dest="source", metavar="T", help="start at this stage/touchpoint")
    p.add_argument("--to", dest="target", metavar="T", help="end at this stage/touchpoint")
    p.add_argument("--level", choices=("stage", "touchpoint"), default="stage", help="default: stage")
    p.add_argument("--limit", type=_positive, default=10, metavar="N", help="at most N rows (default 10)")
    _common(p)
    p.set_defaults(func=cmd_paths)

    pp = sub.add_parser(
        "pain-points", help="the ranked pain points with their reasons", formatter_class=formatter,
        description=describe("The touchpoints (and segments) that hurt, worst first, each with the reason in "
                    "words (pain_points; docs/pain-points.md)."),
        epilog="examples:\n  journey pain-points\n  journey pain-points --limit 3 --json\n\n" + EXIT_CODES,
    )
    pp.add_argument("--limit", type=_positive, default=10, metavar="N", help="at most N rows (default 10)")
    _common(pp)
    pp.set_defaults(func=cmd_pain_points)

    s = sub.add_parser(
        "sql", help="run a read-only SQL query on the warehouse", formatter_class=formatter,
        description=describe("Run one query on the warehouse through a read-only connection (writes are refused). "
                    "Tables and columns: docs/tables.md, or `describe <table>`."),
        epilog="examples:\n  journey sql \"select stage, customers from stage_funnel order by stage_index\"\n"
               "  journey sql \"select * from pain_points where rank <= 3\" --json\n\n" + EXIT_CODES,
    )
    s.add_argument("query", help="the SQL text")
    _common(s)
    s.set_defaults(func=cmd_sql)
