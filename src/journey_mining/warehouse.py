"""The analysts' DuckDB file: built aside, published by an atomic swap.

A run never writes into the published warehouse. It builds a new file next to it
(``.<name>.build-<run_id>``), copies the history it must keep (``runs``, ``run_sources``,
first-seen run ids of quarantined rows and input files) from the published file, and
replaces the published file with ``os.replace`` once everything is built. A crash leaves
the published file exactly as it was (the half-built file is removed, or ignored and
cleaned by the next run). Analysts who have the old file open keep reading the old one.

Runs that fail or are killed cannot write into the warehouse. Every run journals itself in a
small ledger (``.<name>.runs.jsonl``): ``started`` once it holds the run lock, ``failed``
with the error, ``finished`` once warehouse and export are both published. The next run
claims the ledger (renames it to ``.<name>.runs.jsonl.claimed-<run_id>``), imports it into
``runs`` (a run that failed, even after its warehouse was published, or that started and
never finished, becomes ``failed``: an update of its row when it has one) and deletes the
claimed files only once its own warehouse, which holds them, is published. A run that fails
leaves them for the next one: no record is ever dropped.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from .errors import one_line
from .ingest import (
    RUN_SETTINGS,
    SourceCounts,
    SourcePlan,
    StagedFile,
    new_connection,
)
from .tables import carried_tables

__all__ = [
    "build_path",
    "ledger_path",
    "open_build",
    "load_staged",
    "carry_history",
    "record_run",
    "record_steps",
    "read_only_connection",
    "seal",
    "publish",
    "append_failed_run",
    "journal",
]

def build_path(warehouse: Path, run_id: str) -> Path:
    return warehouse.with_name(f".{warehouse.name}.build-{run_id}")


def ledger_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.runs.jsonl")


def open_build(warehouse: Path, run_id: str, *, copy_published: bool = False) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Open this run's build file (a new, empty one; with ``copy_published``, a byte copy of
    the published warehouse, which an incremental run edits in place: see
    :func:`journey_mining.incremental.keep_merged_tables`). A crash leaves the published file
    untouched either way: only the copy is written."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    for stale in warehouse.parent.glob(f".{warehouse.name}.build-*"):
        stale.unlink(missing_ok=True)  # left by a crashed run
    path = build_path(warehouse, run_id)
    if copy_published:
        try:
            shutil.copyfile(warehouse, path)  # sealed (checkpointed, no WAL): the copy is complete
        except BaseException:  # disk full, interrupted: no partial copy stays behind
            path.unlink(missing_ok=True)
            raise
    # The build's tables never rely on insertion order (every ordered table says ORDER BY;
    # int_events numbers rows for joins only): without it DuckDB streams and spills freely.
    # The checks of benchmarks/table_hashes.py show the tables are the same either way.
    return new_connection(path, settings={**RUN_SETTINGS, "preserve_insertion_order": False}), path


def read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse file in UTC with the run's ``[execution]``
    settings (``RUN_SETTINGS``: memory_limit, threads, temp_directory; none outside a run)."""
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    for key, value in RUN_SETTINGS.items():
        con.execute(f"set {key} = $v", {"v": value})  # names: ingest.CONNECTION_SETTINGS
    return con


def staged_map(con: duckdb.DuckDBPyConnection, name: str, files: list[StagedFile]) -> list[str]:
    """Temp table ``name`` (staged Parquet path -> the input file using it now); returns the
    distinct staged paths. A staged Parquet is keyed by content, so its rows carry the path of
    the file it was first staged from: joined to this map, ``source_file`` is the path of the
    input that uses it now (two inputs with the same bytes both read it)."""
    import pyarrow as pa

    con.register("_jm_staged_map", pa.table({"staged": [str(f.staged) for f in files],
                                             "input_file": [f.input.file for f in files]}))
    try:
        con.execute(f"create or replace temp table {name} as select * from _jm_staged_map")
    finally:
        con.unregister("_jm_staged_map")
    return list(dict.fromkeys(str(f.staged) for f in files))


