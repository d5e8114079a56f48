"""The journeys stage sharded by customer (``[execution] shards``, docs/scale.md).

Identity stitching is global and exact: the tables of the ``journeys`` stage that do not
depend on a per-customer table (``int_events``, ``int_identity_*``, ``int_event_customers``,
``int_customer_*``, ``identity_links``, the ``cfg_*`` rules) are built once, in the run's
connection. Then every customer goes to shard :func:`shard_of` ``(customer_id, n)``, a stable
md5-based hash, and the per-customer tables (:data:`journey_mining.tables.PER_CUSTOMER`:
touchpoints, sessions, stages, the ``events``, ``sessions`` and ``customers`` marts) are built
per shard, each in its own DuckDB file and connection, by the SAME models
(:func:`journey_mining.models.build_table`). The reduce step unions the shards' outputs into
the run's connection. Each shard also builds the map of the metrics stages (their stored
per-customer partials, :func:`journey_mining.tables.partial_plan`), unioned likewise; the
metrics stages' reduce then runs once over the unioned partials and tables, exactly as
without shards. Shards run one after another in this process
(``executor = "local"``) or on a Dask cluster (``executor = "dask"``,
``journey_mining.flows.dask_shards``).

    >>> shard_of("u1", 3), shard_of("anon:0a1b2c", 3)
    (2, 1)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import tables
from .config import Config

__all__ = ["shard_of", "SHARD_SQL", "ShardTask", "ShardResult", "build_shard", "build_sharded_journeys",
           "sharded_plan", "run_shards_locally"]

# The shard of a customer: the first 8 hex digits of md5(customer_id as UTF-8) as an unsigned
# 32-bit number, modulo the number of shards. md5 is fixed by RFC 1321, so the assignment is
# the same in every DuckDB and Python version (DuckDB's hash() is not guaranteed to be).
SHARD_SQL = "(('0x' || left(md5(customer_id), 8))::ubigint % $shards)::integer"


def shard_of(customer_id: str, shards: int) -> int:
    """The shard (0 .. shards-1) of one customer, as the run computes it in SQL (:data:`SHARD_SQL`).

    >>> shard_of("u1", 1)
    0
    >>> int(hashlib.md5(b"u1").hexdigest()[:8], 16) % 4 == shard_of("u1", 4)
    True
    """
    return int(hashlib.md5(customer_id.encode("utf-8")).hexdigest()[:8], 16) % shards


@dataclass(frozen=True)
class ShardTask:
    """One shard's work: build ``tables`` (in order) in the DuckDB file ``path``, which holds
    the shard's rows of every input table; keep ``outputs`` (regular tables) for the reduce.
    Self-contained and picklable: a Dask worker runs it from this alone (``path`` must be on a
    folder every worker sees)."""

    index: int
    count: int
    path: str
    tables: tuple[str, ...]
    outputs: tuple[str, ...]
    params: dict
    config: Config
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ShardResult:
    index: int
    path: str
    rows: dict
    seconds: float
    process: str = ""  # host:pid that built it (a Dask worker's, with the dask executor)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(f'describe "{table}"').fetchall()}


def sharded_plan(keep_intermediate: bool = False) -> tuple[list[str], list[str], list[str], list[str]]:
    """The journeys stage split for sharding: (global tables built before the shards, the
    per-customer tables built in each shard, the global tables built after the reduce, the
    per-customer tables the reduce unions: the kept ones and those read outside the shards).

    >>> before, per_shard, after, unioned = sharded_plan()
    >>> "int_identity_clusters" in before, "int_event_sessions" in per_shard, unioned
    (True, True, ['events', 'sessions', 'customers'])
    """
    order = tables.build_order("journeys")
    sharded = set(tables.PER_CUSTOMER)
    downstream: set[str] = set()
    for t in order:  # dependency order: a table reading a sharded (or downstream) one is downstream
        if t.name not in sharded and any(d in sharded or d in downstream for d in t.depends_on):
            downstream.add(t.name)
    before = [t.name for t in order if t.name not in sharded and t.name not in downstream]
    per_shard = [t.name for t in order if t.name in sharded]
    after = [t.name for t in order if t.name in downstream]
    read_outside = {d for t in tables.TABLES.values() if t.name not in sharded for d in t.depends_on}
    unioned = [n for n in per_shard if keep_intermediate or not tables.TABLES[n].temporary or n in read_outside]
    return before, per_shard, after, unioned


def _build(con: duckdb.DuckDBPyConnection, config: object, names: Sequence[str], params: dict,
           temporary: Callable[[str], bool]) -> None:
    """Build the declared tables ``names`` in order (models, or Python producers once each)."""
    from .models import build_table

    called: set[int] = set()
    for name in names:
        t = tables.TABLES[name]
        if t.model is not None:
            layer, model = t.model.split("/")
            build_table(con, layer, model, params, target=name, temp=temporary(name))
        elif id(t.function) not in called:
            called.add(id(t.function))
            t.function(con, config, temporary(name))


def _drop_unneeded(con: duckdb.DuckDBPyConnection, candidates: Sequence[str], still_to_build: Sequence[str]) -> None:
    """Drop the temporary tables among ``candidates`` that nothing in ``still_to_build`` reads."""
    needed = {d for n in still_to_build for d in tables.TABLES[n].depends_on}
    for name in candidates:
        if tables.TABLES[name].temporary and name not in needed:
            con.execute(f'drop table if exists "{name}"')


def build_shard(task: ShardTask) -> ShardResult:
    """Build one shard's per-customer tables in its own DuckDB file (the map step). Inputs are
    dropped as soon as nothing left reads them; ``outputs`` stay as regular tables."""
    from .ingest import new_connection

    started = time.perf_counter()
    settings = dict(task.settings)
    if "temp_directory" in settings:  # one spill folder per shard: shards may run at the same time
        settings["temp_directory"] = str(Path(str(settings["temp_directory"])) / f"shard-{task.index}")
    con = new_connection(task.path, settings)
    try:
        inputs = [r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = current_database()").fetchall()]
        outputs = set(task.outputs)
        for i, name in enumerate(task.tables):
            _build(con, task.config, [name], task.params, lambda n: n not in outputs)
            rest = task.tables[i + 1:]
            needed = {d for n in rest for d in tables.TABLES[n].depends_on}
            for done in [*inputs, *task.tables[:i + 1]]:
                if done not in outputs and done not in needed:
                    con.execute(f'drop table if exists "{done}"')
        rows = {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in task.outputs}
        con.execute("checkpoint")
    finally:
        con.close()
    return ShardResult(task.index, task.path, rows, time.perf_counter() - started,
                       f"{socket.gethostname()}:{os.getpid()}")


def run_shards_locally(tasks: Sequence[ShardTask]) -> list[ShardResult]:
    """The ``local`` executor: one shard after another in this process (bounds memory to one
    shard's working set)."""
    return [build_shard(t) for t in tasks]


def _shard_runner(config: Config) -> Callable[[Sequence[ShardTask]], list[ShardResult]]:
    if config.execution.executor == "dask":
        from journey_mining.flows.dask_shards import run_shards_on_dask  # needs the `dask` extra

        return lambda tasks: run_shards_on_dask(tasks, config.execution.dask_address)
    return run_shards_locally


def _write_shard_inputs(con: duckdb.DuckDBPyConnection, inputs: Sequence[str], shards: int, folder: Path,
                        shard_tables: tuple[str, ...], outputs: tuple[str, ...], params: dict, config: Config,
                        settings: dict) -> list[ShardTask]:
    """Partition the global inputs of the per-customer tables into one DuckDB file per shard:
    a table with ``customer_id`` by its shard, one with ``event_key`` by its event's customer,
    any other (the rules) whole."""
    con.execute(
        f"create or replace temp table _shard_customers as select customer_id, {SHARD_SQL} as shard_id "
        "from (select distinct customer_id from int_event_customers)", {"shards": shards})
    con.execute("create or replace temp table _shard_events as select event_key, shard_id "
                "from int_event_customers inner join _shard_customers using (customer_id)")
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {}
    for name in inputs:
        cols = _columns(con, name)
        kinds[name] = "customer_id" if "customer_id" in cols else "event_key" if "event_key" in cols else None
    tasks = []
    for k in range(shards):
        path = folder / f"shard-{k:04d}.duckdb"
        path.unlink(missing_ok=True)
        con.execute(f"attach {_quote_literal(str(path))} as _shard")
        try:
            for name, key in kinds.items():
                if key is None:
                    con.execute(f'create table _shard."{name}" as select * from "{name}"')
                else:
                    keys = "_shard_customers" if key == "customer_id" else "_shard_events"
                    con.execute(
                        f'create table _shard."{name}" as select * from "{name}" '
                        f'where {key} in (select {key} from {keys} where shard_id = $k)', {"k": k})
        finally:
            con.execute("detach _shard")
        tasks.append(ShardTask(k, shards, str(path), shard_tables, outputs, params, config, settings))
    con.execute("drop table _shard_events")
    con.execute("drop table _shard_customers")
    return tasks


def _reduce(con: duckdb.DuckDBPyConnection, results: Sequence[ShardResult], outputs: Sequence[str],
            temporary: Callable[[str], bool]) -> None:
    """Union every shard's outputs into the run's connection (the reduce step)."""
    aliases = []
    try:
        for r in sorted(results, key=lambda r: r.index):
            alias = f"_shard_{r.index}"
            con.execute(f"attach {_quote_literal(r.path)} as {alias} (read_only)")
            aliases.append(alias)
        for name in outputs:
            union = "\nunion all\n".join(f'select * from {a}."{name}"' for a in aliases)
            kind = "temp table" if temporary(name) else "table"
            con.execute(f'create or replace {kind} "{name}" as\n{union}')
    finally:
        for alias in aliases:
            con.execute(f"detach {alias}")


def build_sharded_journeys(con: duckdb.DuckDBPyConnection, config: Config, params: dict, folder: Path, *,
                           keep_intermediate: bool = False,
                           runner: Callable[[Sequence[ShardTask]], list[ShardResult]] | None = None,
                           maps: Sequence[str] = ()) -> list[ShardResult]:
    """The ``journeys`` stage, sharded: global identity tables, then the per-customer tables
    per shard (``runner``: the config's executor), then the reduce; same tables as
    :func:`journey_mining.tables.build_tables` builds unsharded. ``folder``: where the shard
    files go (removed at the end; on a Dask cluster a folder every worker sees).

    ``maps``: metrics stages whose map (:func:`journey_mining.tables.partial_plan`: the stored
    per-customer partials and the temporaries they read) is built in each shard too, after its
    ``events`` / ``sessions`` / ``customers``, and unioned (issue 10's per-shard partial
    metrics); ``params`` must then hold those stages' parameters as well, and the caller
    builds only their reduce."""
    from .ingest import RUN_SETTINGS

    before, per_shard, after, unioned = sharded_plan(keep_intermediate)
    mapped = [n for stage in maps for n in tables.partial_plan(stage)[0]]
    # a config table the map reads (cfg_pain_segments) has no customer rows: built once here
    # and copied whole into every shard, never unioned (N copies of its rows)
    before = before + [n for n in mapped if n.startswith("cfg_")]
    mapped = [n for n in mapped if not n.startswith("cfg_")]
    per_shard = per_shard + mapped
    unioned = unioned + [n for n in mapped if keep_intermediate or not tables.TABLES[n].temporary]
    temporary = (lambda n: False) if keep_intermediate else (lambda n: tables.TABLES[n].temporary)
    try:
        _build(con, config, before, params, temporary)
        sharded = set(per_shard)
        inputs = list(dict.fromkeys(d for n in per_shard for d in tables.TABLES[n].depends_on if d not in sharded))
        tasks = _write_shard_inputs(con, inputs, config.execution.shards, folder, tuple(per_shard), tuple(unioned),
                                    params, config, dict(RUN_SETTINGS))
        if not keep_intermediate:
            _drop_unneeded(con, before, after)
        results = (runner or _shard_runner(config))(tasks)
        _reduce(con, results, unioned, temporary)
        _build(con, config, after, params, temporary)
        if not keep_intermediate:
            for name in tables.names("journeys", temporary=True):
                con.execute(f'drop table if exists "{name}"')
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results
