"""Pain points: the touchpoints (and touchpoint segments) that hurt, ranked
(docs/pain-points.md).

Every signal is a column of the ``pain_points`` mart: exit rate against the stage's
same-channel touchpoints, loops against the channel, time to the next event against the
stage's same-kind touchpoints, support tickets and bad ticket ratings that follow it within
``[metrics] support_window_hours``, negative texts, low scores, and unsubscribes / spam
reports / bounces that follow it. Each signal adds ``log2`` of its (shrunk) lift as points,
capped; the score is their sum. Units reached by fewer than
``[metrics] min_touchpoint_volume`` sessions are not ranked.

    >>> from journey_mining.metrics.signals import example_warehouse
    >>> pain_points(example_warehouse())[["rank", "touchpoint"]]
       rank               touchpoint
    0     1    email:email_delivered
    1     2       web:page_view:/pay
    2     3  email:email_unsubscribe
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .base import warehouse_connection

__all__ = ["pain_points"]


def pain_points(
    warehouse: str | Path | duckdb.DuckDBPyConnection,
    *,
    ranked_only: bool = True,
    min_volume: int | None = None,
) -> pd.DataFrame:
    """The ``pain_points`` mart, best-ranked first. ``ranked_only=False`` adds the unranked
    rows (too little volume, no signal, or a segment ranked at another touchpoint) after
    the ranked ones. ``min_volume`` keeps only rows reached by at least that many sessions
    (the ranking itself is the one built with ``[metrics] min_touchpoint_volume``)."""
    with warehouse_connection(warehouse) as con:
        return con.execute(
            "select * from pain_points where ($ranked_only = false or rank is not null) "
            "and ($min_volume is null or sessions >= $min_volume) "
            "order by rank nulls last, score desc, touchpoint, segment nulls first",
            {"ranked_only": ranked_only, "min_volume": min_volume},
        ).df()
