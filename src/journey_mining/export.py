"""Export every warehouse table to Parquet for BI tools: one folder per table.

Layout under ``export.parquet_dir`` (hive-style, so DuckDB, Spark, pandas/pyarrow and most
BI tools read each folder as one table)::

    events/occurred_month=2026-09/data_0.parquet   # partitioned by month of occurred_at
    sessions/started_month=2026-09/data_0.parquet  # partitioned by month of started_at
    quarantine/source=web/data_0.parquet           # partitioned by source
    customers/data_0.parquet                       # small tables: one file
    _manifest.json                                 # tables, row counts, schemas, run id

Types are stable: the Parquet columns have the warehouse's types, except that 128-bit
integers (``HUGEINT``/``UHUGEINT``, which many Parquet readers cannot read) are cast to
``BIGINT`` (:data:`EXPORT_CASTS`). ``_manifest.json`` lists every table with its folder, row
count, columns (name -> DuckDB type as read back with ``read_parquet``) and partition
columns, plus the run id, when it was written and the tool's version (docs/parquet.md).

Write disposition: replace. The new export is written to a sibling temp folder and swapped
in with renames, so readers never see a half-written export. The folder belongs to the tool:
it carries a ``.journey-export`` marker, and a folder without it that is not empty is never
replaced (:mod:`journey_mining.outputs`). A run exports from its sealed build file before
publishing anything, so a failed export publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from . import __version__, ingest
from .errors import ConfigError
from .graph import write_graphs
from .ingest import new_connection
from .outputs import export_replaceable, is_owned_export, write_export_marker
from .tables import STORED_PARTIALS

__all__ = [
    "export_parquet", "write_export", "swap_export", "export_tmp_path", "PARTITIONS", "EXPORT_CASTS",
    "MANIFEST", "read_manifest", "PSEUDONYMIZED_COLUMNS",
]

# table -> (extra column expression, partition column)
PARTITIONS = {
    "events": ("strftime(occurred_at, '%Y-%m') as occurred_month", "occurred_month"),
    "sessions": ("strftime(started_at, '%Y-%m') as started_month", "started_month"),
    "quarantine": (None, "source"),
}
# warehouse type -> the type it is exported as (types many Parquet readers cannot read)
EXPORT_CASTS = {"HUGEINT": "BIGINT", "UHUGEINT": "BIGINT"}
MANIFEST = "_manifest.json"
# [export] pseudonymize: the text columns replaced by sha256(key || value) in every table
# that has them (identifiers, the customer id that is a user_id, identity links, and the raw
# text of quarantined rows). Free text (events.text) and events.properties are exported as
# they are (docs/privacy.md).
PSEUDONYMIZED_COLUMNS = ("user_id", "anonymous_id", "email", "customer_id", "from_value", "to_value",
                         "cluster_key", "raw")
# exported after every other table (write_export's before_last: the run's own timings)
EXPORTED_LAST = ("run_steps",)
ORDER = {
    "events": "customer_id, occurred_at, source, event_id",
    "customers": "customer_id",
    "sessions": "customer_id, started_at",
    "quarantine": "source, file, line",
    "runs": "started_at, run_id",
    "run_sources": "run_id, source",
    "stage_funnel": "stage_index",
    "stage_funnel_breakdown": "dimension_type, dimension, value, stage_index",
}


def export_tmp_path(parquet_dir: Path, run_id: str) -> Path:
    return parquet_dir.with_name(f".{parquet_dir.name}.tmp-{run_id}")


def export_parquet(warehouse: Path, parquet_dir: Path, run_id: str | None = None) -> list[str]:
    """Write every table of ``warehouse`` under ``parquet_dir``; returns the table names.

    Refuses (before writing) a ``parquet_dir`` that exists, is not empty and was not written
    by this tool."""
    why = export_replaceable(parquet_dir)
    if why:
        raise ConfigError(f"export.parquet_dir {parquet_dir} {why}")
    tmp, tables = write_export(warehouse, parquet_dir, run_id or secrets.token_hex(3))
    swap_export(tmp, parquet_dir)
    return tables


def write_export(
    database: Path, parquet_dir: Path, run_id: str, before_last: Callable[[int], None] | None = None,
    pseudonymize_key: str | None = None,
) -> tuple[Path, list[str]]:
    """Write every table of ``database`` into the temp folder beside ``parquet_dir`` (marked
    as the tool's); returns it and the table names. Nothing is swapped in yet. With
    ``pseudonymize_key``, the identifier columns (:data:`PSEUDONYMIZED_COLUMNS`) hold
    ``sha256(key || value)`` (hex) instead of the value ([export] pseudonymize).

    The tables of :data:`EXPORTED_LAST` (``run_steps``) are exported after the others;
    ``before_last(tables_done)`` is called just before, with ``database`` detached, so a run
    can write its export's timing into ``database`` and the export still equals the warehouse."""
    parquet_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = export_tmp_path(parquet_dir, run_id)
    if tmp.exists() and is_owned_export(tmp):  # a retry of this run's export
        shutil.rmtree(tmp)
    # preserve_insertion_order stays on: it is what makes a COPY write its ORDER BY into the
    # file (with it off, each thread's sorted run landed in the file one after another, so the
    # files were neither sorted nor the same from run to run)
    con = new_connection(settings={**ingest.RUN_SETTINGS, "preserve_insertion_order": True})
    try:
        con.execute("attach $p as w (read_only)", {"p": str(database)})
        if pseudonymize_key:  # the key is bound, never SQL text; a macro reads it from a temp table
            con.execute("create temp table _jm_pseudonymize_key as select $k::varchar as k", {"k": pseudonymize_key})
            con.execute("create temp macro _jm_pseudonymize(v) as sha256((select k from _jm_pseudonymize_key) || v)")
        tables = sorted((r[0] for r in con.sql(
            "select table_name from duckdb_tables() where database_name = 'w' and not temporary"
        ).fetchall() if r[0] not in STORED_PARTIALS), key=lambda t: (t in EXPORTED_LAST, t))  # partials: internal
        tmp.mkdir()
        write_export_marker(tmp, run_id)
        manifest: dict[str, dict] = {}
        previous = _previous_export(parquet_dir)
        for done, table in enumerate(tables):
            if table in EXPORTED_LAST and before_last is not None:
                con.execute("detach w")
                before_last(done)
                before_last = None
                con.execute("attach $p as w (read_only)", {"p": str(database)})
            manifest[table] = _export_table(con, table, tmp, previous.get(table), pseudonymize_key)
        con.execute("use w")  # the graphs read the build file on this connection (the run's settings)
        write_graphs(con, tmp / "_graph")  # the transition graphs beside the tables
        con.execute("use memory")
        con.execute("detach w")
        _write_manifest(tmp, run_id, manifest)
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    con.close()
    return tmp, tables


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _export_table(con, table: str, tmp: Path, previous: tuple[Path, dict] | None,
                  pseudonymize_key: str | None) -> dict:
    """Write one table into ``tmp`` (a file per partition) and return its manifest entry.

    A data file whose content fingerprint (:func:`_fingerprint`) equals the one the previous
    export recorded for the same file, and whose size on disk is still the recorded one, is
    hard-linked (or copied) from the previous export instead of being encoded again."""
    types = dict(con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = 'w' and table_name = $t order by column_index",
        {"t": table},
    ).fetchall())
    cols = set(types)
    extra, part = PARTITIONS.get(table, (None, None))
    if part and extra is None and part not in cols:
        extra, part = None, None
    order = ORDER.get(table, "all")
    if order != "all" and not set(c.strip() for c in order.split(",")) <= cols:
        order = "all"
    columns = ", ".join(
        f'cast({_ident(c)} as {EXPORT_CASTS[t]}) as {_ident(c)}' if t in EXPORT_CASTS
        else f"_jm_pseudonymize({_ident(c)}) as {_ident(c)}"
        if pseudonymize_key and c in PSEUDONYMIZED_COLUMNS and t == "VARCHAR"
        else _ident(c)
        for c, t in types.items()
    )
    rows_sql = f"select {columns} from w.{_ident(table)}"
    # a partition column of the table itself (quarantine.source) lives in the folder name
    # only, as DuckDB's partitioned writer does it; it is one value inside a file
    excluded = "_jm_part" if extra or not part else f"_jm_part, {_ident(part)}"
    file_order = order if extra or not part or order == "all" else (
        ", ".join(c.strip() for c in order.split(",") if c.strip() != part) or "all")
    select = f'select {columns}{", " + extra if extra else ""} from w.{_ident(table)} order by {order}'
    # the partition value as an expression over the exported columns
    part_expr = (extra.rsplit(" as ", 1)[0] if extra else _ident(part)) if part else "null::varchar"
    content = con.execute(
        f"select {part_expr} as _jm_part, count(*), sum(hash({', '.join(map(_ident, types))})::hugeint)::varchar, "
        f"bit_xor(hash({', '.join(map(_ident, types))})) from ({rows_sql}) as _jm_rows "
        f"group by all order by _jm_part nulls last",
    ).fetchall() if part else con.execute(
        f"select null, count(*), sum(hash({', '.join(map(_ident, types))})::hugeint)::varchar, "
        f"bit_xor(hash({', '.join(map(_ident, types))})) from ({rows_sql}) as _jm_rows",
    ).fetchall()
    entry = _manifest_entry(con, table, select, part, rows=sum(int(n) for _, n, *_ in content))
    target = tmp / table
    target.mkdir()
    if part and not all(_plain_partition(p) for p, *_ in content):
        # a value that is not a plain folder name (or NULL): DuckDB's own partitioned writer
        # names (escapes) the folders; such a table is written whole, never reused
        con.execute(
            f"copy ({select}) to $p (format parquet, partition_by ({part}), overwrite_or_ignore)",
            {"p": str(target)},
        )
        return entry
    data_files: dict[str, dict] = {}
    for value, n, total, xor in content:
        if part:
            rel = f"{table}/{part}={value}/{DATA_FILE}"
            # the left join from one row makes every column OPTIONAL in the Parquet schema,
            # as DuckDB's partitioned writer writes them (a plain copy marks a column without
            # NULLs in this partition REQUIRED, and the files of one table would disagree)
            statement = (
                f"copy (select _jm_rows.* from (select 1) as _jm_one left join (select * exclude ({excluded}) "
                f"from (select *, {part_expr} as _jm_part from ({rows_sql})) where _jm_part = $v) "
                f"as _jm_rows on true order by {file_order}) to $f (format parquet)"
            )
        else:
            rel = f"{table}/{DATA_FILE}"
            statement = f"copy ({rows_sql} order by {order}) to $f (format parquet)"
        fingerprint = _fingerprint(table, statement, value, n, total, xor)
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        reused = previous is not None and _reuse(previous, rel, fingerprint, path)
        if not reused:
            params = {"f": str(path), **({"v": value} if part else {})}
            con.execute(statement, params)
        data_files[rel] = {"partition": value, "rows": int(n), "bytes": path.stat().st_size,
                           "content_hash": fingerprint, "reused": reused}
    entry["data_files"] = data_files
    return entry


