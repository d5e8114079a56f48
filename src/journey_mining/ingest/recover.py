"""Recovery paths for damaged input files: nothing good is lost, each bad part counted once.

These run only when DuckDB's fast readers refuse a file (the usual, valid file never gets
here, so valid files load exactly as before):

* :func:`gunzip_prefix` - a ``.gz`` cut short (or with a corrupt tail): everything that
  decompresses is kept in a temp file; the cut-off last record is reported separately.
* :func:`transcode_bom` - a text file starting with a UTF-16/UTF-32 byte order mark while the
  source says UTF-8: transcoded to UTF-8 (DuckDB reads UTF-16 BE as nothing at all).
* :func:`recover_json_values` - a JSON document DuckDB cannot parse (a missing comma, a
  broken element, a cut-off end): the top-level array's elements (or the top-level values
  of a concatenation) that parse are kept, and each unparseable stretch of text between
  them becomes ONE error row. Every byte of the document belongs to exactly one row.

Python does only the byte-level work here (decompressing, decoding, scanning a broken
document for element boundaries); every row still goes through the same DuckDB staging.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Gunzipped", "gunzip_prefix", "recover_json_values", "transcode_bom", "bom_encoding"]

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Gunzipped:
    """A damaged .gz decompressed as far as it goes."""

    path: Path  # temp file with the decompressed bytes (the caller removes it)
    tail: bytes  # bytes after the last newline (the record the cut went through); may be b""
    error: str  # why decompression stopped
    lines: int  # complete lines recovered (the tail is line lines + 1)


def _tempfile(suffix: str) -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(prefix="journey-recover-", suffix=suffix)
    return fd, Path(name)


def gunzip_prefix(file: Path, keep_tail: bool) -> Gunzipped:
    """Decompress ``file`` until the stream ends or breaks. With ``keep_tail`` the temp file
    holds every byte recovered; without, only up to the last newline (``tail`` holds the
    rest either way). ``error`` is "" when the file turns out to be whole."""
    fd, out = _tempfile(".txt")
    error = ""
    pending = b""
    n_lines = 0
    fresh = True  # the current decompressor has seen no input yet
    with os.fdopen(fd, "wb") as sink, open(file, "rb") as fh:
        d = zlib.decompressobj(wbits=47)
        try:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                while chunk:
                    fresh = False
                    data = pending + d.decompress(chunk)
                    cut = data.rfind(b"\n") + 1
                    sink.write(data[:cut])
                    n_lines += data.count(b"\n", 0, cut)
                    pending = data[cut:]
                    if d.eof:  # another gzip member may follow
                        chunk = d.unused_data
                        d, fresh = zlib.decompressobj(wbits=47), True
                    else:
                        chunk = b""
            if not fresh and not d.eof:
                error = "the .gz file ends early (truncated?)"
        except zlib.error as e:
            error = f"the .gz file is corrupt after this point ({e})"
        if keep_tail:
            sink.write(pending)
    return Gunzipped(out, pending, error, n_lines)


def bom_encoding(file: Path) -> str | None:
    """The encoding a UTF-16/UTF-32 byte order mark at the start of ``file`` announces."""
    with open(file, "rb") as fh:
        head = fh.read(4)
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    return None


def transcode_bom(file: Path, encoding: str) -> Path:
    """A temp UTF-8 copy of ``file`` (decoded as ``encoding``, BOM dropped; undecodable
    bytes become U+FFFD so every line survives to be judged by the readers)."""
    fd, out = _tempfile(".txt")
    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    with os.fdopen(fd, "wb") as sink, open(file, "rb") as fh:
        first = True
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            text = dec.decode(chunk)
            if first:
                text, first = text.lstrip("\ufeff"), False
            sink.write(text.encode("utf-8"))
        sink.write(dec.decode(b"", final=True).encode("utf-8"))
    return out


# --------------------------------------------------------------------------- JSON

_WS = re.compile(r"[ \t\r\n\ufeff]*")


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# strict JSON: Python would accept NaN and Infinity, DuckDB (rightly) does not
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]


def _decode(text: str, pos: int) -> tuple[object, int] | None:
    try:
        return _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError):
        return None


def _resync(text: str, pos: int, in_array: bool, like: frozenset[str] = frozenset()) -> int:
    """The start of the next element after a broken stretch beginning at ``pos``: the first
    ``{`` (after a comma, in an array) whose value parses, is followed by a separator or the
    end and - when ``like`` (the keys of the last good element) is given - shares a key with
    it (so an object nested inside the broken element is not taken for the next element);
    ``len(text)`` when there is none."""
    pattern = re.compile(r",\s*(?=\{)" if in_array else r"\n\s*(?=\{)")
    for m in pattern.finditer(text, pos + 1):
        start = m.end()
        got = _decode(text, start)
        if got is None or not isinstance(got[0], dict):
            continue
        if like and not like.intersection(got[0]):
            continue
        after = _skip(text, got[1])
        if after >= len(text) or text[after] in (",]" if in_array else "{["):
            return start
    return len(text)


def recover_json_values(text: str) -> list[tuple[str, str | None]]:
    """``(raw, error)`` for each top-level value of a damaged JSON document: the elements of
    a top-level array; for a top-level object (an export envelope such as
    ``{"tickets": [...], "users": [...]}``), one envelope per element of each damaged array
    member (``{"tickets": [<element>], <the object's other non-array members>}``) and one per
    intact array member; else the values of a concatenation of JSON values. Parseable values
    have ``error`` None; each stretch of text that does not parse is one row with a reason.

    >>> [(r, e is None) for r, e in recover_json_values('[{"a": 1} {"b": 2}, {"c": 3}]')]
    [('{"a": 1}', False), ('{"b": 2}', True), ('{"c": 3}', True)]
    >>> [(r, e is None) for r, e in recover_json_values('{"t": [{"a": 1}, {"a" 2}, {"a": 3}], "n": 1}')]
    [('{"t": [{"a": 1}], "n": 1}', True), ('{"a" 2}', False), ('{"t": [{"a": 3}], "n": 1}', True)]

    A broken stretch ends at the next element that parses; when none follows, it runs to the
    end of the text (and is still one row: nothing is dropped uncounted).
    """
    pos = _skip(text, 0)
    if pos < len(text) and text[pos] == "[":
        rows, end, closed = _array(text, pos + 1)
        if not closed:
            rows.append(("", "invalid JSON document: it ends before the closing ] (truncated file?)"))
        elif end < len(text):
            rows.append((text[end:].strip()[:2000], "invalid JSON document: text after the closing ]"))
        return rows
    if pos < len(text) and text[pos] == "{" and _decode(text, pos) is None:
        got = _object(text, pos + 1)
        if got is not None:
            return got
    return _concatenation(text, pos)


def _array(text: str, pos: int) -> tuple[list[tuple[str, str | None]], int, bool]:
    """Elements of the array whose ``[`` ends just before ``pos``: (rows, position after
    the closing ``]``, whether it was found)."""
    rows: list[tuple[str, str | None]] = []
    n = len(text)
    like: frozenset[str] = frozenset()
    pos = _skip(text, pos)
    while pos < n:
        if text[pos] == "]":
            return rows, _skip(text, pos + 1), True
        got = _decode(text, pos)
        if got is not None:
            value, end = got
            if isinstance(value, dict) and value:
                like = frozenset(value)
            after = _skip(text, end)
            if after >= n or text[after] in ",]":
                rows.append((text[pos:end], None))
                pos = _skip(text, after + 1) if after < n and text[after] == "," else after
                continue
            # a value not followed by , or ]: the separator is missing; it is the bad part
            rows.append((text[pos:end], f"invalid JSON document: no ',' or ']' after element at character {end}"))
            pos = after
            continue
        nxt = _resync(text, pos, True, like)
        bad = text[pos:nxt].rstrip().rstrip(",").strip()
        if nxt >= n:
            reason = "invalid JSON document: this element does not parse and the file ends before the closing ]"
            rows.append((bad[:2000], reason))
            return rows, n, True  # this row reports the missing end
        rows.append((bad[:2000], f"invalid JSON document: text at character {pos} does not parse as JSON"))
        pos = nxt
    return rows, n, False


def _object(text: str, pos: int) -> list[tuple[str, str | None]] | None:
    """Rows of a damaged top-level object (see :func:`recover_json_values`); None when it
    has no damaged array member to recover elements from."""
    n = len(text)
    common: dict[str, object] = {}
    arrays: list[tuple[str, list[tuple[str, str | None]] | object, bool]] = []
    tail: tuple[str, str] | None = None
    pos = _skip(text, pos)
    while pos < n and text[pos] != "}":
        key = _decode(text, pos)
        colon = _skip(text, key[1]) if key is not None else n
        if key is None or not isinstance(key[0], str) or colon >= n or text[colon] != ":":
            tail = (text[pos:].strip()[:2000], f"invalid JSON document: text at character {pos} does not parse as JSON")
            break
        vpos = _skip(text, colon + 1)
        value = _decode(text, vpos)
        if value is not None:
            if isinstance(value[0], list):
                arrays.append((key[0], value[0], True))
            else:
                common[key[0]] = value[0]
            pos = _skip(text, value[1])
        elif vpos < n and text[vpos] == "[":
            rows, pos, closed = _array(text, vpos + 1)
            arrays.append((key[0], rows, False))
            if not closed:
                tail = ("", "invalid JSON document: it ends before the closing ] (truncated file?)")
                break
        else:
            tail = (text[vpos:].strip()[:2000], f"invalid JSON document: text at character {vpos} does not parse as JSON")
            break
        if pos < n and text[pos] == ",":
            pos = _skip(text, pos + 1)
    if not any(not intact for _, _, intact in arrays):
        return None
    out: list[tuple[str, str | None]] = []
    for key, value, intact in arrays:
        if intact:
            out.append((json.dumps({key: value, **common}, ensure_ascii=False), None))
            continue
        for raw, error in value:  # type: ignore[union-attr]
            if error is None:
                el = json.loads(raw)
                out.append((json.dumps({key: [el], **common}, ensure_ascii=False), None))
            else:
                out.append((raw, error))
    if tail is not None:
        out.append(tail)
    return out


def _concatenation(text: str, pos: int) -> list[tuple[str, str | None]]:
    rows: list[tuple[str, str | None]] = []
    n = len(text)
    while pos < n:
        got = _decode(text, pos)
        if got is not None:
            rows.append((text[pos : got[1]], None))
            pos = _skip(text, got[1])
            continue
        nxt = _resync(text, pos, False)
        bad = text[pos:nxt].strip()
        rows.append((bad[:2000], f"invalid JSON document: text at character {pos} does not parse as JSON"))
        pos = nxt
    return rows
