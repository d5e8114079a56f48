"""Nightly increments: the manifest decides what a run reads, and only the customers the
changed events touch are rebuilt (docs/operations.md, "Incremental runs").

1. **Files.** ``input_files`` of the published warehouse lists every input (source, path,
   bytes, mtime, sha256). A file whose path, size and mtime match its row is neither read nor
   hashed: its staged rows are reused. Otherwise it is hashed; same sha256: reused; new
   content: read. A file the manifest lists that is gone: its rows go, unless its source says
   ``keep_deleted_files = true`` (then its staged rows stay, and ``input_files`` marks it
   ``is_deleted``).
2. **Customers.** The *delta* is every event row that may have appeared, disappeared or moved
   between files (rows of new/changed files, rows the published warehouse took from changed or
   removed files, and both copies of any event id among them). Their identifiers, closed over
   the published warehouse's identity clusters and user links
   (``int_incremental_affected_step``, repeated until stable), are the *affected identifiers*:
   every event carrying one is re-stitched, re-sessionized and re-staged by the registry's own
   ``journeys`` models run on just those events (a customer filter around the models, not a
   copy of them); every other row of ``events``, ``sessions``, ``customers`` and
   ``identity_links`` is copied from the published warehouse. Why that is exact: a cluster
   of the new identity graph that holds an affected identifier lies inside the union of old
   clusters of affected identifiers (new links come only from delta events), and the
   closure adds every user linked to an affected cluster and every cluster linked to an
   affected user, so an affected customer's events are all in the rebuilt set and an
   unaffected customer's events are untouched. Anonymous ids (md5 of the cluster's smallest
   identifier) therefore come out as in a full rebuild.
3. **Marts.** Each metrics stage is split by :func:`journey_mining.tables.partial_plan` into a
   *map* (the stored per-customer partials, :data:`journey_mining.tables.STORED_PARTIALS`, with
   the temporaries they read) and a *reduce* (the marts, from the partials). The partials are
   kept in the build file like the merged marts; :func:`build_stage_incremental` runs the
   map's models (the same SQL) with ``events`` / ``sessions`` / ``customers`` shadowed by temp
   tables holding only the affected customers' rows, replaces those customers' rows of every
   stored partial with the rebuilt ones, and runs the reduce over the full partials. Exact
   because a partial's rows of one customer depend only on that customer's rows (and the
   cfg_* rules), and every customer whose rows changed is affected.

A full rebuild is used instead (and the reason recorded in ``runs.refresh_reason``) when
``journey run --full-refresh`` asks for it, there is no published warehouse, the
configuration or the code changed since the last successful run (``config_fingerprint``), or
a profile (``customers``) file changed.

    >>> from journey_mining.config import load_config, sample_config_path
    >>> len(config_fingerprint(load_config(sample_config_path())))
    16
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb

from .config import Config
from .ingest import InputFile, SourceCounts, SourcePlan, StagedFile, _parquet_rows, staged_name
from .models import build_table, sql_dir

__all__ = [
    "Previous",
    "FileDelta",
    "read_previous",
    "config_fingerprint",
    "file_delta",
    "kept_deleted_files",
    "full_refresh_reason",
    "keep_merged_tables",
    "load_incremental",
    "build_incremental",
    "build_stage_incremental",
]

# The columns a run adds to its `runs` row (warehouse.record_run)
RUN_COLUMNS = ("files_new", "files_changed", "files_unchanged", "files_deleted", "files_read", "rows_new")

# The tables an incremental run merges (rows of unaffected customers copied from the published
# warehouse); every other table of the journeys stage is rebuilt whole.
MERGED_MARTS = ("events", "sessions", "customers", "identity_links")


@dataclass(frozen=True)
class Previous:
    """What the published warehouse says about the last successful run."""

    exists: bool = False
    files: dict[tuple[str, str], InputFile] = field(default_factory=dict)  # (source, file) -> row
    fingerprint: str | None = None
    tables: frozenset[str] = frozenset()

    @property
    def staged(self) -> frozenset[tuple[str, str]]:
        """(source, sha256) of every file the manifest lists: whose staged rows may be reused."""
        return frozenset((f.source, f.sha256) for f in self.files.values())


@dataclass(frozen=True)
class FileDelta:
    """How this run's inputs differ from the published manifest (counted per file)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept_deleted: int = 0
    read: int = 0  # files actually read (parsed) this run
    rows_new: int = 0  # rows read from the files read this run
    delta_files: tuple[str, ...] = ()  # current inputs whose rows may differ from the published ones
    gone_files: tuple[str, ...] = ()  # published inputs whose rows may be gone or changed
    profiles_changed: bool = False

    def as_run_columns(self) -> dict[str, int]:
        return {"files_new": self.new, "files_changed": self.changed, "files_unchanged": self.unchanged,
                "files_deleted": self.deleted, "files_read": self.read, "rows_new": self.rows_new}


