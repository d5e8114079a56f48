"""Ingest: every source format into canonical events, quarantining what cannot be used.

One source is ingested on its own (:func:`ingest_source`), in its own DuckDB connection,
and leaves its result as Parquet files in a scratch folder: ``events.parquet`` (loaded
canonical events), ``quarantine.parquet`` (rejected rows with file, line, raw text and
reason) or ``profiles.parquet``. Sources are independent, so they can run in parallel
(threads, processes or Dask workers); the warehouse build then reads the scratch folder.

    >>> from journey_mining.config import load_config, sample_config_path
    >>> plans = plan_sources(load_config(sample_config_path()))
    >>> sorted(p.source.format for p in plans)[:2]
    ['customers', 'events']
"""

from __future__ import annotations

import hashlib
import importlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from ..config import Config, SourceConfig
from ..errors import SourceError, one_line
from ..models import build_table, model_params, model_sql
from .base import (
    EVENT_COLUMNS,
    MAX_EPOCH_S,
    MAX_EVENT_YEAR,
    MIN_EPOCH_S,
    MIN_EVENT_YEAR,
    PROFILE_OUT_COLUMNS,
    ReaderOutput,
    ident,
    list_files,
)

__all__ = [
    "READER_MODULES",
    "SourcePlan",
    "SourceCounts",
    "plan_sources",
    "ingest_source",
    "stage_source",
    "stage_file",
    "mark_duplicates",
    "ingest_file",
    "hash_file",
    "staging_key",
    "staged_name",
    "InputFile",
    "StagedFile",
    "reader_for",
    "new_connection",
    "out_of_memory",
]

READER_MODULES = {
    "events": "events",
    "customers": "customers",
    "segment": "segment",
    "sendgrid": "sendgrid",
    "zendesk": "zendesk",
    "xes": "xes",
}

Reader = Callable[[duckdb.DuckDBPyConnection, SourceConfig, Path], ReaderOutput]


@dataclass(frozen=True)
class SourcePlan:
    source: SourceConfig
    files: tuple[Path, ...]


@dataclass(frozen=True)
class SourceCounts:
    """The nothing-lost balance of one source in one run."""

    source: str
    format: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    seconds: float
    rows_suppressed: int = 0  # rows of erased people (journey forget): not loaded

    def as_dict(self) -> dict:
        return asdict(self)


def reader_for(fmt: str) -> tuple[Reader, str | None]:
    """The reader function of a format and its default timestamp format."""
    if fmt not in READER_MODULES:
        raise SourceError(f"unknown format {fmt!r} (known: {', '.join(READER_MODULES)})")
    module = importlib.import_module(f"{__name__}.{READER_MODULES[fmt]}")
    return module.read, getattr(module, "DEFAULT_TIMESTAMP_FORMAT", None)


def plan_sources(config: Config) -> list[SourcePlan]:
    """Resolve every source's files; fails (before anything is written) on a source whose
    glob matches nothing or whose format has no reader."""
    from .preflight import preflight_plans

    plans = []
    for source in config.sources:
        reader_for(source.format)
        plans.append(SourcePlan(source, tuple(list_files(source))))
    preflight_plans(plans)  # encodings, mapped columns in each header, files read twice
    return plans


# DuckDB settings every connection of the current run gets (``[execution]``: memory_limit,
# threads, temp_directory); the pipeline sets them for its run (journey_mining.pipeline).
RUN_SETTINGS: dict[str, object] = {}
CONNECTION_SETTINGS = ("memory_limit", "threads", "temp_directory", "preserve_insertion_order")
# The memory_limit a file's staging is retried with, once, after running out of memory under
# the run's limit; None: no retry. The pipeline sets it only when ``[execution] memory_limit``
# is not configured (config.ExecutionConfig.retry_memory_limit: the machine's uncapped share):
# the capped default bounds a run's memory, but one input file whose reader needs more (a
# whole-document JSON export needs about 20x its size) still loads. A limit the user set is
# never exceeded: there, running out of memory is the one-line error naming the setting.
RETRY_MEMORY_LIMIT: str | None = None


