"""Read one tabular or JSON file into a temp table of text fields, with DuckDB.

:func:`read_records` is the shared first step of the ``events`` and ``customers``
readers. It yields a temp table with ``file, line, raw, error`` and one VARCHAR
column per field of the file (JSON: one per top-level key, nested values as JSON text).
Nothing is dropped: a line DuckDB cannot parse becomes a row with ``error`` set.

File kinds by suffix (``.gz`` allowed on all text kinds):
``.csv .tsv .txt`` CSV; ``.jsonl .ndjson`` one JSON object a line; ``.json`` a JSON array of
objects (or one object, or JSON lines); ``.parquet``.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..config import SourceConfig
from ..errors import SourceError, one_line
from ..schema import READER_COLUMNS
from .base import (
    ReaderOutput,
    canonical_projection,
    ident,
    is_utf8,
    literal,
    projected_fields,
    temp_name,
)
from .jsonutil import (
    INTERNAL_PREFIX,
    jptr,
    json_value_text,
    read_json_values,
    read_text_lines,
    unique_fields,
)
from .recover import bom_encoding, gunzip_prefix, transcode_bom

__all__ = ["Records", "file_kind", "read_records", "read_mapped"]


@dataclass(frozen=True)
class Records:
    table: str  # temp table: file, line, raw, error, <fields...>
    fields: tuple[str, ...]
    position_kind: str  # line | record
    json_col: str | None = None  # JSON/Parquet: the record as JSON (nested values stay nested)
    # JSON: instead of json_col, a list of the JSON values of ``fields`` (in order), taken
    # from one parse of each record
    values_col: str | None = None


def file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for kind, suffixes in (
        ("csv", (".csv", ".tsv", ".txt")),
        ("jsonl", (".jsonl", ".ndjson")),
        ("json", (".json",)),
        ("parquet", (".parquet", ".pq")),
    ):
        if name.endswith(suffixes):
            return kind
    raise SourceError(
        f"{path}: unknown file type (use .csv, .csv.gz, .jsonl, .jsonl.gz, .json or .parquet)"
    )


def read_records(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> Records:
    kind = file_kind(file)
    if kind == "csv":
        return _read_csv(con, source, file)
    if kind == "parquet":
        return _read_parquet(con, file)
    return _read_json(con, source, file)


def read_mapped(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    file: Path,
    *,
    output: tuple[str, ...] = READER_COLUMNS,
    properties_name: str = "properties",
) -> ReaderOutput:
    """:func:`read_records`, then the source's column mapping: the whole of a reader for a
    format whose files already hold one record per row (``events``, ``customers``).

    A Parquet file is not copied: the result is a temp view over the file (one streamed
    pass), ``properties`` of nested columns come straight from their Parquet types, and the
    raw text (the row as JSON) is built only for the rows staging quarantines
    (``ReaderOutput.raw_sql``)."""
    if file_kind(file) == "parquet":
        lazy = _parquet_view(con, source, file, output, properties_name)
        if lazy is not None:
            return lazy
    rec = read_records(con, source, file)
    extra = None
    if rec.json_col is not None or rec.values_col is not None:
        # properties keep nested objects and arrays as JSON (so `properties.a.b` matches);
        # scalars stay text as before
        used = projected_fields(source, rec.fields, output=output, properties_name=properties_name)
        rest = [f for f in rec.fields if f not in used]
        index = {f: i + 1 for i, f in enumerate(rec.fields)}

        def value(f: str) -> str:
            if rec.values_col is not None:
                return f"{rec.values_col}[{index[f]}]"
            return f"{rec.json_col}->{jptr(f)}"

        if rest:
            pairs = ", ".join(
                f"{literal(f)}, case when json_type({value(f)}) in ('OBJECT', 'ARRAY') "
                f"then {value(f)} else to_json(nullif({ident(f)}::VARCHAR, '')) end"
                for f in rest
            )
            extra = f"json_merge_patch('{{}}', json_object({pairs}))"
    select_list, params = canonical_projection(
        source, rec.fields, output=output, properties_name=properties_name, extra_properties_sql=extra
    )
    out = temp_name(properties_name)
    con.execute(
        f"create temp table {out} as select file, line, raw, error, {select_list} from {rec.table}",
        params,
    )
    con.execute(f"drop table {rec.table}")
    return ReaderOutput(out, rec.position_kind)


# --------------------------------------------------------------------------- CSV


def _csv_args(source: SourceConfig, encoding: str) -> tuple[str, dict]:
    o = source.options
    params: dict[str, object] = {"delim": o.delimiter, "quote": o.quote, "header": o.header}
    args = "all_varchar=true, header=$header, delim=$delim, quote=$quote"
    if o.names:
        params["names"] = list(o.names)
        args += ", names=$names"
    if not is_utf8(encoding):
        params["encoding"] = encoding
        args += ", encoding=$encoding"
    return args, params


def _read_csv(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> Records:
    """One CSV file. Valid files take DuckDB's sniffing reader; when it refuses the file (a
    bad row upsets the sniffer, a line over 2 MB), the file is read again with the dialect
    fixed by the options, so only the bad rows are rejected. A UTF-16/32 file (byte order
    mark) is transcoded; a ``.gz`` cut short keeps every complete line and adds one error
    row for the cut-off tail."""
    encoding = source.options.encoding
    if is_utf8(encoding) and (bom := bom_encoding(file)) is not None:
        tmp = transcode_bom(file, bom)
        try:
            return _read_csv_any(con, source, file, tmp, "utf-8")
        finally:
            tmp.unlink(missing_ok=True)
    try:
        return _read_csv_any(con, source, file, file, encoding, gz_fallback=True)
    except _GzipBroken as e:
        gz = gunzip_prefix(file, keep_tail=False)
        try:
            rec = _read_csv_any(con, source, file, gz.path, encoding)
        finally:
            gz.path.unlink(missing_ok=True)
        if gz.error or gz.tail:
            con.execute(
                f"insert into {rec.table} (file, line, raw, error) values ($f, $line, $raw, $err)",
                {
                    "f": str(file),
                    "line": gz.lines + 1,
                    "raw": gz.tail[:2000].decode("utf-8", "replace"),
                    "err": f"unparseable CSV row: {gz.error or 'the .gz file ends inside this row'} ({e})",
                },
            )
        return rec


class _GzipBroken(Exception):
    pass


def _read_csv_any(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    file: Path,
    path: Path,
    encoding: str,
    gz_fallback: bool = False,
) -> Records:
    try:
        return _read_csv_path(con, source, file, path, encoding, None)
    except duckdb.Error as e:
        if gz_fallback and _is_gz(path):
            raise _GzipBroken(one_line(e)) from None
        first_error = one_line(e)
    names = _csv_names(source, path, encoding)
    if not names:
        raise SourceError(f"source {source.name!r}: cannot read {file} as CSV: {first_error}")
    try:
        return _read_csv_path(con, source, file, path, encoding, names)
    except duckdb.Error:
        pass
    # Last resort (e.g. a lone CR inside a field): DuckDB's lenient mode; bad rows still
    # land in the rejects table, one row per line.
    try:
        return _read_csv_path(con, source, file, path, encoding, names, strict=False)
    except duckdb.Error as e:
        raise SourceError(f"source {source.name!r}: cannot read {file} as CSV: {one_line(e)}") from None


def _is_gz(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _csv_names(source: SourceConfig, path: Path, encoding: str) -> list[str]:
    """Column names for the fixed-dialect read: ``options.names``, else the header line
    (parsed with the source's delimiter and quote), else ``column0..`` like DuckDB."""
    o = source.options
    if o.names:
        return list(o.names)
    opener = gzip.open if _is_gz(path) else open
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        first = ""
        for first in fh:
            if first.strip("\r\n"):
                break
    dialect = {"delimiter": o.delimiter, "quotechar": o.quote or None, "quoting": csv.QUOTE_MINIMAL if o.quote else csv.QUOTE_NONE}
    try:
        fields = next(csv.reader([first.lstrip("\ufeff").rstrip("\r\n")], **dialect), [])
    except (csv.Error, TypeError):
        return []
    if not o.header:
        return [f"column{i}" for i in range(len(fields))]
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(fields):
        name = name or f"column{i}"
        base, k = name, 0
        while name.lower() in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name.lower())
        out.append(name)
    return out


