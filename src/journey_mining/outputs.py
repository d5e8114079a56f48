"""What a run may write, checked before it writes anything; one run at a time; leftovers.

The tool writes only (a) the warehouse file, (b) the Parquet export folder, which it owns
and marks with a ``.journey-export`` file, (c) the report file, and (d) its own hidden
working files beside the warehouse (``.scratch-<run_id>``, ``.<warehouse>.build-<run_id>``,
``.<warehouse>.runs.jsonl`` ledger, ``.<warehouse>.lock``, ``.journey-tmp``) and beside the
export (``.<parquet_dir>.tmp-<run_id>``, ``.<parquet_dir>.old-<run_id>``).

:func:`check_outputs` refuses, with one line, any config under which a run would delete or
overwrite something else: an export folder that is, holds or sits inside the config, an
input file or a source folder, the warehouse or the report; an existing non-empty export
folder without the marker; a warehouse path that is a folder, ``/``, an input, the config or
a file that is not a DuckDB database; a report path that is an input, the config or the
warehouse; an output folder that cannot be written.

    >>> from journey_mining.config import load_config, sample_config_path
    >>> from journey_mining.ingest import plan_sources
    >>> cfg = load_config(sample_config_path())
    >>> check_outputs(cfg, plan_sources(cfg))
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import TEMP_DIRECTORY_NAME, Config
from .errors import ConfigError, OutputError, one_line

if TYPE_CHECKING:
    from .ingest import SourcePlan

__all__ = [
    "EXPORT_MARKER",
    "check_outputs",
    "is_owned_export",
    "write_export_marker",
    "probe_warehouse",
    "acquire_run_lock",
    "release_run_lock",
    "lock_path",
    "clean_leftovers",
    "output_error",
]

EXPORT_MARKER = ".journey-export"
TOOL = "journey_mining"
_GLOB_CHARS = re.compile(r"[*?\[]")
_RUN_ID = r"r\d{8}T\d{6}Z-[0-9a-f]{6}"


# --------------------------------------------------------------------------- ownership


def is_owned_export(folder: Path) -> bool:
    """True when ``folder`` carries the marker this tool writes into every export."""
    marker = folder / EXPORT_MARKER
    try:
        return marker.is_file() and json.loads(marker.read_text(encoding="utf-8")).get("tool") == TOOL
    except (OSError, ValueError, AttributeError):
        return False


def write_export_marker(folder: Path, run_id: str | None) -> None:
    (folder / EXPORT_MARKER).write_text(
        json.dumps({"tool": TOOL, "run_id": run_id, "written_at": datetime.now(UTC).isoformat(),
                    "note": "written by journey_mining: this folder is replaced by every run"}) + "\n",
        encoding="utf-8",
    )


def export_replaceable(folder: Path) -> str | None:
    """Why ``folder`` may not be replaced by an export (None: it may)."""
    if not folder.exists() and not folder.is_symlink():
        return None
    if folder.is_symlink() or not folder.is_dir():
        return "exists and is not a folder"
    if is_owned_export(folder):
        return None
    try:
        if next(folder.iterdir(), None) is None:
            return None
    except OSError as e:
        return f"cannot be listed ({e.strerror})"
    return f"is a non-empty folder this tool did not create (no {EXPORT_MARKER} marker); empty it, remove it or choose another folder"


# --------------------------------------------------------------------------- checks


def _within(path: Path, folder: Path) -> bool:
    """path is folder or inside it."""
    return path == folder or folder in path.parents


def _source_folder(pattern: str) -> tuple[Path, bool]:
    """The literal folder a source glob starts from, and whether it recurses (``**``)."""
    parts = Path(pattern).parts
    literal = []
    for part in parts:
        if _GLOB_CHARS.search(part):
            break
        literal.append(part)
    if len(literal) == len(parts):  # no wildcard: one file; its folder is not the source's
        return Path(*parts).resolve().parent, False
    return Path(*literal).resolve() if literal else Path.cwd(), "**" in pattern


def _writable_folder(folder: Path, what: str) -> None:
    """The folder exists and is writable, or its nearest existing ancestor is."""
    p = folder
    while not p.exists():
        if p.is_symlink():  # dangling link
            raise OutputError(f"{what} {folder}: {p} is a broken link")
        p = p.parent
    if not p.is_dir():
        raise OutputError(f"{what} {folder} cannot be created: {p} is a file, not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {folder} is not writable ({p}: permission denied or read-only file system)")


def _is_duckdb_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) == 0 or head[8:12] == b"DUCK"


def check_outputs(config: Config, plans: list[SourcePlan]) -> None:
    """Refuse (one line, :class:`ConfigError`) output paths that could delete or overwrite
    anything a run did not create. Writes nothing."""
    wh = config.warehouse_path.resolve()
    pq = config.parquet_dir.resolve()
    report = config.report_path.resolve()
    cfg = config.path.resolve() if config.path else None
    inputs = {f.resolve(): p.source.name for p in plans for f in p.files}
    folders = [(p.source.name, *_source_folder(p.source.path)) for p in plans]

    # warehouse.path
    if wh == Path(wh.anchor) or wh.is_dir():
        raise ConfigError(f"warehouse.path {config.warehouse_path} is a folder: give a file name such as out/journeys.duckdb")
    if cfg is not None and wh == cfg:
        raise ConfigError(f"warehouse.path {wh} is the config file itself")
    if wh in inputs:
        raise ConfigError(f"warehouse.path {wh} is an input file of source {inputs[wh]!r}")
    if wh.exists() and not _is_duckdb_file(wh):
        raise ConfigError(f"warehouse.path {wh} exists and is not a DuckDB database: the run would overwrite it")

    # export.parquet_dir
    where = f"export.parquet_dir {pq}"
    if cfg is not None and _within(cfg, pq):
        raise ConfigError(f"{where} holds the config file {cfg}: the export would delete it")
    for f, name in inputs.items():
        if _within(f, pq):
            raise ConfigError(f"{where} holds {f}, an input of source {name!r}: the export would delete it")
    for name, folder, recursive in folders:
        if _within(folder, pq):
            raise ConfigError(f"{where} holds the folder {folder} of source {name!r}: the export would delete it")
        if recursive and _within(pq, folder):
            raise ConfigError(f"{where} is inside the folder {folder} that source {name!r} reads recursively")
    if _within(pq, wh) or _within(wh, pq):
        raise ConfigError(f"{where} and warehouse.path {wh} overlap: the export would replace the warehouse")
    if _within(report, pq):
        raise ConfigError(f"{where} holds export.report {report}: the export would delete it")
    why = export_replaceable(pq)
    if why:
        raise ConfigError(f"{where} {why}")

    # export.report
    if report == wh or (cfg is not None and report == cfg) or report in inputs:
        what = "the warehouse" if report == wh else "the config file" if report == cfg else f"an input of source {inputs[report]!r}"
        raise ConfigError(f"export.report {report} is {what}: the report would overwrite it")
    if report.is_dir():
        raise ConfigError(f"export.report {report} is a folder: give a file name such as out/report.html")

    # every folder a run writes to
    _writable_folder(wh.parent, "warehouse folder")
    _writable_folder(pq.parent, "export.parquet_dir folder")
    _writable_folder(report.parent, "export.report folder")
    _writable_folder(config.temp_directory, "execution.temp_directory")


def probe_warehouse(warehouse: Path) -> None:
    """Open the published warehouse read-only, as the run will: a program holding it open
    for writing makes the run fail only after all its work, so say who, now."""
    if not warehouse.exists():
        return
    import duckdb

    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.Error as e:
        msg = " ".join(str(e).split())
        m = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", msg)
        if m:
            raise ConfigError(
                f"the warehouse {warehouse} is open for writing by another program ({m.group(1)}, PID {m.group(2)}): "
                f"close it, or open it read-only (duckdb -readonly), and run again"
            ) from None
        if "lock" in msg.lower():
            raise ConfigError(f"the warehouse {warehouse} is locked by another program: {one_line(msg, 200)}") from None
        raise ConfigError(f"warehouse.path {warehouse} cannot be opened as a DuckDB database: {one_line(msg, 200)}") from None


# --------------------------------------------------------------------------- one run at a time

_LOCKS: dict[Path, int] = {}


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.lock")


def acquire_run_lock(warehouse: Path, run_id: str) -> None:
    """Hold an exclusive lock (``flock``, released by the OS when the process dies) on
    ``.<warehouse>.lock`` for the whole run; refuse when another run holds it."""
    import fcntl

    path = lock_path(warehouse)
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise output_error(e, f"warehouse folder {warehouse.parent}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            info = json.loads(os.read(fd, 4096) or b"{}")
        except ValueError:
            info = {}
        os.close(fd)
        raise ConfigError(
            f"another journey run (PID {info.get('pid', '?')}, run {info.get('run_id', '?')}) is running on "
            f"the warehouse {warehouse}: wait for it to finish"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps({"pid": os.getpid(), "run_id": run_id, "started_at": datetime.now(UTC).isoformat()}).encode())
    _LOCKS[warehouse] = fd


def release_run_lock(warehouse: Path) -> None:
    fd = _LOCKS.pop(warehouse, None)
    if fd is not None:
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing releases the flock; the (empty) file stays: no unlink race


# --------------------------------------------------------------------------- leftovers


def clean_leftovers(config: Config) -> list[str]:
    """Remove what interrupted runs left behind (only names this tool creates; call it
    while holding the run lock, so no other run is alive). Returns the names removed."""
    wh = config.warehouse_path
    pq = config.parquet_dir
    removed: list[str] = []

    def rm(p: Path) -> None:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p.name)

    if wh.parent.is_dir():
        for p in wh.parent.iterdir():
            if re.fullmatch(rf"\.scratch-{_RUN_ID}", p.name) and p.is_dir():
                rm(p)
            elif re.fullmatch(rf"\.{re.escape(wh.name)}\.build-{_RUN_ID}(\.wal)?", p.name) and p.is_file():
                rm(p)
    staged = wh.with_name(f".{wh.name}.staged")  # the staged-file cache (pipeline.staged_cache_dir)
    if staged.is_dir() and not staged.is_symlink():
        for p in staged.iterdir():  # a staged Parquet a killed run was still writing
            if re.fullmatch(rf"[0-9a-f]{{64}}-[0-9a-f]{{16}}\.parquet\.tmp-{_RUN_ID}", p.name) and p.is_file():
                rm(p)
    default_tmp = wh.parent / TEMP_DIRECTORY_NAME
    if config.temp_directory == default_tmp and default_tmp.is_dir():
        rm(default_tmp)
    if pq.parent.is_dir():
        for p in pq.parent.iterdir():
            if re.fullmatch(rf"\.{re.escape(pq.name)}\.(tmp|old)-({_RUN_ID}|[0-9a-f]{{6}})", p.name) and p.is_dir():
                if is_owned_export(p) or p.name.split(".")[-1].startswith("tmp-"):
                    rm(p)
    return removed


# --------------------------------------------------------------------------- errors

_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EDQUOT}


def output_error(e: BaseException, where: str) -> BaseException:
    """An OSError (or DuckDB I/O error) from writing outputs as one clear line naming the
    folder; other errors unchanged."""
    if isinstance(e, OSError) and e.errno in _OUTPUT_ERRNOS:
        return OutputError(f"cannot write {where}: {e.strerror or e}")
    text = str(e)
    for needle, what in (("No space left on device", "no space left on device"), ("Read-only file system", "read-only file system"),
                         ("Permission denied", "permission denied")):
        if needle in text:
            return OutputError(f"cannot write {where}: {what}")
    return e
