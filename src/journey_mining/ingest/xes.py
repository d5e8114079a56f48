"""Reader for IEEE XES event logs (format ``xes``; ``.xes`` and ``.xes.gz``).

Follows IEEE Std 1849-2016 (XES), https://www.xes-standard.org/ : a ``<log>`` of
``<trace>`` elements holding ``<event>`` elements; attributes are ``<string>``, ``<date>``
(xs:dateTime), ``<int>``, ``<float>``, ``<boolean>``, ``<id>``, ``<list>`` and
``<container>`` elements with ``key``/``value``, possibly nested (meta-attributes), named
with the standard extensions' prefixes (``concept:name``, ``time:timestamp``,
``lifecycle:transition``, ``org:resource``, ``identity:id``, ...).

The document is streamed with :func:`xml.etree.ElementTree.iterparse` (gzip detected from
the file's magic bytes), one trace at a time, and appended to a temp table in batches of
``BATCH_ROWS`` rows through pyarrow; DuckDB then flattens and projects. Nothing is loaded
whole.

Flattening: event attributes keep their key; trace attributes become ``case:<key>`` (an
event attribute wins a clash); log-level attributes, globals, extensions and classifiers
are not event data and are skipped. Values stay text as written in the file (dates keep
their offset). A nested attribute of a simple attribute becomes ``<key>.<child key>``; a
``list`` becomes a JSON array of its values, a ``container`` a JSON object (as fields: their
JSON text).

``raw`` is the event's flattened attributes as a JSON object; ``line`` the event's ordinal in
the file (``position_kind = "record"``). A malformed or truncated document keeps every event
read before the fault and adds ONE row with ``error`` set (its ``raw`` is the offending XML
line when it can be found), then one error row per ``<event`` start tag after the fault (the
events the parser can no longer read are counted, not lost); a well-formed document whose root is not ``<log>`` adds one
error row as well.

Default mapping (``source.columns`` / ``source.constants`` override it; e.g.
``user_id = "customer"``):

==============  ========================================================
event_type      ``concept:name``
occurred_at     ``time:timestamp`` (ISO-8601 with offset)
user_id         ``case:concept:name`` (the case is the journey)
event_id        ``identity:id`` when the log has it (else derived downstream)
properties      every other flattened attribute (``lifecycle:transition``,
                ``org:resource``, other ``case:...`` attributes, ...)
==============  ========================================================

Fields for ``source.columns``: the flattened attribute names seen in the file.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa

from ..config import SourceConfig
from ..errors import one_line
from .base import ReaderOutput, canonical_projection, ident, literal, projected_fields, temp_name
from .jsonutil import create_event_table, remove_keys_sql, unique_fields

__all__ = ["read", "DEFAULT_TIMESTAMP_FORMAT"]

DEFAULT_TIMESTAMP_FORMAT = "iso"
BATCH_ROWS = 20_000

_ATTRS = frozenset({"string", "date", "int", "float", "boolean", "id", "list", "container"})
# canonical column -> flattened attribute it defaults to
_DEFAULT_KEYS = {
    "event_type": "concept:name",
    "occurred_at": "time:timestamp",
    "user_id": "case:concept:name",
    "event_id": "identity:id",
}


def _open(file: Path) -> IO[bytes]:
    with open(file, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(file, "rb") if magic == b"\x1f\x8b" else open(file, "rb")  # noqa: SIM115


_local_cache: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _local_cache.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_local_cache) < 1000:
            _local_cache[tag] = name
    return name


def _value(el: ET.Element) -> object:
    """Python value of an attribute element: text, or list/dict for list/container."""
    kind = _local(el.tag)
    if kind == "list":
        values = [c for c in el if _local(c.tag) == "values"]
        items = [c for v in values for c in v] if values else list(el)
        return [_value(c) for c in items if _local(c.tag) in _ATTRS]
    if kind == "container":
        return {c.get("key", ""): _value(c) for c in el if _local(c.tag) in _ATTRS}
    return el.get("value")


def _flatten(el: ET.Element, prefix: str, out: dict[str, object]) -> None:
    """Add the attribute element ``el`` (and its nested attributes) to ``out``."""
    kind = _local(el.tag)
    if kind not in _ATTRS:
        return
    key = el.get("key")
    if key is None:
        return
    name = prefix + key
    if kind in ("list", "container"):
        out.setdefault(name, _value(el))
        return
    out.setdefault(name, el.get("value"))
    for child in el:
        _flatten(child, name + ".", out)


class _Sink:
    """Collects (line, raw) rows and appends them to the temp table in batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        self.con, self.table = con, table
        self.lines: list[int] = []
        self.raws: list[str] = []
        self.errors: list[str | None] = []
        self.count = 0
        self.keys: dict[str, None] = {}

    def add(self, row: dict[str, object]) -> None:
        self.count += 1
        self.keys.update(dict.fromkeys(row))
        self.lines.append(self.count)
        self.raws.append(json.dumps(row, ensure_ascii=False))
        self.errors.append(None)
        if len(self.lines) >= BATCH_ROWS:
            self.flush()

    def add_error(self, raw: str, error: str) -> None:
        self.count += 1
        self.lines.append(self.count)
        self.raws.append(raw)
        self.errors.append(error)
        if len(self.lines) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        batch = pa.table(
            {
                "_jm_line": pa.array(self.lines, pa.int64()),
                "_jm_raw": pa.array(self.raws, pa.string()),
                "_jm_error": pa.array(self.errors, pa.string()),
            }
        )
        view = temp_name("xes_batch")
        self.con.register(view, batch)
        try:
            self.con.execute(
                f"insert into {self.table} select _jm_line, _jm_raw, _jm_error from {view}"
            )
        finally:
            self.con.unregister(view)
        self.lines, self.raws, self.errors = [], [], []