def new_connection(path: str | Path = ":memory:", settings: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC with the run's resource settings (``RUN_SETTINGS``, or
    ``settings`` when given; values are bound, names come from ``CONNECTION_SETTINGS``)."""
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")  # progress is ours to report, on stderr
    for key, value in (RUN_SETTINGS if settings is None else settings).items():
        if key not in CONNECTION_SETTINGS:
            raise ValueError(f"unknown connection setting {key!r}")
        con.execute(f"set {key} = $v", {"v": value})
    return con


def _timestamp_params(source: SourceConfig, default: str | None) -> dict[str, object]:
    fmt = source.options.timestamp_format or default or "iso"
    tz = source.options.timezone
    if fmt in ("iso", "epoch_s", "epoch_ms"):
        return {"ts_format": fmt, "strptime_format": "%Y-%m-%d", "timezone": tz, "strptime_zone": tz}
    # A pattern with %z yields UTC instants already; without, local times in `timezone`.
    zone = "UTC" if "%z" in fmt or "%Z" in fmt else tz
    return {"ts_format": "strptime", "strptime_format": fmt, "timezone": tz, "strptime_zone": zone}


_SANE_RANGE = {
    "min_year": MIN_EVENT_YEAR,
    "max_year": MAX_EVENT_YEAR,
    "min_epoch_s": float(MIN_EPOCH_S),
    "max_epoch_s": float(MAX_EPOCH_S),
}


def out_of_memory(source_name: str, file: object, retried_with: str | None = None) -> SourceError:
    """The one-line error for a reader that ran out of memory: never a quarantined file
    (its rows are not bad: with more memory they load)."""
    mem = RUN_SETTINGS.get("memory_limit", "the default")
    retried = f", then {retried_with} on a retry" if retried_with else ""
    return ReaderOutOfMemory(
        f"source {source_name!r}: DuckDB ran out of memory reading {file} "
        f"(execution.memory_limit = {mem}{retried}): raise [execution] memory_limit"
    )


class ReaderOutOfMemory(SourceError):
    """:func:`out_of_memory`'s error: a one-line SourceError a caller can tell apart."""


class _OutOfMemory(Exception):
    """Staging one file ran out of memory (see :func:`_stage_into`)."""


def stage_file(
    con: duckdb.DuckDBPyConnection,
    plan: SourcePlan,
    file: Path,
    target: str = "_file_staged",
    *,
    parquet: Path | None = None,
) -> str:
    """Read ONE file of a source and run its per-file staging model; returns the name of a
    temp table with one row per row read (``status`` loaded | quarantined; duplicates across
    files are marked later, over all staged files: :func:`mark_duplicates`).

    The reader's relation reaches the staging model through the view ``_src_raw`` (no copy);
    a reader that builds raw text on demand (``ReaderOutput.raw_sql``) is asked for it only
    for the quarantined rows, so ``raw`` of its loaded rows is NULL.

    ``parquet``: instead of a temp table, stream the staged rows into this Parquet file
    (returned) in :data:`STAGED_ORDER`, with ``raw`` of quarantined rows only (the only rows
    it is ever used for: ``warehouse.load_staged``)."""
    source = plan.source
    read, default_ts = reader_for(source.format)
    columns = PROFILE_OUT_COLUMNS if source.is_profile else EVENT_COLUMNS
    con.execute("drop view if exists _src_raw")
    out = None
    try:
        out = read(con, source, file)
        # typed like the reader contract says (a bare NULL column has type NULL)
        con.sql(
            "select "
            + ", ".join(f"{ident(c)}::{'BIGINT' if c == 'line' else 'VARCHAR'} as {ident(c)}" for c in columns)
            + f", $kind::VARCHAR as position_kind from {out.relation}",
            params={"kind": out.position_kind},
        ).create_view("_src_raw")
        if source.is_profile:
            model, params = "stg_source_profiles", {"source": source.name}
        else:
            model = "stg_source_events"
            params = {
                "source": source.name,
                "channel": source.channel,
                **_timestamp_params(source, default_ts),
                **_SANE_RANGE,
            }
        if parquet is not None:
            order = STAGED_ORDER["profiles" if source.is_profile else "events"]
            sql = model_sql("staging", model)
            con.execute(
                f"copy (select * replace (case when status = 'quarantined' then raw end as raw) "
                f"from (\n{sql}\n) order by {order}) to $jm_parquet (format parquet)",
                {**model_params(sql, params), "jm_parquet": str(parquet)},
            )
            if out.raw_sql is not None:
                _fill_quarantined_raw_in_file(con, parquet, out, order)
            return str(parquet)
        table = build_table(con, "staging", model, params, target=target, temp=True)
        if out.raw_sql is not None:
            _fill_quarantined_raw(con, table, out)
        return table
    except SourceError:
        raise
    except duckdb.OutOfMemoryException:
        raise out_of_memory(source.name, file) from None
    except (duckdb.Error, OSError, UnicodeError) as e:
        raise SourceError(f"source {source.name!r}: cannot read {file}: {one_line(e)}") from None
    finally:
        con.execute("drop view if exists _src_raw")
        if out is not None:
            _drop_relation(con, out.relation)


