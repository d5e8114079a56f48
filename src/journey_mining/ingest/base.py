"""The reader contract, and the helpers every reader shares.

A reader turns ONE input file into a DuckDB relation (a temp view or table) with exactly
these columns, all VARCHAR except ``line``:

=============  ==========================================================================
``file``       the file's path as given by the source glob
``line``       1-based line number (line-oriented formats) or record number (others);
               ``position_kind`` in the quarantine says which
``raw``        the raw text of the record (the line, the JSON element, the XES event), or
               NULL when the reader builds it on demand (:class:`ReaderOutput` ``raw_sql``)
``error``      NULL for a usable record; otherwise why it could not be parsed (quarantined)
<canonical>    every name in :data:`journey_mining.schema.READER_COLUMNS`, as text;
               ``properties`` is a JSON object (as text) of everything else in the record
=============  ==========================================================================

Profile readers (format ``customers``) yield ``file, line, raw, error, user_id,
anonymous_id, email, attributes``.

Readers never type-check values: the staging model (``sql/staging/stg_events.sql``) casts,
validates and quarantines, the same way for every format. "Rows read" for a source is the
number of rows its readers yield (one per event candidate: a Zendesk ticket yields one row
per ticket event), so rows_read = loaded + quarantined + duplicates holds by construction.

Readers must honour ``source.columns`` (canonical name -> field in the file) and
``source.constants`` (value for a canonical column the file lacks or leaves empty) through
:func:`canonical_projection`, which binds constants as parameters.
"""

from __future__ import annotations

import glob as _glob
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config import SourceConfig
from ..errors import SourceError
from ..schema import PROFILE_COLUMNS, READER_COLUMNS

__all__ = [
    "EVENT_COLUMNS",
    "MAX_EVENT_YEAR",
    "MIN_EVENT_YEAR",
    "PROFILE_OUT_COLUMNS",
    "ReaderOutput",
    "canonical_projection",
    "ident",
    "list_files",
    "literal",
    "projected_fields",
    "is_utf8",
    "temp_name",
]

EVENT_COLUMNS = ("file", "line", "raw", "error", *READER_COLUMNS)
PROFILE_OUT_COLUMNS = ("file", "line", "raw", "error", *PROFILE_COLUMNS)

# The sane range of event times (UTC calendar years, inclusive): an occurred_at outside it
# (year 1200 BC, 1e20 epoch seconds, 'infinity') is quarantined, never loaded. Journeys are
# about people: 1900 is before any digital log, 2200 far beyond any scheduled event.
MIN_EVENT_YEAR = 1900
MAX_EVENT_YEAR = 2200
# The same range in Unix seconds: 1900-01-01T00:00:00Z up to (not including) 2201-01-01.
MIN_EPOCH_S = -2208988800
MAX_EPOCH_S = 7289654400 - 1

# A delimiter no text file contains, so DuckDB's CSV reader yields whole lines.
_LINE_DELIM = "\x1f\x1e\x1d\x1c"
_counter = itertools.count()


@dataclass(frozen=True)
class ReaderOutput:
    """What a reader returns: the relation's name and parameters its SQL needs.

    A reader whose raw text costs as much as the rest of the row (a Parquet row turned into
    JSON) may leave ``raw`` NULL in its relation and give ``raw_sql`` instead: a query (with
    bound ``raw_params``) of ``line, raw`` restricted to the lines in the temp table
    ``_jm_raw_lines (line)``. Staging asks it only for the rows it quarantines (``raw`` is
    kept for nothing else), so loaded rows never pay for their text."""

    relation: str
    position_kind: str = "line"  # line | record
    raw_sql: str | None = None
    raw_params: Mapping[str, object] | None = None


def temp_name(prefix: str) -> str:
    """A unique temp relation name (never derived from config text)."""
    return f"_{prefix}_{next(_counter)}"