def read_previous(warehouse: Path) -> Previous:
    """The published warehouse's manifest rows, its last successful run's fingerprint and its
    tables (an empty :class:`Previous` when there is none or it cannot be read)."""
    if not warehouse.exists():
        return Previous()
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return Previous()
    try:
        con.execute("set TimeZone = 'UTC'")
        tables = frozenset(r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall())
        files: dict[tuple[str, str], InputFile] = {}
        if "input_files" in tables:
            for source, file, size, mtime, sha in con.execute(
                "select source, file, bytes, modified_at, sha256 from input_files"
            ).fetchall():
                files[(source, file)] = InputFile(source, file, size, mtime, sha)
        fingerprint = None
        if "runs" in tables:
            cols = {r[0] for r in con.execute("select column_name from duckdb_columns() where table_name = 'runs'").fetchall()}
            if "config_fingerprint" in cols:
                hit = con.execute(
                    "select config_fingerprint from runs where status = 'success' "
                    "order by finished_at desc nulls last limit 1"
                ).fetchall()
                fingerprint = hit[0][0] if hit else None
        return Previous(True, files, fingerprint, tables)
    except duckdb.Error:
        return Previous()
    finally:
        con.close()


@cache
def _code_version() -> str:
    """sha256 over the SQL models and the package's Python code: a new version rebuilds."""
    h = hashlib.sha256()
    pkg = Path(__file__).parent
    for f in sorted([*sql_dir().rglob("*.sql"), *pkg.rglob("*.py")]):
        h.update(str(f.relative_to(f.parents[1])).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def config_fingerprint(config: Config) -> str:
    """What, besides the input rows, decides the tables: every setting but paths and
    resources, and the code version. 16 hex digits; a change means a full rebuild."""
    relevant = dataclasses.replace(
        config, path=None, output_base=Path("."), warehouse_path=Path("."), parquet_dir=Path("."),
        report_path=Path("."), sources=tuple(dataclasses.replace(s, path="") for s in config.sources),
        execution=type(config.execution)(),
    )
    if hasattr(relevant, "full_refresh"):
        relevant = dataclasses.replace(relevant, full_refresh=False)
    return hashlib.sha256((repr(relevant) + _code_version()).encode()).hexdigest()[:16]


def kept_deleted_files(plans: list[SourcePlan], previous: Previous, cache_dir: Path) -> list[StagedFile]:
    """Staged rows of published inputs that are gone from disk but whose source keeps
    deleted files (``keep_deleted_files = true``) and whose staged Parquet is still cached."""
    present = {(p.source.name, str(f)) for p in plans for f in p.files}
    by_name = {p.source.name: p.source for p in plans}
    kept = []
    for (source, file), row in sorted(previous.files.items()):
        src = by_name.get(source)
        if (source, file) in present or src is None or not getattr(src, "keep_deleted_files", False):
            continue
        staged = cache_dir / staged_name(src, row.sha256)
        if staged.is_file():
            kept.append(StagedFile(row, src.is_profile, staged, _parquet_rows(staged), False, 0.0))
    return kept


def file_delta(
    staged: list[StagedFile], previous: Previous, kept: list[StagedFile] = (), event_sources: frozenset[str] = frozenset(),
) -> FileDelta:
    """Count new / changed / unchanged / deleted inputs and name the files whose rows may
    differ. ``event_sources``: the names of the config's event sources (a published file of
    any other source, e.g. a profile source or one no longer configured, that is gone counts
    as a profile change: a full rebuild)."""
    prev = {k: v.sha256 for k, v in previous.files.items()}
    now = {(f.input.source, f.input.file): f for f in staged}
    kept_keys = {(f.input.source, f.input.file) for f in kept}
    new = changed = unchanged = 0
    delta: list[str] = []
    profiles_changed = False
    for key, f in now.items():
        old = prev.get(key)
        if old is None:
            new += 1
        elif old != f.input.sha256:
            changed += 1
        else:
            unchanged += 1
        if old != f.input.sha256 or f.was_read:
            delta.append(f.input.file)
            profiles_changed |= f.is_profile
    current = {(k[0], k[1], f.input.sha256) for k, f in now.items()} | {
        (f.input.source, f.input.file, f.input.sha256) for f in kept
    }
    gone = [(source, file) for (source, file), sha in prev.items() if (source, file, sha) not in current]
    profiles_changed |= any(source not in event_sources for source, _ in gone)
    deleted = sum(1 for k in prev if k not in now and k not in kept_keys)
    return FileDelta(new, changed, unchanged, deleted, len(kept), sum(f.was_read for f in staged),
                     sum(f.rows_read for f in staged if f.was_read), tuple(delta),
                     tuple(file for _, file in gone), profiles_changed)


def full_refresh_reason(config: Config, previous: Previous, delta: FileDelta, *, requested: bool,
                        erasure_pending: bool = False) -> str | None:
    """Why this run must rebuild everything (None: an incremental build is exact)."""
    if requested:
        return "full refresh requested (--full-refresh)"
    if erasure_pending:  # the person's rows may sit in unchanged files: every customer is rebuilt
        return "an erasure (journey forget) is pending"
    if not previous.exists:
        return "no published warehouse"
    from .tables import STORED_PARTIALS

    missing = [t for t in (*MERGED_MARTS, *STORED_PARTIALS, "input_files", "runs") if t not in previous.tables]
    if missing:
        return f"the published warehouse has no {missing[0]} table"
    if previous.fingerprint is None:
        return "the published warehouse records no config fingerprint (first run of this version)"
    if previous.fingerprint != config_fingerprint(config):
        return "the configuration or the code changed since the last successful run"
    if delta.profiles_changed:
        return "a profile (customers) file changed: attributes and links of any customer may change"
    return None


# --------------------------------------------------------------------------- the build


def load_incremental(con: duckdb.DuckDBPyConnection, staged: list[StagedFile], plans: list[SourcePlan],
                     suppress: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None) -> list[SourceCounts]:
    """An incremental run's load: the same balances, ``stg_quarantine`` and ``stg_profiles``
    as :func:`journey_mining.warehouse.load_staged`, and the same duplicate marks
    (``stg_events_deduplicated`` over every staged row, first copy by file then line wins;
    erased people's rows suppressed), but ``stg_events`` holds only the keys and identifiers
    of the loaded rows (``source, event_id, source_file, source_line, user_id, anonymous_id,
    email`` plus the row's staged file and position ``_staged, _row``): a narrow scan of the
    staged Parquet instead of every column of every row, sorted. :func:`build_incremental`
    reads the full rows of the affected customers' events only (:func:`_affected_stg_events`).

    Why it is exact: duplicates are marked over every staged row, as in a full load, with the
    same model and the same ordering columns; only columns nobody reads before the affected
    customers are known are left out."""
    from .ingest import mark_duplicates
    from .warehouse import finish_load, load_staged, staged_map

    events = [f for f in staged if not f.is_profile]
    if not events:  # nothing to narrow
        return load_staged(con, staged, plans, suppress)
    paths = staged_map(con, "_jm_map_stg_file_events", events)
    scan = "read_parquet($f, union_by_name=true, filename=true, file_row_number=true)"
    con.execute(
        "create or replace temp table stg_file_events as "
        "select p.source, p.event_id, m.input_file as source_file, p.source_line, p.status, "
        "null::varchar as reason, null::varchar as position_kind, null::varchar as raw, "
        "p.user_id, p.anonymous_id, p.email, p.filename as _staged, p.file_row_number as _row "
        f"from {scan} p join _jm_map_stg_file_events m on m.staged = p.filename",
        {"f": paths},
    )
    # quarantined rows (few): their reason, position and raw text, read apart (the raw text
    # of every loaded row is never read)
    con.execute(
        "update stg_file_events t set reason = q.reason, position_kind = q.position_kind, raw = q.raw "
        f"from (select filename, file_row_number, reason, position_kind, raw from {scan} where status = 'quarantined') q "
        "where t._staged = q.filename and t._row = q.file_row_number",
        {"f": paths},
    )
    mark_duplicates(con, "stg_event_rows")
    # the same balances, profiles and quarantine as load_staged; stg_events: keys only
    return finish_load(con, staged, plans, suppress,
                       "source, event_id, source_file, source_line, user_id, anonymous_id, email, _staged, _row")


def _affected_stg_events(con: duckdb.DuckDBPyConnection, keys: str) -> None:
    """``stg_events`` (every column, as ``load_staged`` writes it) of the loaded rows of
    ``keys`` (a narrow table of :func:`load_incremental`) that carry an affected identifier:
    read from their staged Parquet by position."""
    con.execute(f"create or replace temp table inc_stg_keys as select source_file, _staged, _row from {keys} where {_FILTER}")
    paths = [r[0] for r in con.execute("select distinct _staged from inc_stg_keys order by 1").fetchall()]
    if not paths:  # nobody affected (a re-run): the models get no events
        from .schema import STG_EVENT_COLUMNS

        con.execute("create temp table stg_events (" + ", ".join(f'"{c}" {t}' for c, t in STG_EVENT_COLUMNS.items()) + ")")
    else:
        con.execute(
            "create temp table stg_events as select p.* exclude (filename, file_row_number, status, reason, "
            "position_kind, raw) replace (k.source_file as source_file) "
            "from read_parquet($f, union_by_name=true, filename=true, file_row_number=true) p "
            "join inc_stg_keys k on k._staged = p.filename and k._row = p.file_row_number "
            "order by source, source_file, source_line",
            {"f": paths},
        )
    con.execute("drop table inc_stg_keys")



def _files_table(con: duckdb.DuckDBPyConnection, name: str, files: tuple[str, ...]) -> None:
    con.execute(f"create or replace temp table {name} (source_file varchar)")
    if files:
        con.executemany(f"insert into {name} values (?)", [[f] for f in files])


def affected_identifiers(con: duckdb.DuckDBPyConnection, delta: FileDelta) -> int:
    """Build ``int_incremental_affected_identifiers`` (typed identifiers whose events are
    rebuilt) from ``stg_events`` and the published ``prev_events`` / ``prev_identity_links``
    views; returns the closure's rounds."""
    _files_table(con, "inc_delta_files", delta.delta_files)
    _files_table(con, "inc_gone_files", delta.gone_files)
    build_table(con, "intermediate", "int_incremental_delta_events", temp=True)
    build_table(con, "intermediate", "int_incremental_prev_clusters", temp=True)
    build_table(con, "intermediate", "int_incremental_affected_init",
                target="int_incremental_affected_identifiers", temp=True)
    rounds = 0
    size = con.execute("select count(*) from int_incremental_affected_identifiers").fetchone()[0]
    while True:
        rounds += 1
        build_table(con, "intermediate", "int_incremental_affected_step",
                    target="int_incremental_affected_next", temp=True)
        con.execute("drop table int_incremental_affected_identifiers")
        con.execute("alter table int_incremental_affected_next rename to int_incremental_affected_identifiers")
        grown = con.execute("select count(*) from int_incremental_affected_identifiers").fetchone()[0]
        if grown == size:
            return rounds
        size = grown


_FILTER = (  # NULL-safe: an event without a user_id is not "unknown", it is not affected by it
    "coalesce(user_id in (select id_value from int_incremental_affected_identifiers where id_type = 'user_id') "
    "or anonymous_id in (select id_value from int_incremental_affected_identifiers where id_type = 'anonymous_id') "
    "or email in (select id_value from int_incremental_affected_identifiers where id_type = 'email'), false)"
)


def keep_merged_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """In a build file that starts as a byte copy of the published warehouse
    (``warehouse.open_build(copy_published=True)``), drop every table but the merged marts
    (:data:`MERGED_MARTS`) and the stored per-customer partials
    (:data:`journey_mining.tables.STORED_PARTIALS`): the rest is rebuilt or carried exactly as
    in a new build file, while ``events``, ``sessions``, ``customers``, ``identity_links`` and
    the partials are edited in place by :func:`build_incremental` (only the affected
    customers' rows are deleted and inserted, instead of copying every unaffected row into a
    new table). Returns the dropped tables."""
    from .tables import STORED_PARTIALS

    kept = {*MERGED_MARTS, *STORED_PARTIALS}
    dropped = [name for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and not temporary "
        "order by table_name").fetchall() if name not in kept]
    for name in dropped:
        con.execute(f'drop table "{name}"')
    for (name,) in con.execute("select view_name from duckdb_views() where not internal and not temporary "
                               "and database_name = current_database()").fetchall():
        con.execute(f'drop view "{name}"')
    return dropped


