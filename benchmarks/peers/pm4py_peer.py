"""Baseline (d): PM4Py: the directly-follows graph and the variants of the web events, one
case per session. PM4Py has no sessionization, so the sessions are cut with pandas first
(the same sort + diff + cumsum as the pandas baseline; timed as its own phase).

PM4Py is AGPL-3.0: it is installed only in the benchmark's own virtualenv and runs only as
this separate process; journey_mining never imports it.

    python pm4py_peer.py TIMEOUT_MINUTES FILE.parquet...
"""

from __future__ import annotations

from _common import Phases, args, emit, read_web, sessionize


def main() -> None:
    files, timeout = args()
    ph = Phases()
    with ph("read"):
        df = read_web(files)
    with ph("sessionize"):
        df = sessionize(df, timeout)
        df["case"] = df["session"].astype(str)
    with ph("import"):
        import pm4py
    with ph("dfg"):
        dfg, _start, _end = pm4py.discover_dfg(df, case_id_key="case", activity_key="event_type",
                                               timestamp_key="occurred_at")
    with ph("variants"):
        variants = pm4py.get_variants(df, case_id_key="case", activity_key="event_type",
                                      timestamp_key="occurred_at")
    emit({"events": len(df), "sessions": int(df["session"].iloc[-1]) if len(df) else 0,
          "pairs": {f"{a}\t{b}": int(n) for (a, b), n in dfg.items()}, "variants": len(variants),
          "phases": ph.seconds})


if __name__ == "__main__":
    main()