def _read_csv_path(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    file: Path,
    path: Path,
    encoding: str,
    names: list[str] | None,
    strict: bool = True,
) -> Records:
    """Read ``path`` (``file`` or a recovered copy of it) as CSV; ``names`` fixes the
    columns and turns off DuckDB's dialect sniffing."""
    parsed, rejects, out = (temp_name(p) for p in ("csv", "rej", "rec"))
    args, params = _csv_args(source, encoding)
    if names is not None:
        params["columns"] = {n: "VARCHAR" for n in names}
        params["escape"] = source.options.quote
        args = args.replace("all_varchar=true", "auto_detect=false, columns=$columns, escape=$escape")
        args = args.replace(", names=$names", "")
        if not strict:
            args += ", strict_mode=false"
        params.pop("names", None)
    params["f"] = str(path)
    try:
        con.execute(
            f"create temp table {parsed} as select row_number() over () as _rec, * "
            f"from read_csv($f, {args}, store_rejects=true, rejects_table='{rejects}', "
            f"rejects_scan='{rejects}_scan')",
            params,
        )
    except duckdb.Error:
        for t in (parsed, rejects, f"{rejects}_scan"):
            con.execute(f"drop table if exists {t}")
        raise
    fields = tuple(d[0] for d in con.execute(f"select * from {parsed} limit 0").description[1:])
    lines = read_text_lines(con, path, encoding)
    header_lines = 1 if source.options.header else 0
    # Align parsed records with physical lines when every record is one line (the usual
    # case): the k-th non-blank, non-header, non-rejected line is record k. Otherwise
    # (quoted fields with newlines) fall back to record numbers and rebuilt text.
    n_rec = con.sql(f"select count(*) from {parsed}").fetchall()[0][0]
    con.execute(
        f"create temp table {lines}_data as select l._jm_line as line, l._jm_raw as raw, "
        f"row_number() over (order by l._jm_line) as _rec from {lines} l "
        f"where l._jm_raw is not null and trim(l._jm_raw, chr(13)) <> '' and l._jm_line > {header_lines} "
        f"and l._jm_line not in (select line from {rejects})"
    )
    n_lines = con.sql(f"select count(*) from {lines}_data").fetchall()[0][0]
    cols = ", ".join(f"p.{ident(f)}" for f in fields)
    if n_lines == n_rec:
        kind = "line"
        body = (
            f"select $f as file, d.line, rtrim(d.raw, chr(13)) as raw, NULL::VARCHAR as error, {cols} "
            f"from {parsed} p join {lines}_data d using (_rec)"
        )
    else:
        kind = "record"
        rebuilt = " || $delim || ".join(f"coalesce(p.{ident(f)}, '')" for f in fields) or "''"
        body = (
            f"select $f as file, p._rec + {header_lines} as line, {rebuilt} as raw, "
            f"NULL::VARCHAR as error, {cols} from {parsed} p"
        )
    nulls = ", ".join(f"NULL::VARCHAR as {ident(f)}" for f in fields)
    # DuckDB may report one bad line several times (once per extra field): one row per
    # line, with its last (most complete) complaint.
    rejected = (
        f"select $f as file, line, arg_max(csv_line, byte_position) as raw, "
        f"'unparseable CSV row: ' || arg_max(error_message, byte_position) as error"
        f"{', ' + nulls if nulls else ''} from {rejects} group by line"
    )
    con.execute(
        f"create temp table {out} as select * from ({body} union all {rejected}) order by line",
        {"f": str(file), "delim": source.options.delimiter} if kind == "record" else {"f": str(file)},
    )
    for t in (parsed, lines, f"{lines}_data"):
        con.execute(f"drop table {t}")
    con.execute(f"drop table {rejects}")
    con.execute(f"drop table {rejects}_scan")
    return Records(out, fields, kind)


