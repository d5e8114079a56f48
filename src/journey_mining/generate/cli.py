"""The ``journey generate`` arguments."""

from __future__ import annotations

import argparse
from pathlib import Path

from .parameters import FORMATS
from .simulation import generate


def add_generate_arguments(
    parser: argparse.ArgumentParser, default_out: str = "data/sample"
) -> argparse.ArgumentParser:
    """Add ``--customers --seed --out --days --start --format`` (dest ``fmt``) to a parser.

    Use with :func:`generate_from_args`::

        p = sub.add_parser("generate", help="write synthetic sample data")
        add_generate_arguments(p)
        ...
        counts = generate_from_args(args)
    """
    parser.add_argument("--customers", type=int, default=3000, metavar="N",
                        help="number of people to simulate (default 3000; ~27 events each)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, default=Path(default_out), metavar="DIR",
                        help=f"output folder (default {default_out})")
    parser.add_argument("--days", type=int, default=61, help="length of the period in days (default 61)")
    parser.add_argument("--start", default="2026-09-01", metavar="YYYY-MM-DD",
                        help="first day of the period, UTC (default 2026-09-01)")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="sample",
                        help="sample: web CSV with a few bad rows; bench: web Parquet, no bad rows")
    return parser


def generate_from_args(args: argparse.Namespace) -> dict:
    return generate(args.out, customers=args.customers, seed=args.seed, start=args.start,
                    days=args.days, fmt=args.fmt)
