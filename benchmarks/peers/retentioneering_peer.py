"""Baseline (c): retentioneering (5.2.x): an Eventstream over the web events, split_sessions
with the same timeout, and the transition counts between events inside sessions
(``transition_graph_data(edge_weight="count", path_col="session_id")``). Runs only in the
benchmark's own virtualenv (benchmarks/.peers-venv); usage tracking is switched off.

    python retentioneering_peer.py TIMEOUT_MINUTES FILE.parquet...
"""

from __future__ import annotations

import os

os.environ.setdefault("RETENTIONEERING_NO_TRACK", "1")  # before the import: no network

from _common import Phases, args, emit, read_web  # noqa: E402


def main() -> None:
    files, timeout = args()
    ph = Phases()
    with ph("read"):
        df = read_web(files).rename(columns={"key": "user_id", "event_type": "event", "occurred_at": "timestamp"})
    with ph("import"):
        from retentioneering.eventstream import Eventstream
    with ph("eventstream"):
        stream = Eventstream(df[["user_id", "event", "timestamp", "event_id"]],
                             schema={"path_cols": ["user_id"], "event_col": "event", "timestamp_col": "timestamp",
                                     "custom_cols": ["event_id"]})
    with ph("split_sessions"):
        sessions = stream.split_sessions(timeout=f"{timeout}m")
    with ph("transition_counts"):
        matrix = sessions.transition_graph_data(edge_weight="count", path_col="session_id")
    web_events = set(df["event"].unique())
    pairs = {}
    for a, row in matrix.iterrows():  # events x events: a few dozen cells, not rows of data
        for b, n in row.items():
            if n and a in web_events and b in web_events:
                pairs[f"{a}\t{b}"] = int(n)
    out = sessions.to_dataframe()
    emit({"events": len(df), "sessions": int(out["session_id"].nunique()), "pairs": pairs,
          "phases": ph.seconds})


if __name__ == "__main__":
    main()