def staged_rows(con: duckdb.DuckDBPyConnection, name: str, files: list[StagedFile]) -> None:
    """Temp table ``name``: every column of every row of the staged Parquet of ``files``, with
    ``source_file`` of the input using it now (:func:`staged_map`). ``raw`` (the row's text as
    read: a whole Zendesk ticket, ...) is only ever used for quarantined rows: dropped from the
    others here, it is never held in memory twice."""
    paths = staged_map(con, f"_jm_map_{name}", files)
    con.execute(
        f"create or replace temp table {name} as select p.* exclude (filename) replace ("
        f"m.input_file as source_file, case when p.status = 'quarantined' then p.raw end as raw) "
        f"from read_parquet($f, union_by_name=true, filename=true) p join _jm_map_{name} m on m.staged = p.filename",
        {"f": paths},
    )


def load_staged(con: duckdb.DuckDBPyConnection, staged: list[StagedFile], plans: list[SourcePlan],
                suppress: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None) -> list[SourceCounts]:
    """Create ``stg_events``, ``stg_profiles`` and ``stg_quarantine`` from the staged
    Parquet of every input file, marking duplicates across files in place
    (:func:`mark_duplicates_in_place`, the rule of ``stg_events_deduplicated``);
    returns each source's balance (rows read = loaded + quarantined + duplicate)."""
    # The row tables are temp tables (never in the build file's WAL: a checkpoint of the build
    # file before the journey models measurably raises their memory peak). stg_events is not
    # sorted: no model depends on its physical order (int_events' event_key is a join key only;
    # every ordering uses occurred_at, source, event_id), and a sort of the whole wide table
    # costs time and memory at scale (benchmarks/table_hashes.py: the same tables). stg_events
    # stays a table of the build file: as a temp table it raised the 1M run's peak RSS by
    # ~250 MB (held in DuckDB's memory, not on disk) for no measurable gain.
    staged_rows(con, "stg_file_events", [f for f in staged if not f.is_profile])
    mark_duplicates_in_place(con)
    return finish_load(con, staged, plans, suppress, "* exclude (status, reason, position_kind, raw)")


