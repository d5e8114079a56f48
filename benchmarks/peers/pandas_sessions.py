"""Baseline (b): pandas sessionization (sort + diff + cumsum) and directly-follows counts.

    python pandas_sessions.py TIMEOUT_MINUTES FILE.parquet...
"""

from __future__ import annotations

from _common import Phases, args, emit, pair_counts, read_web, sessionize


def main() -> None:
    files, timeout = args()
    ph = Phases()
    with ph("read"):
        df = read_web(files)
    with ph("sessionize"):
        df = sessionize(df, timeout)
    with ph("pairs"):
        pairs = pair_counts(df)
    emit({"events": len(df), "sessions": int(df["session"].iloc[-1]) if len(df) else 0,
          "pairs": pairs, "phases": ph.seconds})


if __name__ == "__main__":
    main()
