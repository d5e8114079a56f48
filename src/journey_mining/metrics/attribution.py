"""Attribution: which touchpoints and channels get the credit for conversions
(docs/attribution.md).

Paths are per customer: the touchpoints (channels) before their first conversion, or all of
them when they never convert, consecutive repeats collapsed. Rule-based models (first
touch, last touch, linear, position-based 40/20/40) are SQL over the paths; the Markov
model is the removal effect of an absorbing Markov chain over the aggregated transitions,
solved exactly with the fundamental matrix ``N = (I - Q)^-1`` (no simulation). Each
customer's credits and transition counts are stored per customer
(``partial_attribution_credits``, ``partial_attribution_transitions``), so an incremental
night recomputes only the affected customers' and sums them again.

The analyzecore (2016) example, paths ``C1 > C2 > C3`` (converted), ``C1`` and
``C2 > C3`` (not converted)::

    >>> credits = markov_credits([("(start)", "C1", 2), ("(start)", "C2", 1), ("C1", "C2", 1),
    ...     ("C1", "(null)", 1), ("C2", "C3", 2), ("C3", "(conversion)", 1), ("C3", "(null)", 1)])
    >>> {name: round(credit, 6) for name, (credit, _) in sorted(credits.items())}
    {'C1': 0.2, 'C2': 0.4, 'C3': 0.4}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..models import build_table
from .base import warehouse_connection

__all__ = ["START", "CONVERSION", "NULL", "MODELS", "LEVELS", "markov_credits",
           "build_attribution", "attribution"]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
MODELS = ("first_touch", "last_touch", "linear", "position_based", "markov")
LEVELS = ("touchpoint", "channel")


def markov_credits(transitions: Iterable[tuple[str, str, int]]) -> dict[str, tuple[float, float]]:
    """``{state: (credit, removal_effect)}`` of the first-order absorbing Markov chain given
    by ``(from_state, to_state, count)`` rows framed by ``(start)`` and ``(conversion)`` or
    ``(null)``. Credits share the observed conversions (the count into ``(conversion)``) in
    proportion to the removal effects ``RE(s) = 1 - P(conversion | s removed) / P(conversion)``.

    Removing ``s`` sends every path that reaches it to ``(null)``, so with
    ``N = (I - Q)^-1`` and ``B = N R`` the chance of converting drops by the chance of
    reaching ``s`` (``N[start, s] / N[s, s]``) times ``B[s, conversion]``: one inverse gives
    every removal effect.
    """
    rows = [(f, t, float(n)) for f, t, n in transitions if n]
    conversions = sum(n for _, t, n in rows if t == CONVERSION)
    states = sorted(({f for f, _, _ in rows} | {t for _, t, _ in rows}) - {START, CONVERSION, NULL})
    if not states or conversions == 0:
        return {s: (0.0, 0.0) for s in states}
    index = {s: i for i, s in enumerate([START, *states])}
    size = len(index)
    counts = np.zeros((size, size))
    to_conversion = np.zeros(size)
    out = np.zeros(size)
    for f, t, n in rows:
        out[index[f]] += n
        if t == CONVERSION:
            to_conversion[index[f]] += n
        elif t != NULL:
            counts[index[f], index[t]] += n
    q = counts / out[:, None]
    r = to_conversion / out
    fundamental = np.linalg.inv(np.eye(size) - q)
    absorbed = fundamental @ r  # P(conversion) from each state
    p = absorbed[0]
    if p <= 0:
        return {s: (0.0, 0.0) for s in states}
    effects = np.array([
        fundamental[0, i] / fundamental[i, i] * absorbed[i] / p for i in range(1, size)
    ])
    effects = np.clip(effects, 0.0, 1.0)
    total = effects.sum()
    return {
        s: (float(conversions * effects[i] / total) if total > 0 else 0.0, float(effects[i]))
        for i, s in enumerate(states)
    }


def build_attribution(con: duckdb.DuckDBPyConnection, *, temp: bool = True) -> None:
    """Build ``int_attribution_paths``, the per-customer partials
    (``partial_attribution_transitions``, ``partial_attribution_credits``: kept, see
    :data:`journey_mining.tables.STORED_PARTIALS`), the Markov credits and the ``attribution``
    mart from ``events`` (with ``int_pain_event_flow``) and ``cfg_stages``."""
    build_table(con, "intermediate", "int_attribution_paths", temp=temp)
    build_table(con, "intermediate", "partial_attribution_transitions")
    build_table(con, "intermediate", "partial_attribution_credits")
    build_table(con, "intermediate", "int_attribution_transitions", temp=temp)
    build_markov_credits(con, temp=temp)
    build_table(con, "marts", "attribution")
    if temp:
        for name in ("int_attribution_paths", "int_attribution_transitions", "int_attribution_markov"):
            con.execute(f'drop table if exists "{name}"')


def build_markov_credits(con: duckdb.DuckDBPyConnection, *, temp: bool = True) -> None:
    """``int_attribution_markov`` (level, name, credit, removal_effect) from
    ``int_attribution_transitions``: the Markov model runs in Python (:func:`markov_credits`)."""
    rows = []
    for level in LEVELS:
        transitions = con.execute(
            "select from_state, to_state, transitions from int_attribution_transitions "
            "where level = $level order by from_state, to_state", {"level": level}
        ).fetchall()
        for name, (credit, effect) in markov_credits(transitions).items():
            rows.append((level, name, credit, effect))
    frame = pd.DataFrame(rows, columns=["level", "name", "credit", "removal_effect"])
    frame = frame.astype({"level": object, "name": object, "credit": "float64", "removal_effect": "float64"})
    kind = "temp table" if temp else "table"
    con.register("_jm_markov", frame)
    try:
        con.execute(
            f"create or replace {kind} int_attribution_markov as select level::varchar as level, "
            "name::varchar as name, credit::double as credit, removal_effect::double as removal_effect "
            "from _jm_markov"
        )
    finally:
        con.unregister("_jm_markov")


def attribution(
    warehouse: str | Path | duckdb.DuckDBPyConnection,
    level: str = "channel",
    model: str | None = None,
) -> pd.DataFrame:
    """The ``attribution`` mart at one ``level`` (``"touchpoint"`` or ``"channel"``), for one
    ``model`` (``first_touch``, ``last_touch``, ``linear``, ``position_based``, ``markov``)
    or all (``None``), most credit first.

    >>> from journey_mining.metrics.signals import example_warehouse
    >>> con = example_warehouse()
    >>> attribution(con, level="channel", model="markov")[["name", "credit"]]
          name  credit
    0      web     1.0
    1    email     0.0
    2  support     0.0
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if model is not None and model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    with warehouse_connection(warehouse) as con:
        return con.execute(
            "select * from attribution where level = $level and ($model is null or model = $model) "
            "order by model, credit desc, name",
            {"level": level, "model": model},
        ).df()