def _emit_trace(sink: _Sink, trace: ET.Element | None, events: list[dict[str, object]]) -> None:
    case: dict[str, object] = {}
    if trace is not None:
        for child in trace:
            if _local(child.tag) in _ATTRS:
                _flatten(child, "case:", case)
    for row in events:
        for k, val in case.items():
            row.setdefault(k, val)
        sink.add(row)
    events.clear()


def _line_at(file: Path, lineno: int) -> str:
    """The text of line ``lineno`` of the (decompressed) file, or '' (best effort)."""
    if lineno < 1:
        return ""
    last = b""
    try:
        with _open(file) as fh:
            for i, line in enumerate(fh, 1):
                last = line
                if i >= lineno:
                    break
    except (OSError, EOFError, zlib.error):
        pass
    return last[:2000].decode("utf-8", "replace").strip()


_EVENT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?event(?=[\s/>])")


def _count_events_after(file: Path, line: int, col: int, sink: _Sink) -> None:
    """After an XML error the parser stops: every ``<event`` start tag after the error
    position is still a record of the file, so each becomes one error row (its raw text is
    the line it starts on) instead of vanishing uncounted."""
    try:
        with _open(file) as fh:
            for i, text in enumerate(fh, 1):
                if i < line:
                    continue
                start = col + 1 if i == line else 0
                for _ in _EVENT_TAG.finditer(text, start):
                    sink.add_error(
                        text[:2000].decode("utf-8", "replace").strip(),
                        f"XES event after the XML error at line {line}: not read "
                        f"(the document is malformed from line {line} on)",
                    )
    except (OSError, EOFError, zlib.error):
        pass  # a cut .gz: nothing more can be counted


def _stream(file: Path, sink: _Sink) -> None:
    """Parse ``file`` into ``sink``; a fault ends the stream with one error row."""
    root: ET.Element | None = None
    trace: ET.Element | None = None
    events: list[dict[str, object]] = []
    try:
        with _open(file) as fh:
            for ev, el in ET.iterparse(fh, events=("start", "end")):
                if ev == "start":
                    if root is None:
                        root = el
                    elif trace is None and _local(el.tag) == "trace":
                        trace = el
                    continue
                tag = _local(el.tag)
                if tag == "event":
                    row: dict[str, object] = {}
                    for child in el:
                        _flatten(child, "", row)
                    el.clear()
                    events.append(row)
                    if trace is None:  # an event outside any trace
                        _emit_trace(sink, None, events)
                elif tag == "trace" and el is trace:
                    _emit_trace(sink, trace, events)
                    trace = None
                    root.clear()  # type: ignore[union-attr]  # drop processed traces
    except ET.ParseError as e:
        _emit_trace(sink, trace, events)
        line, col = getattr(e, "position", (0, 0))
        sink.add_error(
            _line_at(file, line),
            f"malformed XES (XML error at line {line}, column {col}): {one_line(e)}",
        )
        _count_events_after(file, line, col, sink)
        return
    except (OSError, EOFError, zlib.error) as e:  # unreadable or truncated .gz
        _emit_trace(sink, trace, events)
        sink.add_error("", f"unreadable XES file: {one_line(e)}")
        return
    if root is None or _local(root.tag) != "log":
        name = _local(root.tag) if root is not None else "?"
        sink.add_error(f"<{name}>", f"not an XES log: the root element is <{name}>, not <log>")


def read(con: duckdb.DuckDBPyConnection, source: SourceConfig, file: Path) -> ReaderOutput:
    rows, out = temp_name("xes_rows"), temp_name("xes")
    con.execute(f"create temp table {rows} (_jm_line BIGINT, _jm_raw VARCHAR, _jm_error VARCHAR)")
    sink = _Sink(con, rows)
    _stream(file, sink)
    sink.flush()

    fields = unique_fields(sink.keys)
    defaults_used = {c: k for c, k in _DEFAULT_KEYS.items() if c not in source.columns}
    struct_keys = unique_fields([*fields, *_DEFAULT_KEYS.values()])
    structure = json.dumps({k: "VARCHAR" for k in struct_keys}, ensure_ascii=False)
    cols = "".join(f", _jm_s[{literal(k)}] as {ident(k)}" for k in struct_keys)
    defaults = {c: ident(k) for c, k in defaults_used.items() if k in struct_keys}
    consumed = set(defaults_used.values())
    used = projected_fields(source, fields, defaults, consumed)
    props = remove_keys_sql("_jm_j", sorted(used))
    select, params = canonical_projection(source, fields, defaults, extra_properties_sql=props)
    create_event_table(
        con,
        out,
        f"select $f as file, _jm_line as line, _jm_raw as raw, _jm_error as error, {select} from ("
        f"select _jm_line, _jm_raw, _jm_error, _jm_j{cols} from ("
        f"select *, case when _jm_error is null then _jm_raw::JSON end as _jm_j, "
        f"from_json(case when _jm_error is null then _jm_raw end, {literal(structure)}) as _jm_s "
        f"from {rows}))",
        {"f": str(file), **params},
    )
    con.execute(f"drop table {rows}")
    return ReaderOutput(out, "record")