# The order of a staged file's rows: by line, a line's rows (a Zendesk ticket's events) by
# event_id, so a re-run writes the same file.
STAGED_ORDER = {"events": "source_line, event_id", "profiles": "source_line"}


def _fill_quarantined_raw(con: duckdb.DuckDBPyConnection, table: str, out: ReaderOutput) -> None:
    """Set ``raw`` of the quarantined rows of ``table`` from the reader's ``raw_sql`` (a
    second pass over the file that builds the text of those rows only)."""
    con.execute(
        f"create or replace temp table _jm_raw_lines as select distinct source_line as line "
        f"from {table} where status = 'quarantined' and raw is null"
    )
    try:
        if con.execute("select count(*) from _jm_raw_lines").fetchone()[0]:
            con.execute(
                f"update {table} set raw = r.raw from ({out.raw_sql}) r "
                f"where {table}.source_line = r.line and {table}.status = 'quarantined'",
                dict(out.raw_params or {}),
            )
    finally:
        con.execute("drop table _jm_raw_lines")


def _fill_quarantined_raw_in_file(con: duckdb.DuckDBPyConnection, path: Path, out: ReaderOutput, order: str) -> None:
    """The staged file ``path`` again, with ``raw`` of its quarantined rows from the reader's
    ``raw_sql``; rewritten only when it has quarantined rows."""
    tmp = path.with_name(path.name + ".raw")
    con.execute(
        "create or replace temp table _jm_raw_lines as select distinct source_line as line "
        "from read_parquet($p) where status = 'quarantined' and raw is null",
        {"p": str(path)},
    )
    try:
        if not con.execute("select count(*) from _jm_raw_lines").fetchone()[0]:
            return
        con.execute("create temp table _jm_raw_text as " + out.raw_sql, dict(out.raw_params or {}))
        con.execute(
            f"copy (select s.* replace (case when s.status = 'quarantined' then coalesce(s.raw, r.raw) end as raw) "
            f"from read_parquet($p) s left join _jm_raw_text r on r.line = s.source_line "
            f"order by {order}) to $tmp (format parquet)",
            {"p": str(path), "tmp": str(tmp)},
        )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        con.execute("drop table if exists _jm_raw_text")
        con.execute("drop table _jm_raw_lines")


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    kind = con.execute(
        "select table_type from information_schema.tables where table_name = $n", {"n": name}
    ).fetchall()
    if kind:
        con.execute(f"drop {'view' if kind[0][0] == 'VIEW' else 'table'} {ident(name)}")


def mark_duplicates(con: duckdb.DuckDBPyConnection, target: str, *, temp: bool = True) -> str:
    """Run ``stg_events_deduplicated`` over ``stg_file_events`` (the staged rows of any
    number of files and sources) into the (temp) table ``target``: the copies are named
    first by ``stg_event_duplicate_copies``, the one statement of the rule (a full load marks
    them in place: :func:`journey_mining.warehouse.mark_duplicates_in_place`)."""
    build_table(con, "staging", "stg_event_duplicate_copies", temp=True)
    try:
        return build_table(con, "staging", "stg_events_deduplicated", target=target, temp=temp)
    finally:
        con.execute("drop table if exists stg_event_duplicate_copies")


