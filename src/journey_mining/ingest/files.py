"""Read one tabular or JSON file into a temp table of text fields, with DuckDB.

:func:`read_records` is the shared first step of the ``events``, ``customers`` and
``segment`` readers. It yields a temp table with ``file, line, raw, error`` and one VARCHAR
column per field of the file (JSON: one per top-level key, nested values as JSON text).
Nothing is dropped: a line DuckDB cannot parse becomes a row with ``error`` set.

File kinds by suffix (``.gz`` allowed on all text kinds):
``.csv .tsv .txt`` CSV; ``.jsonl .ndjson`` one JSON object a line; ``.json`` a JSON array of
objects (or one object, or JSON lines); ``.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..config import SourceConfig
from ..errors import SourceError
from .base import ident, is_utf8, lines_sql, temp_name

__all__ = ["Records", "file_kind", "read_records"]


@dataclass(frozen=True)
class Records:
    table: str  # temp table: file, line, raw, error, <fields...>
    fields: tuple[str, ...]
    position_kind: str  # line | record


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
    return _read_json(con, source, file, kind)


# --------------------------------------------------------------------------- CSV


def _csv_args(source: SourceConfig) -> tuple[str, dict]:
    o = source.options
    params: dict[str, object] = {"delim": o.delimiter, "quote": o.quote, "header": o.header}
    args = "all_varchar=true, header=$header, delim=$delim, quote=$quote"
    if o.names:
        params["names"] = list(o.names)
        args += ", names=$names"
    if not is_utf8(o.encoding):
        params["encoding"] = o.encoding
        args += ", encoding=$encoding"
    return args, params


def _read_csv(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> Records:
    parsed, rejects, lines, out = (temp_name(p) for p in ("csv", "rej", "lines", "rec"))
    args, params = _csv_args(source)
    params["f"] = str(file)
    try:
        con.execute(
            f"create temp table {parsed} as select row_number() over () as _rec, * "
            f"from read_csv($f, {args}, store_rejects=true, rejects_table='{rejects}', "
            f"rejects_scan='{rejects}_scan')",
            params,
        )
    except duckdb.Error as e:
        raise SourceError(f"source {source.name!r}: cannot read {file} as CSV: {_one_line(e)}") from None
    fields = tuple(d[0] for d in con.execute(f"select * from {parsed} limit 0").description[1:])
    line_params: dict[str, object] = {"f": str(file)}
    sql, enc = lines_sql(source.options.encoding)
    try:
        con.execute(f"create temp table {lines} as {sql}", line_params | enc)
    except duckdb.Error:  # the line view is only a nicety: fall back to record numbers
        con.execute(f"create temp table {lines} (line BIGINT, raw VARCHAR)")
    header_lines = 1 if source.options.header else 0
    # Align parsed records with physical lines when every record is one line (the usual
    # case): the k-th non-blank, non-header, non-rejected line is record k. Otherwise
    # (quoted fields with newlines) fall back to record numbers and rebuilt text.
    n_rec = con.sql(f"select count(*) from {parsed}").fetchall()[0][0]
    con.execute(
        f"create temp table {lines}_data as select l.line, l.raw, row_number() over (order by l.line) as _rec "
        f"from {lines} l where l.raw is not null and trim(l.raw, chr(13)) <> '' and l.line > {header_lines} "
        f"and l.line not in (select line from {rejects})"
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
    rejected = (
        f"select $f as file, line, csv_line as raw, "
        f"'unparseable CSV row: ' || error_message as error{', ' + nulls if nulls else ''} "
        f"from {rejects}"
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


def _read_json(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path, kind: str) -> Records:
    """JSON lines, or a JSON document holding an array of objects."""
    raw_t, out = temp_name("jraw"), temp_name("rec")
    params = {"f": str(file)}
    if kind == "json":
        kind = _json_layout(con, file)
    if kind == "jsonl":
        sql, enc = lines_sql(source.options.encoding)
        con.execute(
            f"create temp table {raw_t} as select line, raw, try_cast(raw as JSON) as j "
            f"from ({sql}) where raw is not null and trim(raw, ' ' || chr(9) || chr(13)) <> ''",
            params | enc,
        )
        position_kind = "line"
    else:  # one JSON document: an array of records, or objects one after another
        fmt = "array" if kind == "array" else "unstructured"
        try:
            con.execute(
                f"create temp table {raw_t} as select row_number() over () as line, "
                f"json::VARCHAR as raw, json as j, NULL::VARCHAR as doc_error "
                f"from read_json_objects($f, format=$fmt)",
                params | {"fmt": fmt},
            )
            if fmt == "array" and _last_char(file) != "]":
                # DuckDB accepts an array cut off after a comma; say so instead of
                # silently ending there.
                con.execute(
                    f"insert into {raw_t} select count(*) + 1, NULL, NULL, "
                    f"'invalid JSON document: it ends before the closing ] (truncated file?)' from {raw_t}"
                )
        except duckdb.Error as e:
            # The whole document is unusable: one quarantined row carries the file.
            con.execute(
                f"create or replace temp table {raw_t} as select 1::BIGINT as line, "
                f"$raw as raw, NULL::JSON as j, $err as doc_error",
                {"err": "invalid JSON document: " + _one_line(e), "raw": _head_text(file)},
            )
        position_kind = "record"
    fields = tuple(
        r[0]
        for r in con.sql(
            f"select k from (select k, min(line) as first from (select unnest(json_keys(j)) as k, line "
            f"from {raw_t} where json_type(j) = 'OBJECT') group by k) order by first, k"
        ).fetchall()
    )
    cols = ", ".join(
        f"case when json_type(j->{_sqlstr(k)}) in ('OBJECT', 'ARRAY') then (j->{_sqlstr(k)})::VARCHAR "
        f"else j->>{_sqlstr(k)} end as {ident(k)}"
        for k in fields
    )
    error = (
        "case when j is null then 'invalid JSON: ' || left(raw, 80) "
        "when json_type(j) <> 'OBJECT' then 'not a JSON object: ' || left(raw, 80) end"
    )
    if position_kind == "record":
        error = f"coalesce(doc_error, {error})"
    con.execute(
        f"create temp table {out} as select $f as file, line, raw, {error} as error"
        f"{', ' + cols if cols else ''} from {raw_t} order by line",
        params,
    )
    con.execute(f"drop table {raw_t}")
    return Records(out, fields, position_kind)


def _head_text(file: Path, limit: int = 2000) -> str:
    """The start of a (possibly gzipped) file as text, for a quarantined document."""
    import gzip

    opener = gzip.open if file.name.lower().endswith(".gz") else open
    with opener(file, "rb") as fh:
        return fh.read(limit).decode("utf-8", errors="replace")


def _last_char(file: Path) -> str:
    """The last non-blank character of a (possibly gzipped) text file."""
    import gzip

    tail = b""
    opener = gzip.open if file.name.lower().endswith(".gz") else open
    with opener(file, "rb") as fh:
        if opener is open:
            fh.seek(max(0, file.stat().st_size - 4096))
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            tail = (tail + chunk)[-4096:]
    stripped = tail.rstrip()
    return chr(stripped[-1]) if stripped else ""


def _json_layout(con: duckdb.DuckDBPyConnection, file: Path) -> str:
    """'array' when the document starts with '[', 'jsonl' when its first line is a whole
    JSON value, else 'document' (pretty-printed objects one after another)."""
    head = con.execute(
        "select ltrim(raw) from read_csv($f, header=false, columns={'raw': 'VARCHAR'}, "
        "delim=chr(31) || chr(30), quote='', escape='', auto_detect=false, strict_mode=false) "
        "where raw is not null and trim(raw) <> '' limit 2",
        {"f": str(file)},
    ).fetchall()
    if not head:
        return "jsonl"
    first = head[0][0]
    if first.startswith("["):
        return "array"
    # one object per line: the first line parses alone
    ok = con.execute("select try_cast($s as JSON) is not null", {"s": first}).fetchall()[0][0]
    return "jsonl" if ok else "document"


# --------------------------------------------------------------------------- Parquet


def _read_parquet(con: duckdb.DuckDBPyConnection, file: Path) -> Records:
    out = temp_name("rec")
    try:
        desc = con.execute("select * from read_parquet($f) limit 0", {"f": str(file)}).description
    except duckdb.Error as e:
        raise SourceError(f"cannot read {file} as Parquet: {_one_line(e)}") from None
    fields = tuple(d[0] for d in desc)
    cols = ", ".join(f"{ident(f)}::VARCHAR as {ident(f)}" for f in fields)
    raw = "to_json(struct_pack(" + ", ".join(f"{ident(f)} := {ident(f)}" for f in fields) + "))::VARCHAR"
    con.execute(
        f"create temp table {out} as select $f as file, file_row_number + 1 as line, {raw} as raw, "
        f"NULL::VARCHAR as error, {cols} from read_parquet($f, file_row_number=true) order by line",
        {"f": str(file)},
    )
    return Records(out, fields, "record")


def _sqlstr(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300]