def ident(name: str) -> str:
    """Quote an identifier for DuckDB (column names come from files and configs)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """Quote a string literal; used only for names read from files (JSON keys), never config."""
    return "'" + str(value).replace("'", "''") + "'"


def list_files(source: SourceConfig) -> list[Path]:
    """The files a source's glob matches, sorted; a glob matching nothing is an error."""
    matches = sorted(p for p in _glob.glob(source.path, recursive=True) if Path(p).is_file())
    if not matches:
        raise SourceError(f"source {source.name!r}: no files match {source.path}")
    return [Path(p) for p in matches]


def is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("-", "").replace("_", "") == "utf8"


def projected_fields(
    source: SourceConfig,
    fields: Iterable[str],
    defaults: Mapping[str, str] | None = None,
    consumed: Iterable[str] = (),
    output: tuple[str, ...] = READER_COLUMNS,
    properties_name: str = "properties",
) -> set[str]:
    """The fields of a file that :func:`canonical_projection` maps to canonical columns
    (plus ``consumed``): everything else belongs in ``properties``."""
    field_set = set(fields)
    defaults = defaults or {}
    used = set(consumed)
    for col in output:
        if col == properties_name:
            continue
        if col in source.columns:
            used.add(source.columns[col])
        elif col not in defaults and col in field_set:
            used.add(col)
    return used


def canonical_projection(
    source: SourceConfig,
    fields: Iterable[str],
    defaults: Mapping[str, str] | None = None,
    *,
    output: tuple[str, ...] = READER_COLUMNS,
    properties_name: str = "properties",
    consumed: Iterable[str] = (),
    extra_properties_sql: str | None = None,
) -> tuple[str, dict[str, object]]:
    """Build the select list that maps a file's fields to the canonical columns.

    For each canonical column, in priority order: ``source.columns`` (a field of the file),
    the format's ``defaults`` (a SQL expression over the file's fields, written by the
    reader, never by config), a field of the same name; then ``source.constants`` fills
    what is still NULL or empty, as a bound parameter. ``properties`` gathers every field not
    used above or named in ``consumed`` (fields the ``defaults`` expressions read), or
    ``extra_properties_sql`` when the format builds its own.

    Returns ``(select_list_sql, params)``.
    """
    fields = list(fields)
    field_set = set(fields)
    defaults = dict(defaults or {})
    exprs: list[str] = []
    params: dict[str, object] = {}
    for col in output:
        if col == properties_name:
            continue
        expr = "NULL::VARCHAR"
        if col in source.columns:
            src = source.columns[col]
            if src not in field_set:
                raise SourceError(
                    f"source {source.name!r}: columns.{col} = {src!r} is not a column of the file "
                    f"(it has: {', '.join(fields[:20])}{', ...' if len(fields) > 20 else ''})"
                )
            expr = f"{ident(src)}::VARCHAR"
        elif col in defaults:
            expr = f"({defaults[col]})::VARCHAR"
        elif col in field_set:
            expr = f"{ident(col)}::VARCHAR"
        if col in source.constants:
            pname = f"const_{col}"
            params[pname] = str(source.constants[col])
            expr = f"coalesce(nullif(trim({expr}), ''), ${pname})"
        exprs.append(f"{expr} as {ident(col)}")
    if properties_name in output:
        if extra_properties_sql is not None:
            props = extra_properties_sql
        else:
            used = projected_fields(source, fields, defaults, consumed, output, properties_name)
            rest = [f for f in fields if f not in used]
            if rest:
                # json_object of the leftover fields, nulls and empty strings dropped.
                pairs = ", ".join(f"{literal(f)}, nullif({ident(f)}::VARCHAR, '')" for f in rest)
                # merge-patching into {} drops the null members (RFC 7396)
                props = f"json_merge_patch('{{}}', json_object({pairs}))"
            else:
                props = "'{}'"
        exprs.append(f"({props})::VARCHAR as {ident(properties_name)}")
    return ",\n       ".join(exprs), params
