"""Journey metrics: marts built from ``events``, ``sessions`` and ``customers``, and
functions that read them back as DataFrames (see docs/metrics.md)."""

from .paths import (
    build_path_metrics,
    drop_off,
    durations,
    exit_paths,
    funnel,
    loops,
    transitions,
    variants,
)

__all__ = [
    "build_path_metrics",
    "drop_off",
    "durations",
    "exit_paths",
    "funnel",
    "loops",
    "transitions",
    "variants",
]
