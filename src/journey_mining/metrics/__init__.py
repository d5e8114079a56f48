"""Journey metrics: marts built from ``events``, ``sessions`` and ``customers``, and
functions that read them back as DataFrames (see docs/metrics.md)."""

from .attribution import attribution, markov_credits
from .base import read_frame, warehouse_connection
from .emotions import emotions
from .pain_points import pain_points
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
    "attribution",
    "build_path_metrics",
    "drop_off",
    "durations",
    "emotions",
    "exit_paths",
    "funnel",
    "loops",
    "markov_credits",
    "pain_points",
    "read_frame",
    "transitions",
    "variants",
    "warehouse_connection",
]
