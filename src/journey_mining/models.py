"""Run the SQL models in ``sql/`` (staging -> intermediate -> marts) against a connection.

Each ``.sql`` file is one model: a single ``select`` (import CTEs, named logic CTEs, a final
``select * from final``) that reads other models by table name. Config values are passed as
bound parameters (``$timeout_seconds``), never formatted into the text. Python decides how
a model is materialized; the SQL only says what it is::

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("create table stg_example as select 1 as x")
    >>> model_sql("staging", "stg_source_events")[:2]
    '--'
"""

from __future__ import annotations

import importlib.resources
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

__all__ = ["sql_dir", "model_sql", "build_table", "model_params", "StepTimer", "TIMER", "timed", "peak_rss_mb"]

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def sql_dir() -> Path:
    """The SQL models: ``sql/`` in a checkout, shipped in the wheel as package data of
    ``journey_mining.sql`` (read via ``importlib.resources``).

    >>> sorted(p.name for p in sql_dir().iterdir() if p.is_dir())
    ['intermediate', 'marts', 'report', 'staging']
    """
    return Path(str(importlib.resources.files("journey_mining.sql")))


@cache
def model_sql(layer: str, name: str) -> str:
    path = sql_dir() / layer / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def model_params(sql: str, params: dict[str, object] | None) -> dict[str, object]:
    """Only the parameters the model names (DuckDB rejects unused named parameters)."""
    wanted = set(_PARAM.findall(_strip_comments(sql)))
    params = params or {}
    missing = wanted - set(params)
    if missing:
        raise KeyError(f"SQL model needs parameters {sorted(missing)}")
    return {k: v for k, v in params.items() if k in wanted}


def build_table(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    name: str,
    params: dict[str, object] | None = None,
    *,
    target: str | None = None,
    temp: bool = False,
) -> str:
    """Materialize model ``layer/name`` as a table (replaced: models are rebuilt, never
    appended, so a re-run gives the same table)."""
    sql = model_sql(layer, name)
    target = target or name
    kind = "temp table" if temp else "table"
    with timed("build", target, detail=f"{layer}/{name}", rows=lambda: _count(con, target)):
        con.execute(f'create or replace {kind} "{target}" as\n{sql}', model_params(sql, params))
    return target


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'select count(*) from "{table}"').fetchall()[0][0]


# --------------------------------------------------------------------------- run_steps timings


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (the kernel's ``ru_maxrss``).

    >>> peak_rss_mb() > 0
    True
    """
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


class StepTimer:
    """Collects the rows of ``run_steps``: one per step or model, with its start, seconds,
    CPU seconds (every thread of the process: DuckDB's too; steadier than wall time on a
    shared machine), rows produced and the process's peak RSS so far when it ended.

    >>> timer = StepTimer()
    >>> with timer.step("build", "t", rows=lambda: 3):
    ...     pass
    >>> [(r["step"], r["model"], r["rows"]) for r in timer.rows]
    [('build', 't', 3)]
    """

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextmanager
    def step(
        self, step: str, model: str | None = None, *, detail: str | None = None,
        rows: Callable[[], int | None] | None = None,
    ) -> Iterator[dict]:
        """Time the block; ``rows()`` (called after it) gives the rows it produced. The
        yielded dict may set ``rows`` itself."""
        info: dict = {"rows": None}
        started_at = datetime.now(UTC)
        t0, c0 = time.perf_counter(), time.process_time()
        yield info
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = rows() if rows is not None else info["rows"]
        self.rows.append({"step": step, "model": model, "detail": detail, "started_at": started_at,
                          "seconds": round(seconds, 4), "cpu_seconds": round(cpu, 4), "rows": n,
                          "peak_rss_mb": peak_rss_mb()})

    def add(self, step: str, *, detail: str | None = None, started_at: datetime | None = None,
            seconds: float | None = None, cpu_seconds: float | None = None, rows: int | None = None,
            peak: float | None = None) -> None:
        """A row for work timed elsewhere (an ingested file, the export)."""
        self.rows.append({"step": step, "model": None, "detail": detail, "started_at": started_at,
                          "seconds": seconds, "cpu_seconds": cpu_seconds, "rows": rows, "peak_rss_mb": peak})


# The timer of the build running in this process (pipeline.build_warehouse sets it);
# None: nothing is recorded (tests, `journey` tools that build tables outside a run).
TIMER: StepTimer | None = None


@contextmanager
def timed(
    step: str, model: str | None = None, *, detail: str | None = None, rows: Callable[[], int | None] | None = None,
) -> Iterator[dict]:
    """:meth:`StepTimer.step` on :data:`TIMER` when a build is recording, else just the block."""
    if TIMER is None:
        yield {"rows": None}
        return
    with TIMER.step(step, model, detail=detail, rows=rows) as info:
        yield info


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