def _in_place(con: duckdb.DuckDBPyConnection) -> bool:
    """The build file holds the published merged marts (it started as a copy of the warehouse)."""
    have = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and not temporary"
    ).fetchall()}
    return all(t in have for t in MERGED_MARTS)


def build_incremental(con: duckdb.DuckDBPyConnection, config: Config, warehouse: Path, delta: FileDelta) -> dict:
    """Build the journeys marts from the published warehouse plus the affected customers'
    events (see the module docstring), then the signal and path marts from them. Reads
    ``stg_events`` / ``stg_profiles`` (all current rows); returns figures for the ``runs`` row."""
    import time

    from . import tables
    from .inference import create_empty_inputs, journey_params
    from .metrics.paths import path_params
    from .metrics.signals import signal_params

    started = time.perf_counter()
    create_empty_inputs(con, events=False)
    con.execute("attach $p as prev_inc (read_only)", {"p": str(warehouse)})
    try:
        for t in MERGED_MARTS:
            con.execute(f'create or replace temp view "prev_{t}" as select * from prev_inc."{t}"')
        rounds = affected_identifiers(con, delta)
        # the affected customers' events and profile rows, then the registry's journeys models on them
        narrow = "_row" in {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where table_name = 'stg_events'").fetchall()}
        con.execute("alter table stg_events rename to inc_stg_events_all")
        con.execute("alter table stg_profiles rename to inc_stg_profiles_all")
        if narrow:  # load_incremental: the affected rows' columns are read now, from their staged Parquet
            _affected_stg_events(con, "inc_stg_events_all")
        else:
            con.execute(f"create temp table stg_events as select * from inc_stg_events_all where {_FILTER}")
        con.execute(f"create temp table stg_profiles as select * from inc_stg_profiles_all where {_FILTER}")
        rebuilt_events = con.execute("select count(*) from stg_events").fetchone()[0]
        in_place = _in_place(con)
        if in_place:  # the build file is a copy of the published one: its marts are edited, not re-created
            for t in MERGED_MARTS:
                con.execute(f'alter table "{t}" rename to "inc_base_{t}"')
        tables.build_tables(con, config, "journeys", journey_params(config))
        for t in MERGED_MARTS:
            con.execute(f'alter table "{t}" rename to "inc_{t}"')
        # customers whose rows are replaced: the published ones of the removed events, and the rebuilt ones
        con.execute(
            "create temp table inc_affected_customers as "
            f"select distinct customer_id from prev_events where {_FILTER} "
            "union select distinct customer_id from inc_events"
        )
        kept_links = ("not exists (select 1 from int_incremental_affected_identifiers a "
                      "where a.id_type = p.to_type and a.id_value = p.to_value)")
        if in_place:  # delete the affected customers' published rows, insert the rebuilt ones
            con.execute(f"delete from inc_base_events where {_FILTER}")
            for t in ("sessions", "customers"):
                con.execute(f'delete from "inc_base_{t}" '
                            "where customer_id in (select customer_id from inc_affected_customers)")
            con.execute(f"delete from inc_base_identity_links p where not ({kept_links})")
            for t in MERGED_MARTS:
                con.execute(f'insert into "inc_base_{t}" by name select * from "inc_{t}"')
                con.execute(f'alter table "inc_base_{t}" rename to "{t}"')
        else:
            con.execute(
                "create table events as select * from inc_events union all "
                f"select * from prev_events where not ({_FILTER})"
            )
            for t in ("sessions", "customers"):
                con.execute(
                    f'create table "{t}" as select * from "inc_{t}" union all select * from "prev_{t}" '
                    "where customer_id not in (select customer_id from inc_affected_customers)"
                )
            con.execute(f"create table identity_links as select * from inc_identity_links union all "
                        f"select * from prev_identity_links p where {kept_links}")
        customers = con.execute("select count(*) from inc_affected_customers").fetchone()[0]
        if not in_place:  # the stored partials of the unaffected customers, from the published warehouse
            for t in tables.STORED_PARTIALS:
                con.execute(f'create table "{t}" as select * from prev_inc."{t}" '
                            "where customer_id not in (select customer_id from inc_affected_customers)")
        for t in MERGED_MARTS:
            con.execute(f'drop table "inc_{t}"')
            con.execute(f'drop view "prev_{t}"')
        for t in ("inc_stg_events_all", "inc_stg_profiles_all", "inc_delta_files",
                  "inc_gone_files", "int_incremental_delta_events", "int_incremental_prev_clusters",
                  "int_incremental_affected_identifiers"):
            con.execute(f'drop table if exists "{t}"')
    finally:
        con.execute("detach prev_inc")
    merged = time.perf_counter()
    build_stage_incremental(con, config, "signals", signal_params(config))
    build_stage_incremental(con, config, "paths", path_params(config))
    con.execute("drop table inc_affected_customers")
    return {"customers_rebuilt": customers, "events_rebuilt": rebuilt_events, "closure_rounds": rounds,
            "journeys_seconds": round(merged - started, 1), "marts_seconds": round(time.perf_counter() - merged, 1)}


# The journey tables a map reads, shadowed by the affected customers' rows (every partial's
# rows of one customer depend only on that customer's rows of these and the cfg_* rules).
PARTIAL_INPUTS = ("events", "sessions", "customers")


def build_stage_incremental(con: duckdb.DuckDBPyConnection, config: Config, stage: str, params: dict,
                            affected: str = "inc_affected_customers") -> list[str]:
    """Build one metrics ``stage`` of an incremental night from the merged journey tables:
    its map (:func:`journey_mining.tables.partial_plan`: the stored partials and the
    temporaries they read) for the customers listed in table ``affected`` only, then its
    reduce over the full partials. The map runs the registry's own models with temp tables
    ``events`` / ``sessions`` / ``customers`` (the affected customers' rows) shadowing the
    merged ones, and writes each partial as a temp table shadowing the stored one; then the
    stored partial loses the affected customers' rows and gets the rebuilt ones. A stage
    without partials is built whole. Returns the tables built."""
    from . import tables
    from .tables import STORED_PARTIALS

    mapped, reduce = tables.partial_plan(stage)
    partials = [t for t in mapped if t in STORED_PARTIALS]
    if partials:
        db = '"' + con.execute("select current_database()").fetchone()[0].replace('"', '""') + '"'
        try:
            for t in PARTIAL_INPUTS:
                con.execute(f'create or replace temp table "{t}" as select * from {db}.main."{t}" '
                            f"where customer_id in (select customer_id from {affected})")
            tables.build_tables(con, config, stage, params, only=mapped, partials_temp=True)
            for t in partials:
                con.execute(f'delete from {db}.main."{t}" where customer_id in (select customer_id from {affected})')
                con.execute(f'insert into {db}.main."{t}" by name select * from temp.main."{t}"')
                con.execute(f'drop table temp.main."{t}"')
        finally:
            for t in (*PARTIAL_INPUTS, *partials):
                con.execute(f'drop table if exists temp.main."{t}"')
    return mapped + tables.build_tables(con, config, stage, params, only=reduce)


def modified_at_matches(row: InputFile, size: int, mtime: datetime) -> bool:
    """The manifest's shortcut: same size and modification time (to the microsecond)."""
    return row.bytes == size and row.modified_at == mtime
