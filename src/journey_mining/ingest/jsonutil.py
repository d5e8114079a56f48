"""Shared helpers of the vendor JSON readers (``segment``, ``sendgrid``, ``zendesk``) and XES.

Everything here runs in DuckDB; Python only assembles SQL text from names read from the
file (JSON keys, always quoted) and never from config values (those stay bound parameters).

:func:`read_json_values` turns a JSON file into one row per top-level JSON value:

* JSON lines (``.jsonl``/``.ndjson``, or a ``.json`` file whose first line is a whole JSON
  value): one row per non-blank line, numbered by physical line; a line that is not JSON
  (or not valid text in the file's encoding) becomes a row with ``_jm_error`` set;
* a JSON array document: one row per element, numbered 1, 2, ...;
* any other document (e.g. a pretty-printed ``{"batch": [...]}`` or ``{"tickets": [...]}``):
  one row per top-level value; a document that does not parse becomes ONE error row.

``.gz`` is decompressed by DuckDB; a file DuckDB cannot read as text at all (a corrupt
``.gz``) becomes one error row. Files in another ``options.encoding`` than UTF-8 are read as
JSON lines only. The internal column names start with ``_jm_`` so they can never clash with
a field of the file (fields with that prefix, or with an empty name, are not exposed as
fields; their values still reach ``properties``).

Arrays inside a document are expanded with ``unnest(from_json(x, '["JSON"]'))``, never
``json_each``: in DuckDB 2.0 ``json_each`` copies its whole input for every element, which
exhausts memory on a large export document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import one_line
from .base import _LINE_DELIM, EVENT_COLUMNS, ident, is_utf8, literal, temp_name
from .recover import bom_encoding, gunzip_prefix, recover_json_values, transcode_bom

__all__ = [
    "INTERNAL_PREFIX",
    "create_event_table",
    "JsonValues",
    "jptr",
    "json_text_sql",
    "json_value_text",
    "path_fields",
    "read_json_values",
    "read_text_lines",
    "remove_keys_sql",
    "snake_sql",
    "unique_fields",
]

INTERNAL_PREFIX = "_jm_"
# Objects bigger than DuckDB's 16 MB default (a whole Zendesk export page) must still parse.
# DuckDB allocates a read buffer of twice ``maximum_object_size`` up front, so it is sized
# from the file (no object is larger than the file): a 3 MB file needs 6 MB, not 2 GiB, and
# reads under a small ``[execution] memory_limit``. Compressed files keep the upper bound.
_MAX_OBJECT = 1 << 30
_MIN_OBJECT = 1 << 20
_MAX_LINE = 1 << 26


@dataclass(frozen=True)
class JsonValues:
    """Temp table ``_jm_line BIGINT, _jm_raw VARCHAR, _jm_json JSON, _jm_error VARCHAR``."""

    table: str
    position_kind: str  # line | record


def create_event_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    query: str,
    params: Mapping[str, object],
    order_by: str = "line",
) -> None:
    """``create temp table name`` from ``query`` with exactly :data:`EVENT_COLUMNS`, typed
    (VARCHAR, ``line`` BIGINT) whatever the query's own types (a bare NULL has type NULL),
    in ``order_by`` order (columns of ``query``)."""
    cols = ", ".join(
        f"{ident(c)}::{'BIGINT' if c == 'line' else 'VARCHAR'} as {ident(c)}" for c in EVENT_COLUMNS
    )
    con.execute(
        f"create temp table {name} as select {cols} from ({query}) order by {order_by}",
        dict(params),
    )


def jptr(*keys: str) -> str:
    """A SQL literal holding the JSON pointer (RFC 6901) to ``keys``; works for any key."""
    return literal("/" + "/".join(k.replace("~", "~0").replace("/", "~1") for k in keys))


def json_text_sql(json_col: str, keys: Sequence[str]) -> str:
    """Text of the value at ``keys``: scalars unquoted, objects/arrays as JSON text."""
    p = jptr(*keys)
    return (
        f"case when json_type({json_col}->{p}) in ('OBJECT', 'ARRAY') "
        f"then ({json_col}->{p})::VARCHAR else {json_col}->>{p} end"
    )


def json_value_text(value: str) -> str:
    """Text of a JSON value (e.g. one of a ``json_extract(j, [paths])`` list): scalars
    unquoted, objects/arrays as JSON text; for ``j->p`` what :func:`json_text_sql` gives for
    the key at ``p``, without parsing ``j`` again."""
    return (
        f"case when json_type({value}) in ('OBJECT', 'ARRAY') "
        f"then ({value})::VARCHAR else {value}->>'$' end"
    )


def snake_sql(expr: str) -> str:
    """``Order Completed`` -> ``order_completed``: lower-case, runs of non-alphanumerics
    (Unicode letters and digits count as alphanumeric) -> ``_``, trimmed; '' -> NULL."""
    return f"nullif(trim(regexp_replace(lower({expr}), '[^\\p{{L}}\\p{{N}}]+', '_', 'g'), '_'), '')"


def remove_keys_sql(json_expr: str, keys: Iterable[str]) -> str:
    """The JSON object ``json_expr`` without ``keys`` (top level) and without null members,
    via RFC 7396 merge patches (applied in turn, one parse of ``json_expr``); NULL when
    ``json_expr`` is not an object."""
    patch = json.dumps({k: None for k in keys}, ensure_ascii=False)
    return (
        f"case when json_type({json_expr}) = 'OBJECT' then "
        f"json_merge_patch('{{}}', {json_expr}, {literal(patch)})::VARCHAR end"
    )


def path_fields(
    con: duckdb.DuckDBPyConnection,
    table: str,
    json_col: str,
    max_depth: int,
    where: str = "true",
    max_fields: int = 5000,
) -> list[tuple[str, ...]]:
    """Key paths of the JSON objects in ``table.json_col``, descending into objects (not
    arrays) down to ``max_depth`` keys; by depth, then first appearance (row, then key
    position). Two scans per level whatever the number of keys; at most ``max_fields``
    paths (a file with more distinct keys keeps the rest in ``properties`` only)."""
    out: list[tuple[str, ...]] = []
    parents: list[tuple[str, ...]] = [()]
    for depth in range(max_depth):
        if not parents or len(out) >= max_fields:
            break
        paths = "[" + ", ".join(jptr(*p) if p else "'$'" for p in parents) + "]"
        rows = con.sql(
            f"select p, k, min(_jm_line) as first, min(i) as pos from ("
            f"select _jm_line, p, unnest(ks) as k, unnest(range(len(ks))) as i from ("
            f"select _jm_line, unnest(range({len(parents)})) as p, "
            f"unnest(json_keys({json_col}, {paths})) as ks from {table} "
            f"where ({where}) and json_type({json_col}) = 'OBJECT') where len(ks) > 0) "
            f"group by p, k order by first, p, pos, k"
        ).fetchall()
        level = [parents[p] + (k,) for p, k, _, _ in rows][: max_fields - len(out)]
        out += level
        parents = []
        if depth + 1 < max_depth and level:
            # descend only into members that are an object in some row
            kids = "[" + ", ".join(jptr(*p) for p in level) + "]"
            hit = con.sql(
                f"select distinct i from (select unnest(range({len(level)})) as i, "
                f"unnest(json_type({json_col}, {kids})) as t from {table} "
                f"where ({where}) and json_type({json_col}) = 'OBJECT') where t = 'OBJECT'"
            ).fetchall()
            idx = sorted(r[0] for r in hit)
            parents = [level[i] for i in idx]
    return out


def unique_fields(names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """Names usable as DuckDB columns: the first of names equal ignoring case, none empty,
    none that starts with the internal prefix or equals a ``reserved`` name (ignoring case).
    (Values under the names left out still reach ``properties`` through the JSON.)"""
    seen = {r.lower() for r in reserved}
    out = []
    for n in names:
        low = n.lower()
        if not n or low in seen or low.startswith(INTERNAL_PREFIX):
            continue
        seen.add(low)
        out.append(n)
    return out


# --------------------------------------------------------------------------- reading


def read_text_lines(con: duckdb.DuckDBPyConnection, file: Path, encoding: str = "utf-8") -> str:
    """Temp table ``(_jm_line, _jm_raw, _jm_error)``: every physical line (blank ones as
    NULL), decompressing .gz. A line that is not valid text in ``encoding`` is kept as a row
    with ``_jm_error`` set (DuckDB's CSV reader rejects it; the rejects table has its line).

    A UTF-16/32 file (byte order mark) read as UTF-8 is transcoded first; a ``.gz`` cut
    short gives every complete line before the cut plus ONE error row for the cut-off tail.
    """
    if is_utf8(encoding) and (bom := bom_encoding(file)) is not None:
        tmp = transcode_bom(file, bom)
        try:
            return _read_text_lines(con, tmp, "utf-8")
        finally:
            tmp.unlink(missing_ok=True)
    try:
        return _read_text_lines(con, file, encoding, raise_errors=_is_gz(file))
    except duckdb.Error as e:
        gz = gunzip_prefix(file, keep_tail=False)
        try:
            lines = _read_text_lines(con, gz.path, encoding)
        finally:
            gz.path.unlink(missing_ok=True)
        if gz.error or gz.tail:
            con.execute(
                f"insert into {lines} select coalesce(max(_jm_line), 0) + 1, $raw, $err from {lines}",
                {
                    "raw": gz.tail[:2000].decode("utf-8", "replace"),
                    "err": f"unreadable line: {gz.error or 'the .gz file ends inside this line'} ({one_line(e)})",
                },
            )
        return lines


def _is_gz(file: Path) -> bool:
    with open(file, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _read_text_lines(
    con: duckdb.DuckDBPyConnection, file: Path, encoding: str = "utf-8", raise_errors: bool = False
) -> str:
    lines, rej = temp_name("jl"), temp_name("jlrej")
    params: dict[str, object] = {"f": str(file)}
    enc = ""
    if not is_utf8(encoding):
        params["encoding"] = encoding
        enc = ", encoding=$encoding"
    try:
        con.execute(
            f"create temp table {lines}_a as select row_number() over () as _k, raw from read_csv($f, "
            f"header=false, columns={{'raw': 'VARCHAR'}}, delim={literal(_LINE_DELIM)}, quote='', "
            f"escape='', auto_detect=false, strict_mode=false, max_line_size={_MAX_LINE}, "
            f"buffer_size={_MAX_LINE * 2}, store_rejects=true, rejects_table='{rej}', "
            f"rejects_scan='{rej}_scan'{enc})",
            params,
        )
    except duckdb.Error as e:
        # Not readable as text at all (e.g. a corrupt .gz): one row says so.
        for t in (f"{lines}_a", rej, f"{rej}_scan"):
            con.execute(f"drop table if exists {t}")
        if raise_errors:
            raise
        con.execute(
            f"create temp table {lines} as select 1::BIGINT as _jm_line, ''::VARCHAR as _jm_raw, "
            f"$err::VARCHAR as _jm_error",
            {"err": "unreadable file: " + one_line(e)},
        )
        return lines
    n_rej = con.sql(f"select count(*) from {rej}").fetchall()[0][0]
    if n_rej == 0:
        con.execute(
            f"create temp table {lines} as select _k as _jm_line, raw as _jm_raw, "
            f"NULL::VARCHAR as _jm_error from {lines}_a"
        )
    else:
        # Accepted row k sits on the k-th line number that was not rejected.
        con.execute(
            f"create temp table {lines} as "
            f"with r as (select distinct line from {rej}), "
            f"n as (select count(*) as n from {lines}_a), "
            f"nums as (select t.range as line, row_number() over (order by t.range) as _k "
            f"  from n, range(1, n.n + (select count(*) from r) + 1) t "
            f"  where t.range not in (select line from r)) "
            f"select nums.line as _jm_line, a.raw as _jm_raw, NULL::VARCHAR as _jm_error "
            f"from {lines}_a a join nums using (_k) "
            f"union all "
            f"select line, any_value(csv_line), 'unreadable line (' || any_value(error_type) || '): ' "
            f"|| any_value(error_message) from {rej} group by line"
        )
    con.execute(f"drop table {lines}_a")
    con.execute(f"drop table {rej}")
    con.execute(f"drop table {rej}_scan")
    return lines


def _is_lines_suffix(file: Path) -> bool:
    name = file.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith((".jsonl", ".ndjson"))


def max_object_size(file: Path) -> int:
    """``maximum_object_size`` for reading ``file``: its size (the largest object it can
    hold; at least 1 MiB), or :data:`_MAX_OBJECT` for a compressed file.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".json") as f:
    ...     max_object_size(Path(f.name))
    1048576
    """
    if _is_gz(file):
        return _MAX_OBJECT
    return min(_MAX_OBJECT, max(_MIN_OBJECT, file.stat().st_size + 1))


def read_json_values(
    con: duckdb.DuckDBPyConnection, file: Path, encoding: str = "utf-8"
) -> JsonValues:
    """One row per top-level JSON value of ``file`` (see the module docstring)."""
    lines = read_text_lines(con, file, encoding)
    out = temp_name("jv")
    # A UTF-8 byte order mark would make the first line invalid JSON.
    clean = "case when _jm_line = 1 then ltrim(_jm_raw, chr(65279)) else _jm_raw end"
    layout = "lines"
    if not _is_lines_suffix(file) and is_utf8(encoding):
        # the first non-blank line: '[' starts an array document; a line that is a whole
        # JSON value starts JSON lines; anything else is a (pretty-printed) document
        head = con.sql(
            f"select left(ltrim(r), 1) = '[', try_cast(r as JSON) is not null from ("
            f"select {clean} as r from {lines} where _jm_error is null and _jm_raw is not null "
            f"and trim(_jm_raw, ' ' || chr(9) || chr(65279)) <> '' order by _jm_line limit 1)"
        ).fetchall()
        if head:
            is_array, whole = head[0]
            layout = "array" if is_array else "lines" if whole else "document"
    if layout == "lines":
        con.execute(
            f"create temp table {out} as select _jm_line, _jm_raw, try_cast({clean} as JSON) as _jm_json, "
            f"coalesce(_jm_error, case when try_cast({clean} as JSON) is null "
            f"then 'invalid JSON: ' || left(_jm_raw, 80) end) as _jm_error "
            f"from {lines} where _jm_error is not null or (_jm_raw is not null "
            f"and trim(_jm_raw, ' ' || chr(9) || chr(65279)) <> '') order by _jm_line"
        )
        con.execute(f"drop table {lines}")
        return JsonValues(out, "line")
    fmt = "array" if layout == "array" else "unstructured"
    try:
        con.execute(
            f"create temp table {out} as select row_number() over () as _jm_line, json::VARCHAR as _jm_raw, "
            f"json as _jm_json, NULL::VARCHAR as _jm_error from read_json_objects($f, format='{fmt}', "
            f"maximum_object_size={max_object_size(file)})",
            {"f": str(file)},
        )
        # (an empty array is fine; a non-blank document without any value is not)
        empty = (
            fmt == "unstructured" and con.sql(f"select count(*) = 0 from {out}").fetchall()[0][0]
        )
        error = "invalid JSON document: no JSON value in it" if empty else None
        if fmt == "array" and error is None and _last_char(file) != "]":
            # DuckDB accepts an array cut off after a comma: keep what parsed, and say so
            con.execute(
                f"insert into {out} select count(*) + 1, NULL, NULL, 'invalid JSON document: it "
                f"ends before the closing ] (truncated file?)' from {out}"
            )
    except duckdb.OutOfMemoryException:
        raise  # not the file's fault: the run fails with one line naming memory_limit
    except duckdb.Error:
        # Keep every element that parses; each broken stretch is one error row.
        con.execute(f"drop table if exists {out}")
        _recover_document(con, file, encoding, out)
        con.execute(f"drop table {lines}")
        return JsonValues(out, "record")
    if error is not None:
        # The document is unusable as a whole: one row carries its beginning and the reason.
        con.execute(f"drop table if exists {out}")
        con.execute(
            f"create temp table {out} as select 1::BIGINT as _jm_line, "
            f"left(string_agg(coalesce(_jm_raw, ''), chr(10) order by _jm_line), 2000) as _jm_raw, "
            f"NULL::JSON as _jm_json, $err::VARCHAR as _jm_error "
            f"from (select * from {lines} order by _jm_line limit 200)",
            {"err": error},
        )
    con.execute(f"drop table {lines}")
    return JsonValues(out, "record")


def _recover_document(con: duckdb.DuckDBPyConnection, file: Path, encoding: str, out: str) -> None:
    """Temp table ``out`` (like :func:`read_json_values`'s) from the recovery parser."""
    import pyarrow as pa

    if _is_gz(file):
        gz = gunzip_prefix(file, keep_tail=True)
        try:
            data = gz.path.read_bytes()
        finally:
            gz.path.unlink(missing_ok=True)
    else:
        data = file.read_bytes()
    bom = bom_encoding(file) if not _is_gz(file) else None
    enc = bom or ("utf-8" if is_utf8(encoding) else encoding)
    text = data.decode(enc, "replace").lstrip("\ufeff")
    rows = recover_json_values(text)
    batch = pa.table(
        {
            "_jm_line": pa.array(range(1, len(rows) + 1), pa.int64()),
            "_jm_raw": pa.array([r for r, _ in rows], pa.string()),
            "_jm_error": pa.array([e for _, e in rows], pa.string()),
        }
    )
    view = temp_name("jrec")
    con.register(view, batch)
    try:
        con.execute(
            f"create temp table {out} as select _jm_line, _jm_raw, "
            f"case when _jm_error is null then try_cast(_jm_raw as JSON) end as _jm_json, "
            f"coalesce(_jm_error, case when try_cast(_jm_raw as JSON) is null "
            f"then 'invalid JSON: ' || left(_jm_raw, 80) end) as _jm_error from {view} order by _jm_line"
        )
    finally:
        con.unregister(view)


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