# --------------------------------------------------------------------------- JSON


def _read_json(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> Records:
    """JSON lines or a JSON document: one record per top-level object, one field per key."""
    vals = read_json_values(con, file, source.options.encoding)
    out = temp_name("rec")
    keys = [
        r[0]
        for r in con.sql(
            f"select k from (select k, min(_jm_line) as first from (select unnest(json_keys(_jm_json)) as k, "
            f"_jm_line from {vals.table} where json_type(_jm_json) = 'OBJECT') group by k) order by first, k"
        ).fetchall()
    ]
    fields = tuple(unique_fields(keys, reserved=("file", "line", "raw", "error")))
    error = (
        "coalesce(_jm_error, case when json_type(_jm_json) <> 'OBJECT' "
        "then 'not a JSON object: ' || left(_jm_raw, 80) end)"
    )
    if not fields:
        con.execute(
            f"create temp table {out} as select $f as file, _jm_line as line, _jm_raw as raw, {error} as error, "
            f"_jm_json from {vals.table} order by _jm_line",
            {"f": str(file)},
        )
        con.execute(f"drop table {vals.table}")
        return Records(out, fields, vals.position_kind, "_jm_json")
    # every field's value from ONE parse of the record (a list of paths), its text from
    # that value (what json_text_sql gives for the key)
    v = _VALUES
    cols = ", ".join(f"{json_value_text(f'{v}[{i}]')} as {ident(k)}" for i, k in enumerate(fields, 1))
    paths = "[" + ", ".join(jptr(k) for k in fields) + "]"
    con.execute(
        f"create temp table {out} as select $f as file, _jm_line as line, _jm_raw as raw, {error} as error, "
        f"{cols}, {v} from (select *, json_extract(_jm_json, {paths}) as {v} from {vals.table}) order by _jm_line",
        {"f": str(file)},
    )
    con.execute(f"drop table {vals.table}")
    return Records(out, fields, vals.position_kind, values_col=v)


_VALUES = f"{INTERNAL_PREFIX}values"


# --------------------------------------------------------------------------- Parquet


def _parquet_text(field: str, column_type: str) -> str:
    """A Parquet column as text. In a typed float column NaN is how pandas (and tools built
    on it) write a missing value, so it reads as missing; infinities stay (and are
    quarantined by staging like any non-finite number). In text formats a literal ``NaN``
    is not a convention but a bad value, and is quarantined."""
    col = ident(field)
    if column_type.upper() in ("FLOAT", "DOUBLE", "REAL"):
        # DuckDB's isnan() misses some NaN bit patterns pandas writes; the text form does not
        return f"case when lower({col}::VARCHAR) in ('nan', '-nan') then NULL else {col}::VARCHAR end"
    return f"{col}::VARCHAR"


def _parquet_schema(con: duckdb.DuckDBPyConnection, file: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """The fields of a Parquet file, in order, and their DuckDB types."""
    try:
        desc = con.execute("select * from read_parquet($f) limit 0", {"f": str(file)}).description
    except duckdb.Error as e:
        raise SourceError(f"cannot read {file} as Parquet: {one_line(e)}") from None
    fields = tuple(d[0] for d in desc)
    types = dict(con.execute("select column_name, column_type from (describe select * from read_parquet($f))",
                             {"f": str(file)}).fetchall())
    return fields, types


def _parquet_raw_sql(fields: tuple[str, ...]) -> str:
    """A Parquet row's raw text: the row as one JSON object (nested values stay nested)."""
    return "to_json(struct_pack(" + ", ".join(f"{ident(f)} := {ident(f)}" for f in fields) + "))::VARCHAR"


# Names the reader's own columns take (and DuckDB compares names case-insensitively): a
# Parquet file with such a column takes the copying path below, whose results it defines.
_RESERVED = ("file", "line", "raw", "error", "file_row_number")


def _may_nest(column_type: str) -> bool:
    """Whether a value of a Parquet column's type can be a JSON object or array."""
    t = column_type.upper()
    return t.startswith(("STRUCT", "MAP", "UNION", "JSON", "VARIANT")) or t.endswith("]")


def _parquet_view(
    con: duckdb.DuckDBPyConnection,
    source: SourceConfig,
    file: Path,
    output: tuple[str, ...],
    properties_name: str,
) -> ReaderOutput | None:
    """One Parquet file as a temp view in :data:`EVENT_COLUMNS` layout (``raw`` NULL; its text
    on demand via ``raw_sql``), giving exactly the rows of the copying path
    (:func:`_read_parquet` + :func:`read_mapped`): the same text of every field, and for a
    field going to ``properties`` ``to_json`` of its value where that is an object or array
    (what the copying path finds by re-parsing the whole row's JSON), else its text.
    None for a file the copying path must read (a column named like a reader column)."""
    fields, types = _parquet_schema(con, file)
    if any(f.lower() in _RESERVED or f.lower().startswith(INTERNAL_PREFIX) for f in fields):
        return None
    used = projected_fields(source, fields, output=output, properties_name=properties_name)
    # the inner projection: every field as its text (`_parquet_text`, as the copying path's
    # table holds it), plus a typed copy of each field that may nest and goes to properties
    inner = [f"{_parquet_text(f, types.get(f, ''))} as {ident(f)}" for f in fields]
    pairs = []
    for i, f in enumerate(f for f in fields if f not in used):
        value = f"to_json(nullif({ident(f)}::VARCHAR, ''))"
        if _may_nest(types.get(f, "")):
            typed = ident(f"{INTERNAL_PREFIX}typed_{i}")
            inner.append(f"{ident(f)} as {typed}")
            value = f"case when json_type(to_json({typed})) in ('OBJECT', 'ARRAY') then to_json({typed}) else {value} end"
        pairs.append(f"{literal(f)}, {value}")
    extra = f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))" if pairs else None
    select_list, params = canonical_projection(
        source, fields, output=output, properties_name=properties_name, extra_properties_sql=extra
    )
    out = temp_name(properties_name)
    rel = con.sql(
        f"select file, line, NULL::VARCHAR as raw, NULL::VARCHAR as error, {select_list} from ("
        f"select $f as file, file_row_number + 1 as line, {', '.join(inner)} "
        f"from read_parquet($f, file_row_number=true))",
        params={"f": str(file), **params},
    )
    rel.create_view(out)
    raw_sql = (
        f"select file_row_number + 1 as line, {_parquet_raw_sql(fields)} as raw "
        f"from read_parquet($f, file_row_number=true) "
        f"where file_row_number + 1 in (select line from _jm_raw_lines)"
    )
    return ReaderOutput(out, "record", raw_sql, {"f": str(file)})


def _read_parquet(con: duckdb.DuckDBPyConnection, file: Path) -> Records:
    out = temp_name("rec")
    fields, types = _parquet_schema(con, file)
    cols = ", ".join(f"{_parquet_text(f, types.get(f, ''))} as {ident(f)}" for f in fields)
    raw = _parquet_raw_sql(fields)
    con.execute(
        f"create temp table {out} as select *, raw::JSON as _jm_json from ("
        f"select $f as file, file_row_number + 1 as line, {raw} as raw, "
        f"NULL::VARCHAR as error, {cols} from read_parquet($f, file_row_number=true)) order by line",
        {"f": str(file)},
    )
    return Records(out, fields, "record", "_jm_json")