def stage_source(con: duckdb.DuckDBPyConnection, plan: SourcePlan) -> str:
    """Read every file of one source (each on its own, :func:`stage_file`), then mark the
    duplicates across them; returns the name of a temp table with one row per row read
    (``status`` loaded | quarantined | duplicate)."""
    con.execute("drop table if exists stg_file_events")
    for i, file in enumerate(plan.files):
        staged = stage_file(con, plan, file)
        if i == 0:
            con.execute(f"create temp table stg_file_events as select * from {staged}")
        else:
            con.execute(f"insert into stg_file_events select * from {staged}")
        con.execute(f"drop table {staged}")
    if plan.source.is_profile:
        con.execute("create or replace temp table _src_staged as select * from stg_file_events")
        con.execute("drop table stg_file_events")
        return "_src_staged"
    staged = mark_duplicates(con, "_src_staged")
    con.execute("drop table stg_file_events")
    return staged


def ingest_source(plan: SourcePlan, out_dir: Path) -> SourceCounts:
    """Ingest one source into ``out_dir/<kind>.parquet`` files and return its balance
    (a whole source at once, for tools and tests; a run stages file by file:
    :func:`ingest_file`).

    Writes: each output file is replaced whole (written under a temp name, then renamed),
    so a re-run with the same inputs leaves identical files.
    """
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = new_connection()
    try:
        staged = stage_source(con, plan)
        counts = dict(
            con.sql(f"select status, count(*) from {staged} group by status").fetchall()
        )
        rows_read = sum(counts.values())
        kind = "profiles" if plan.source.is_profile else "events"
        drop = "status, reason, position_kind, raw"
        _write_parquet(
            con,
            f"select * exclude ({drop}) from {staged} where status = 'loaded'",
            out_dir / f"{kind}.parquet",
        )
        _write_parquet(
            con,
            f"select source, source_file as file, source_line as line, position_kind, raw, reason "
            f"from {staged} where status = 'quarantined' order by file, line",
            out_dir / "quarantine.parquet",
        )
    finally:
        con.close()
    return SourceCounts(
        source=plan.source.name,
        format=plan.source.format,
        files=len(plan.files),
        rows_read=rows_read,
        rows_loaded=counts.get("loaded", 0),
        rows_quarantined=counts.get("quarantined", 0),
        rows_duplicate=counts.get("duplicate", 0),
        seconds=round(time.perf_counter() - started, 3),
    )


# --------------------------------------------------------------------------- per-file ingest


@dataclass(frozen=True)
class InputFile:
    """One row of the ``input_files`` manifest: what a run read (or reused)."""

    source: str
    file: str
    bytes: int
    modified_at: datetime
    sha256: str


@dataclass(frozen=True)
class StagedFile:
    """One input file staged: its manifest row and the staged Parquet (``status`` loaded |
    quarantined, before duplicates across files are marked)."""

    input: InputFile
    is_profile: bool
    staged: Path
    rows_read: int
    was_read: bool  # False: the staged Parquet of an earlier run was reused
    seconds: float


def hash_file(path: Path) -> InputFile:
    """Size, mtime and sha256 of one file, read once in 1 MiB chunks (the source name is
    left empty: :func:`ingest_file` fills it)."""
    st = path.stat()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return InputFile("", str(path), st.st_size, datetime.fromtimestamp(st.st_mtime, UTC), h.hexdigest())


def staging_key(source: SourceConfig) -> str:
    """What, besides a file's bytes, decides its staged rows: the source's settings (all but
    its glob) and the reading code and staging SQL of this version. 16 hex digits."""
    return _staging_key(repr(replace(source, path="")))


# staging SQL run by the load over every staged file, not by a reader: not part of the key
LOAD_STAGING_MODELS = ("stg_events_deduplicated", "stg_event_duplicate_copies")