def mark_duplicates_in_place(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the later copies of an event loaded more than once in ``stg_file_events`` as
    ``duplicate``, in place, and rename it ``stg_event_rows``: the rows
    ``stg_events_deduplicated`` would write, without a second wide copy of every staged row
    (the narrow model ``stg_event_duplicate_copies`` names the copies; usually none)."""
    from .models import build_table

    build_table(con, "staging", "stg_event_duplicate_copies", temp=True)
    con.execute("update stg_file_events set status = 'duplicate' "
                "where rowid in (select file_row_id from stg_event_duplicate_copies)")
    con.execute("drop table stg_event_duplicate_copies")
    con.execute("drop table if exists stg_event_rows")
    con.execute("alter table stg_file_events rename to stg_event_rows")


def finish_load(con: duckdb.DuckDBPyConnection, staged: list[StagedFile], plans: list[SourcePlan],
                suppress: Callable[[duckdb.DuckDBPyConnection, str], None] | None,
                event_columns: str) -> list[SourceCounts]:
    """The load after duplicates are marked in ``stg_event_rows`` (:func:`load_staged`,
    ``incremental.load_incremental``): erased people's rows suppressed, ``stg_events`` (the
    loaded rows' ``event_columns``, a select list written by the caller), ``stg_profiles``,
    ``stg_quarantine``; returns each source's balance, checked against the rows in its files."""
    if suppress is not None:  # rows of erased people (journey_mining.erasure)
        suppress(con, "stg_event_rows")
    con.execute(
        f"create or replace table stg_events as select {event_columns} "
        "from stg_event_rows where status = 'loaded'"
    )
    profiles = [f for f in staged if f.is_profile]
    quarantined = (
        "select source, source_file as file, source_line as line, position_kind, raw, reason "
        "from {t} where status = 'quarantined'"
    )
    union = quarantined.format(t="stg_event_rows")
    if profiles:  # without profile sources the journey models see no profiles
        staged_rows(con, "stg_file_profiles", profiles)
        if suppress is not None:
            suppress(con, "stg_file_profiles")
        con.execute(
            "create or replace table stg_profiles as select * exclude (status, reason, position_kind, raw) "
            "from stg_file_profiles where status = 'loaded'"
        )
        union += " union all by name " + quarantined.format(t="stg_file_profiles")
    con.execute(f"create or replace table stg_quarantine as {union}")
    status = {
        (source, st): n
        for source, st, n in con.sql(
            "select source, status, count(*) from stg_event_rows group by all union all "
            + ("select source, status, count(*) from stg_file_profiles group by all" if profiles
               else "select NULL, NULL, 0 where false")
        ).fetchall()
    }
    counts = []
    for plan in plans:
        name = plan.source.name
        mine = [f for f in staged if f.input.source == name]
        loaded, quarantined_n, duplicate, suppressed = (
            status.get((name, s), 0) for s in ("loaded", "quarantined", "duplicate", "suppressed"))
        in_files = sum(f.rows_read for f in mine)
        if in_files != loaded + quarantined_n + duplicate + suppressed:  # staging must account for every row
            raise RuntimeError(
                f"source {name!r}: {in_files} rows in its files but {loaded} loaded + {quarantined_n} quarantined + "
                f"{duplicate} duplicate + {suppressed} suppressed"
            )
        # Rows of erased people are left out of the rows read, as if gone from the inputs: so
        # CONTRACT.md's balance (read = loaded + quarantined + duplicate) holds after an erasure too.
        read = in_files - suppressed
        counts.append(SourceCounts(name, plan.source.format, len(mine), read, loaded, quarantined_n, duplicate,
                                   round(sum(f.seconds for f in mine), 3), rows_suppressed=suppressed))
    for t in ("stg_event_rows", "stg_file_events", "stg_file_profiles",
              "_jm_map_stg_file_events", "_jm_map_stg_file_profiles"):
        con.execute(f"drop table if exists {t}")
    return counts


def carry_history(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str, input_files: list[dict]) -> None:
    """Bring the history tables over from the published warehouse (if any) and build
    ``quarantine`` and ``input_files`` with their first-seen run ids."""
    con.execute(
        "create table runs (run_id VARCHAR primary key, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, "
        "status VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
        "rows_duplicate BIGINT, events BIGINT, customers BIGINT, sessions BIGINT, config_path VARCHAR, "
        "error VARCHAR, rows_suppressed BIGINT, " + RUN_EXTRA_COLUMNS + ")"
    )
    con.execute(
        "create table run_sources (run_id VARCHAR, source VARCHAR, format VARCHAR, files BIGINT, "
        "rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_duplicate BIGINT, "
        "seconds DOUBLE, rows_suppressed BIGINT, primary key (run_id, source))"
    )
    con.execute(RUN_STEPS_DDL)
    con.execute("create temp table prev_quarantine (source VARCHAR, file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR, run_id VARCHAR)")
    con.execute("create temp table prev_files (source VARCHAR, file VARCHAR, sha256 VARCHAR, first_run_id VARCHAR)")
    if warehouse.exists():
        try:
            con.execute("attach $p as prev (read_only)", {"p": str(warehouse)})
        except duckdb.Error as e:
            raise RuntimeError(f"cannot read the published warehouse {warehouse}: {one_line(e, 200)}") from None
        tables = {r[0] for r in con.sql("select table_name from duckdb_tables() where database_name = 'prev'").fetchall()}
        for name in carried_tables("append"):  # runs, run_sources: earlier runs' rows carried over
            if name in tables:
                con.execute(f'insert into "{name}" by name select * from prev."{name}"')
        if "quarantine" in tables:
            con.execute("insert into prev_quarantine select source, file, line, raw, reason, run_id from prev.quarantine")
        if "input_files" in tables:
            con.execute("insert into prev_files select source, file, sha256, first_run_id from prev.input_files")
        con.execute("detach prev")
    _import_ledger(con, warehouse, run_id)
    # quarantine: the rows rejected from the current inputs; run_id = first run that saw them
    con.execute(
        """
        create table quarantine as
        with current_rows as (select * from stg_quarantine),
        first_seen as (
            select source, file, line, raw, reason, min(run_id) as run_id
            from prev_quarantine group by all
        ),
        final as (
            select c.source, c.file, c.line, c.position_kind, c.raw, c.reason,
                   coalesce(f.run_id, $run_id) as run_id
            from current_rows c
            left join first_seen f
              on f.source = c.source and f.file = c.file and f.line = c.line
             and f.raw is not distinct from c.raw and f.reason = c.reason
        )
        select * from final order by source, file, line
        """,
        {"run_id": run_id},
    )
    con.execute(
        "create temp table cur_files (source VARCHAR, file VARCHAR, bytes BIGINT, modified_at TIMESTAMPTZ, sha256 VARCHAR, "
        "is_deleted BOOLEAN)"
    )
    if input_files:
        con.executemany(
            "insert into cur_files values (?, ?, ?, ?, ?, ?)",
            [[f["source"], f["file"], f["bytes"], f["modified_at"], f["sha256"], bool(f.get("is_deleted", False))]
             for f in input_files],
        )
    con.execute(
        """
        create table input_files as
        select c.* exclude (is_deleted), coalesce(p.first_run_id, $run_id) as first_run_id, c.is_deleted
        from cur_files c
        left join (select source, file, sha256, min(first_run_id) as first_run_id from prev_files group by all) p
          using (source, file, sha256)
        order by source, file
        """,
        {"run_id": run_id},
    )


# Added for incremental runs (journey_mining.incremental): NULL on rows of older runs.
RUN_EXTRA_COLUMNS = (
    "files_new BIGINT, files_changed BIGINT, files_unchanged BIGINT, files_deleted BIGINT, files_read BIGINT, "
    "rows_new BIGINT, refresh VARCHAR, refresh_reason VARCHAR, customers_rebuilt BIGINT, config_fingerprint VARCHAR"
)

RUN_STEPS_DDL = (
    "create table if not exists run_steps (run_id VARCHAR, step VARCHAR, model VARCHAR, detail VARCHAR, "
    "started_at TIMESTAMPTZ, seconds DOUBLE, cpu_seconds DOUBLE, rows BIGINT, peak_rss_mb DOUBLE)"
)


def record_steps(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict]) -> None:
    """Append this run's step and model timings to ``run_steps`` (one statement; the rows
    of an earlier attempt of the same step, a retried export, are replaced)."""
    if not rows:
        return
    con.execute(RUN_STEPS_DDL)
    steps = sorted({r["step"] for r in rows})
    con.execute("delete from run_steps where run_id = $r and list_contains($s, step)", {"r": run_id, "s": steps})
    con.executemany(
        "insert into run_steps values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[run_id, r["step"], r["model"], r["detail"], r["started_at"], r["seconds"], r["cpu_seconds"], r["rows"],
          r["peak_rss_mb"]] for r in rows],
    )


