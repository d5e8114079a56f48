"""Shared by the peer scripts (each runs as its own process, in its own interpreter).

Every baseline reads the same generated web events Parquet and uses the same simplified
identity: the customer key is ``user_id``, else ``anonymous_id`` (no stitching: a visitor's
anonymous events before a login stay a different key). Events are ordered by
(key, occurred_at, event_id); a gap strictly greater than the timeout starts a new session.

A peer prints ONE line of JSON on stdout (the last line): ``events``, ``sessions``, ``pairs``
(``"from_type\\tto_type" -> count`` of directly-follows pairs of ``event_type`` inside a
session, or null when the tool's output is not comparable) and ``phases`` (seconds).
"""

from __future__ import annotations

import json
import sys
import time

COLUMNS = ["event_id", "user_id", "anonymous_id", "event_type", "occurred_at"]


class Phases:
    """Wall time of named phases: ``with phases("read"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._name = ""
        self._t = 0.0

    def __call__(self, name: str) -> Phases:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._t = time.perf_counter()

    def __exit__(self, *exc) -> None:
        self.seconds[self._name] = round(time.perf_counter() - self._t, 3)


def read_web(files: list[str]):
    """The web events as a pandas frame: key, occurred_at (UTC datetime), event_id, event_type."""
    import pandas as pd
    import pyarrow.parquet as pq

    t = pq.ParquetDataset(files).read(columns=COLUMNS).to_pandas()
    df = pd.DataFrame({
        "key": t["user_id"].fillna(t["anonymous_id"]),
        "occurred_at": pd.to_datetime(t["occurred_at"], utc=True, format="ISO8601"),
        "event_id": t["event_id"],
        "event_type": t["event_type"],
    })
    return df[df["key"].notna()]


def sessionize(df, timeout_minutes: int):
    """Sort + groupby-free diff + cumsum: adds ``session`` (an int, global). Returns the sorted frame."""
    import pandas as pd

    df = df.sort_values(["key", "occurred_at", "event_id"], kind="stable", ignore_index=True)
    gap = df["occurred_at"].diff() > pd.Timedelta(minutes=timeout_minutes)
    new = (df["key"] != df["key"].shift()) | gap
    df["session"] = new.cumsum()
    return df


def pair_counts(df) -> dict[str, int]:
    """Directly-follows pairs of event_type inside a session (frame sorted by session, order)."""
    nxt = df["event_type"].shift(-1)
    same = df["session"].eq(df["session"].shift(-1))
    counts = df.loc[same, "event_type"].str.cat(nxt[same], sep="\t").value_counts()
    return {k: int(v) for k, v in counts.items()}


def emit(result: dict) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def args() -> tuple[list[str], int]:
    """``script.py TIMEOUT_MINUTES FILE...``"""
    return sys.argv[2:], int(sys.argv[1])