def staging_code_files() -> list[Path]:
    """The reading code and the staging SQL a staged file depends on (every reader module and
    every ``sql/staging`` model but the load's): a change to any of them re-stages files."""
    from ..models import sql_dir

    code = sorted(Path(__file__).parent.glob("*.py"))
    sql = sorted(f for f in (sql_dir() / "staging").glob("*.sql") if f.stem not in LOAD_STAGING_MODELS)
    return [*code, *sql]


@cache
def _staging_key(source_repr: str) -> str:
    h = hashlib.sha256(source_repr.encode())
    for f in staging_code_files():
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def staged_name(source: SourceConfig, sha256: str) -> str:
    """The staged Parquet of a file: ``<sha256>-<staging key>.parquet``."""
    return f"{sha256}-{staging_key(source)}.parquet"


def ingest_file(
    plan: SourcePlan,
    file: Path,
    cache_dir: Path,
    reusable: Callable[[InputFile, Path], bool] = lambda _f, _p: False,
    run_id: str = "run",
    known: InputFile | None = None,
) -> StagedFile:
    """Stage one input file into ``cache_dir/<sha256>-<key>.parquet``, reading it only when
    ``reusable(manifest_row, staged_path)`` says no earlier staging can be reused.

    The file is hashed once (streamed); the staged Parquet is written under a temp name and
    renamed, so it is complete or absent. A reader that ran out of memory fails (the rows are
    not bad: with more memory they load) instead of quarantining the file.

    ``known``: the manifest's row for this file when its size and mtime still match; then the
    file is not even hashed if its staged Parquet can be reused (hashed when it must be read)."""
    started = time.perf_counter()
    row = known if known is not None else replace(hash_file(file), source=plan.source.name)
    staged = cache_dir / staged_name(plan.source, row.sha256)
    if staged.is_file() and reusable(row, staged):
        return StagedFile(row, plan.source.is_profile, staged, _parquet_rows(staged), False,
                          round(time.perf_counter() - started, 3))
    if known is not None:  # it must be read: hash what is on disk now
        row = replace(hash_file(file), source=plan.source.name)
        staged = cache_dir / staged_name(plan.source, row.sha256)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = staged.with_name(f"{staged.name}.tmp-{run_id}")
    try:
        rows = _stage_into(plan, file, tmp, None)
    except _OutOfMemory:
        if RETRY_MEMORY_LIMIT is None:
            raise out_of_memory(plan.source.name, file) from None
        try:  # the default limit: once more with the machine's share (RETRY_MEMORY_LIMIT)
            rows = _stage_into(plan, file, tmp, {**RUN_SETTINGS, "memory_limit": RETRY_MEMORY_LIMIT})
        except _OutOfMemory:
            raise out_of_memory(plan.source.name, file, RETRY_MEMORY_LIMIT) from None
    tmp.replace(staged)
    return StagedFile(row, plan.source.is_profile, staged, rows, True, round(time.perf_counter() - started, 3))


def _stage_into(plan: SourcePlan, file: Path, tmp: Path, settings: dict[str, object] | None) -> int:
    """Stage ``file`` into the Parquet ``tmp`` in a new connection (``settings``: None for the
    run's); returns its rows. Raises :class:`_OutOfMemory` (``tmp`` removed) when DuckDB ran
    out of memory, also in a reader that caught the error and quarantined the file."""
    con = new_connection(settings=settings)
    try:
        stage_file(con, plan, file, parquet=tmp)
        rows, hit = con.execute(
            "select count(*), count(*) filter (where reason ilike '%Out of Memory Error%') from read_parquet($p)",
            {"p": str(tmp)},
        ).fetchone()
        if hit:  # a reader that caught the error and quarantined the file
            raise _OutOfMemory
    except (duckdb.OutOfMemoryException, ReaderOutOfMemory, _OutOfMemory):
        tmp.unlink(missing_ok=True)
        raise _OutOfMemory from None
    except BaseException:  # the staged file is complete or absent
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return rows


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _write_parquet(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    con.execute(f"copy ({sql}) to $p (format parquet)", {"p": str(tmp)})
    tmp.replace(path)