DATA_FILE = "data_0.parquet"
# what every data file's fingerprint includes besides its rows: bump it when the same rows
# would be written as different bytes (writer settings, layout)
EXPORT_FORMAT = 1


def _plain_partition(value) -> bool:
    """A partition value usable as a folder name as it is (``YYYY-MM``, a source name)."""
    return isinstance(value, str) and value not in (".", "..") and re.fullmatch(r"[A-Za-z0-9_.\-]+", value) is not None


def _fingerprint(table: str, statement: str, value, rows: int, total, xor) -> str:
    """The content hash of one data file: its rows (count, sum and xor of DuckDB's 64-bit
    row hashes of the exported values: independent of row order), the statement that writes
    it (columns, casts, pseudonymization, sort order), the partition value, the DuckDB
    version and :data:`EXPORT_FORMAT`. Equal fingerprints mean the file would be written
    with the same bytes."""
    doc = [EXPORT_FORMAT, duckdb.__version__, table, statement, value, int(rows), total, None if xor is None else int(xor)]
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()


def _previous_export(parquet_dir: Path) -> dict[str, tuple[Path, dict]]:
    """The data files of the published export at ``parquet_dir`` by table, from its
    manifest (nothing when there is none, it is not the tool's, or it cannot be read)."""
    try:
        if not is_owned_export(parquet_dir):
            return {}
        tables = read_manifest(parquet_dir)["tables"]
        return {t: (parquet_dir, e["data_files"]) for t, e in tables.items() if isinstance(e.get("data_files"), dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _reuse(previous: tuple[Path, dict], rel: str, fingerprint: str, path: Path) -> bool:
    """Hard-link (or copy) the previous export's ``rel`` to ``path`` when its recorded
    fingerprint is ``fingerprint`` and its size is still the recorded one."""
    folder, files = previous
    old = files.get(rel)
    if not isinstance(old, dict) or old.get("content_hash") != fingerprint:
        return False
    src = folder / rel
    try:
        if not src.is_file() or src.stat().st_size != old.get("bytes"):
            return False
        try:
            os.link(src, path)
        except OSError:  # a file system without hard links
            shutil.copyfile(src, path)
    except OSError:
        path.unlink(missing_ok=True)
        return False
    return True


def _manifest_entry(con, table: str, select: str, part: str | None, rows: int) -> dict:
    """Folder, rows, columns (name -> type, as ``read_parquet`` reads them back, partition
    column included) and partition columns of one exported table."""
    from .table_docs import TABLES, table_description

    schema = con.execute(f"describe {select}").fetchall()
    return {
        "description": table_description(table) if table in TABLES else None,
        "path": f"{table}/",
        "files": f"{table}/**/*.parquet" if part else f"{table}/{DATA_FILE}",
        "rows": int(rows),
        "partitioning": [part] if part else [],
        "columns": {name: dtype for name, dtype, *_ in schema},
    }


def _write_manifest(folder: Path, run_id: str, tables: dict[str, dict]) -> None:
    doc = {
        "tool": "journey_mining",
        "version": __version__,
        "run_id": run_id,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": "parquet",
        "hive_partitioning": True,
        "tables": tables,
    }
    (folder / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def read_manifest(parquet_dir: Path) -> dict:
    """The ``_manifest.json`` of an export folder.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _write_manifest(d, "r1", {"t": {"rows": 2}})
    >>> read_manifest(d)["tables"]["t"]["rows"], read_manifest(d)["run_id"]
    (2, 'r1')
    """
    return json.loads((Path(parquet_dir) / MANIFEST).read_text(encoding="utf-8"))


def swap_export(tmp: Path, parquet_dir: Path) -> None:
    """Replace ``parquet_dir`` by the finished temp folder ``tmp`` with renames (the old
    export, the tool's own, is removed after)."""
    why = export_replaceable(parquet_dir)
    if why:  # checked before the run too; the folder may have changed since
        raise ConfigError(f"export.parquet_dir {parquet_dir} {why}")
    old = None
    if parquet_dir.exists():
        old = parquet_dir.with_name(f".{parquet_dir.name}.old-{tmp.name.rsplit('.tmp-', 1)[-1]}")
        os.replace(parquet_dir, old)
    os.replace(tmp, parquet_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
