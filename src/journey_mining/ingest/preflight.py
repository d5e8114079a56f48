"""Checks of every source that are cheap enough to run before a run writes anything.

:func:`preflight_plans` runs inside :func:`journey_mining.ingest.plan_sources` (so in
``journey check`` too) and raises one clear line for what would otherwise fail a run only
after ingest:

- an ``options.encoding`` DuckDB's readers do not know;
- a mapped column (``[sources.columns]``) missing from a file of an ``events`` or
  ``customers`` source: CSV and Parquet by their header (schema) only; JSON by its first
  record, and only when that lacks the column, by the keys of the whole file (a key may
  start later in a JSON file);
- the same file read by two event sources (or two profile sources): its events would be
  counted twice.

A file the preflight cannot parse is left to the reader (which quarantines bad rows).

    >>> from journey_mining.config import load_config, sample_config_path
    >>> from journey_mining.ingest import plan_sources
    >>> len(plan_sources(load_config(sample_config_path()))) > 0
    True
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..errors import ConfigError, SourceError
from .base import is_utf8

if TYPE_CHECKING:
    from . import SourcePlan

__all__ = ["preflight_plans", "check_encoding", "file_fields", "MAPPED_FORMATS"]

# formats whose files hold one record per row with the source's own column names
MAPPED_FORMATS = ("events", "customers")


def preflight_plans(plans: Iterable[SourcePlan]) -> None:
    plans = list(plans)
    for plan in plans:
        source = plan.source
        if not is_utf8(source.options.encoding):
            check_encoding(source.options.encoding, f"source {source.name!r}: options.encoding")
        if source.format in MAPPED_FORMATS and source.columns:
            for file in plan.files:
                _check_mapped_columns(plan, file)
    _check_files_read_once(plans)


@functools.cache
def _encoding_error(encoding: str) -> str | None:
    fd, probe = tempfile.mkstemp(suffix=".csv", prefix="journey-encoding-")
    try:
        os.write(fd, b"a\n1\n")
        os.close(fd)
        con = duckdb.connect()
        try:
            con.execute("select * from read_csv($f, encoding=$e, all_varchar=true)", {"f": probe, "e": encoding}).fetchall()
        except duckdb.Error as e:
            return " ".join(str(e).split()[:12])
        finally:
            con.close()
    finally:
        Path(probe).unlink(missing_ok=True)
    return None


def check_encoding(encoding: str, where: str) -> None:
    """Refuse an encoding DuckDB's readers cannot decode (asked of DuckDB itself).

    >>> check_encoding("latin-1", "x")
    >>> check_encoding("klingon", "options.encoding")
    Traceback (most recent call last):
    ...
    journey_mining.errors.ConfigError: options.encoding 'klingon' is not an encoding DuckDB can read (use utf-8, utf-16 or latin-1)
    """
    if is_utf8(encoding):
        return
    if _encoding_error(encoding) is not None:
        raise ConfigError(f"{where} {encoding!r} is not an encoding DuckDB can read (use utf-8, utf-16 or latin-1)")


def file_fields(plan: SourcePlan, file: Path, *, whole_file: bool = False) -> set[str] | None:
    """The column names of ``file`` as the reader will see them, read cheaply (header,
    schema or first JSON record; ``whole_file``: every JSON record's keys). None when the
    preflight cannot tell (the reader decides)."""
    from .files import file_kind

    o = plan.source.options
    con = duckdb.connect()
    try:
        kind = file_kind(file)
        if kind == "csv":
            if o.names:
                return set(o.names)
            params: dict[str, object] = {"f": str(file), "delim": o.delimiter, "quote": o.quote, "header": o.header}
            enc = ""
            if not is_utf8(o.encoding):
                params["e"] = o.encoding
                enc = ", encoding=$e"
            desc = con.execute(
                f"select * from read_csv($f, all_varchar=true, header=$header, delim=$delim, quote=$quote{enc}) limit 0",
                params,
            ).description
            return {d[0] for d in desc}
        if kind == "parquet":
            return {d[0] for d in con.execute("select * from read_parquet($f) limit 0", {"f": str(file)}).description}
        if not is_utf8(o.encoding):
            return None  # the reader decodes other encodings itself
        limit = "" if whole_file else "limit 1"
        rows = con.execute(
            f"select distinct unnest(json_keys(json)) from (select json from read_json_objects($f, format='auto') "
            f"where json_type(json) = 'OBJECT' {limit})",
            {"f": str(file)},
        ).fetchall()
        return {r[0] for r in rows}
    except (duckdb.Error, SourceError, OSError):
        return None
    finally:
        con.close()


def _check_mapped_columns(plan: SourcePlan, file: Path) -> None:
    source = plan.source
    fields = file_fields(plan, file)
    if fields is None:
        return
    missing = [(col, src) for col, src in source.columns.items() if src not in fields]
    if missing and not file.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".parquet", ".pq")):
        fields = file_fields(plan, file, whole_file=True)  # JSON: a key may appear later
        if fields is None:
            return
        missing = [(col, src) for col, src in source.columns.items() if src not in fields]
    if missing:
        col, src = missing[0]
        has = ", ".join(sorted(fields)[:20]) + (", ..." if len(fields) > 20 else "")
        raise SourceError(f"source {source.name!r}: columns.{col} = {src!r} is not a column of {file} (it has: {has})")


def _check_files_read_once(plans: list[SourcePlan]) -> None:
    for profile in (False, True):
        seen: dict[Path, str] = {}
        for plan in plans:
            if plan.source.is_profile != profile:
                continue
            for f in plan.files:
                key = f.resolve()
                other = seen.get(key)
                if other is not None and other != plan.source.name:
                    raise SourceError(
                        f"sources {other!r} and {plan.source.name!r} both read {f}: each file must belong "
                        f"to one source (its rows would be counted twice)"
                    )
                seen[key] = plan.source.name