INTERRUPTED = "interrupted: the run stopped before it finished (killed?); its outputs may be incomplete"


def _claimed(warehouse: Path) -> list[Path]:
    ledger = ledger_path(warehouse)
    return sorted(ledger.parent.glob(f"{ledger.name}.claimed-*"))


def _import_ledger(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str) -> None:
    """Claim the ledger and bring every journaled outcome into ``runs`` (upserts: a failure
    of a run whose row says success turns that row to failed)."""
    ledger = ledger_path(warehouse)
    if ledger.exists():
        os.replace(ledger, ledger.with_name(f"{ledger.name}.claimed-{run_id}"))
    runs: dict[str, dict] = {}
    own: list[dict] = []
    for part in _claimed(warehouse):
        for line in part.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash mid-write
            if not isinstance(rec, dict) or not rec.get("run_id"):
                continue
            if rec["run_id"] == run_id:
                own.append(rec)  # this run's own `started`: stays journaled until it finishes
                continue
            r = runs.setdefault(rec["run_id"], {"run_id": rec["run_id"]})
            event = rec.get("event", "failed")  # ledgers before the journal held failures only
            r.setdefault("events", set()).add(event)
            for k in ("started_at", "finished_at", "config_path", "error"):
                if rec.get(k) is not None and (k != "error" or event == "failed"):
                    r[k] = rec[k]
    for rec in own:
        journal(warehouse, rec)
    for r in runs.values():
        events = r.pop("events")
        if "failed" not in events:
            if "finished" in events or "started" not in events:
                continue
            r["error"] = INTERRUPTED
        con.execute(
            "insert into runs (run_id, started_at, finished_at, status, config_path, error) "
            "values ($run_id, $started_at, $finished_at, 'failed', $config_path, $error) "
            "on conflict (run_id) do update set status = 'failed', error = excluded.error, "
            "finished_at = coalesce(excluded.finished_at, finished_at)",
            {k: r.get(k) for k in ("run_id", "started_at", "finished_at", "config_path", "error")},
        )


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    counts: list[SourceCounts],
    config_path: str | None,
    extra: dict | None = None,
) -> dict:
    """Append this run's row to ``runs`` and its per-source rows to ``run_sources``; ``extra``:
    more columns of the row (the incremental figures, :data:`RUN_EXTRA_COLUMNS`)."""
    for c in counts:
        con.execute(
            "insert into run_sources values ($run_id, $source, $format, $files, $rows_read, $rows_loaded, "
            "$rows_quarantined, $rows_duplicate, $seconds, $rows_suppressed)",
            {"run_id": run_id, **{k: v for k, v in c.as_dict().items()}},
        )
    totals = {k: sum(getattr(c, k) for c in counts)
              for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_suppressed")}
    sizes = {}
    for table in ("events", "customers", "sessions"):
        exists = con.execute("select count(*) from duckdb_tables() where table_name = $t and database_name = current_database()", {"t": table}).fetchall()[0][0]
        sizes[table] = con.sql(f"select count(*) from {table}").fetchall()[0][0] if exists else None
    row = {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "status": "success",
        **totals,
        **sizes,
        "config_path": config_path,
        "error": None,
        **(extra or {}),
    }
    con.execute(
        f"insert into runs ({', '.join(row)}) values ({', '.join('$' + k for k in row)})",
        row,
    )
    return row


def seal(con: duckdb.DuckDBPyConnection, build: Path) -> None:
    """Checkpoint and close the build file: complete on its own, ready to export and publish."""
    con.execute("checkpoint")
    con.close()
    wal = build.with_name(build.name + ".wal")
    if wal.exists():  # a clean close leaves none; never publish a file that needs its WAL
        raise RuntimeError(f"build file {build} still has a write-ahead log after checkpoint")


def publish(build: Path, warehouse: Path) -> None:
    """Atomically replace the published file with the sealed build file, then drop the ledger
    parts it imported (claimed by this run under the run lock)."""
    os.replace(build, warehouse)
    for part in _claimed(warehouse):
        part.unlink(missing_ok=True)  # their records are now in `runs`


def journal(warehouse: Path, record: dict) -> None:
    """Append one record to the ledger (only the run holding the run lock writes it)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with ledger_path(warehouse).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def append_failed_run(warehouse: Path, run_id: str, started_at: datetime, finished_at: datetime, config_path: str | None, error: str) -> None:
    """Record a failed run without touching the published warehouse."""
    rec = {
        "run_id": run_id,
        "event": "failed",
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "config_path": config_path,
        "error": error,
    }
    journal(warehouse, rec)
