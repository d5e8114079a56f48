"""Load and validate ``journey.toml`` (CONTRACT.md section 2).

Everything is checked when the file loads, so a bad config stops a run before anything is
written, with one line naming the key at fault::

    >>> cfg = load_config(sample_config_path())
    >>> cfg.stages.order[0], cfg.timeout_minutes
    ('awareness', 30.0)

Paths in the file are relative to the file's folder. Values from the config never reach SQL
as text: stage rules are loaded into tables and compared as data, identifiers are quoted.
"""

from __future__ import annotations

import importlib.resources
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .schema import CANONICAL_COLUMNS, FORMATS, NUMERIC_COLUMNS

__all__ = [
    "Config",
    "SourceConfig",
    "SourceOptions",
    "StageRule",
    "StagesConfig",
    "TouchpointRule",
    "MetricsConfig",
    "ReportConfig",
    "ExecutionConfig",
    "load_config",
    "sample_config_path",
    "DEFAULT_STAGE_ORDER",
]

# DuckDB's CSV reader refuses a longer delimiter ("cannot exceed a size of 4 bytes").
MAX_DELIMITER_BYTES = 4
DEFAULT_STAGE_ORDER = ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")
TIMESTAMP_KEYWORDS = ("iso", "epoch_s", "epoch_ms")
# Columns a stage rule may test with globs (`match`) or bounds (`min`/`max`).
MATCHABLE_COLUMNS = tuple(c for c in CANONICAL_COLUMNS if c not in ("occurred_at", "properties"))
PROPERTIES_PREFIX = "properties."
_PROPERTY_PATH = re.compile(r"^properties\.[A-Za-z0-9_$@:\-]+(\.[A-Za-z0-9_$@:\-]+)*$")


def sample_config_path() -> Path:
    """The bundled sample config: ``data/sample/journey.toml`` in a checkout, shipped in the
    wheel as package data of ``journey_mining.data`` (read via ``importlib.resources``).

    >>> sample_config_path().name
    'journey.toml'
    >>> (sample_config_path().parent / "web").is_dir()
    True
    """
    return Path(str(importlib.resources.files("journey_mining.data") / "sample" / "journey.toml"))


@dataclass(frozen=True)
class SourceOptions:
    header: bool = True
    names: tuple[str, ...] | None = None
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "utf-8"
    timestamp_format: str | None = None  # None: the format's own default (iso for most)
    timezone: str = "UTC"


@dataclass(frozen=True)
class SourceConfig:
    name: str
    channel: str
    format: str
    path: str  # glob, absolute after loading
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> column in the file
    constants: dict[str, Any] = field(default_factory=dict)  # canonical name -> value
    options: SourceOptions = field(default_factory=SourceOptions)
    # incremental runs: a listed file gone from disk keeps its rows (not part of the staging key)
    keep_deleted_files: bool = field(default=False, repr=False)

    @property
    def is_profile(self) -> bool:
        return self.format == "customers"


@dataclass(frozen=True)
class StageRule:
    """One ``[[stages.rules]]`` entry; ``index`` is its position in the file (first wins)."""

    index: int
    stage: str
    stage_index: int
    channel: tuple[str, ...] | None = None
    event_type: tuple[str, ...] | None = None  # glob patterns
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> globs
    min: dict[str, float] = field(default_factory=dict)  # column -> inclusive lower bound
    max: dict[str, float] = field(default_factory=dict)  # column -> inclusive upper bound
    after: str | None = None
    after_index: int | None = None

    def describe(self) -> str:
        return f"stages.rules[{self.index}] (stage {self.stage!r})"


@dataclass(frozen=True)
class StagesConfig:
    order: tuple[str, ...] = DEFAULT_STAGE_ORDER
    conversion: str = "purchase"
    rules: tuple[StageRule, ...] = ()

    def index_of(self, stage: str) -> int:
        return self.order.index(stage)


@dataclass(frozen=True)
class TouchpointRule:
    """Rename or group touchpoints, like PostHog's path cleaning: first match wins.

    ``pattern`` is a glob (``kind="glob"``) or a regular expression (``kind="regex"``,
    whose groups ``\\1`` may be used in ``name``), tested against the whole touchpoint.
    """

    index: int
    kind: str  # glob | regex
    pattern: str
    name: str


SEGMENT_COLUMNS = ("campaign", "utm_source", "utm_medium", "utm_campaign")
# the campaign (canonical), a ticket's topic (the zendesk reader's properties.topic) and a
# product category (a common event property): generic dimensions, none names a value
SEGMENT_BY_DEFAULT = ("campaign", "properties.topic", "properties.category")


@dataclass(frozen=True)
class MetricsConfig:
    """``[funnel]`` and ``[metrics]``: the named thresholds behind the metrics marts
    (documented in docs/metrics.md). Every threshold is a setting, never a literal in SQL."""

    # [funnel] window_days: a customer counts at stage k+1 only when they reach it within
    # this many days of first reaching stage k. None (the default): no window.
    funnel_window_days: float | None = None
    # [metrics] inactive_after_days: a journey that ended without converting counts as
    # "gone quiet" when its last event is more than this many days before the latest event
    # in the data (not the wall clock, so re-runs agree).
    inactive_after_days: float = 30.0
    # [metrics] support_window_hours: a support contact within this many hours after a
    # touchpoint counts as following it (pain points).
    support_window_hours: float = 72.0
    # [metrics] min_touchpoint_volume: touchpoints reached by fewer sessions are not ranked
    # as pain points (too little volume to judge).
    min_touchpoint_volume: int = 30
    # [metrics] top_n: how many rows the "most frequent" marts keep (variants, exit paths).
    top_n: int = 50
    # [metrics] segment_by: event attributes that split a touchpoint into segments ranked
    # beside it as pain points (docs/pain-points.md): `campaign`, `utm_source`,
    # `utm_medium`, `utm_campaign` or `properties.<path>`. [] ranks whole touchpoints only.
    segment_by: tuple[str, ...] = SEGMENT_BY_DEFAULT
    # [metrics] drift_alpha: `journey diff`, the report and the Prefect artifact flag a change
    # of a conversion between two runs when its two-proportion z-test p-value is below this.
    drift_alpha: float = 0.01
    # [metrics] drift_min_n: a conversion is tested only when both runs have at least this
    # many customers at the previous stage (fewer: shown, never flagged).
    drift_min_n: int = 30


@dataclass(frozen=True)
class ReportConfig:
    """``[report]``: the journey-map report."""

    # the customer attribute (customers.attributes) the persona selector groups by; when
    # no customer has it, the report shows one map for everyone.
    persona: str = "persona"


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(%|(K|M|G|T)i?B)\s*$", re.IGNORECASE)
# Default memory_limit (default_memory_limit_mb): this share of the machine's RAM (DuckDB's own
# default is 80%; we leave room for Python, pandas and other programs), never below the floor
# and never above the cap. The cap bounds a run's peak RSS on a large machine: DuckDB spills
# above memory_limit, and the rest of the process (Python, pyarrow, pandas) adds a margin on
# top (docs/operations.md: ~0.5 GB measured at 10M events), so a 10M-event run stays under 4 GB
# whatever the machine. A file whose reader needs more (a whole JSON document that is not a
# Zendesk export, an array or a pretty-printed object) is retried with the uncapped share
# (retry_memory_limit_mb; docs/operations.md).
DEFAULT_MEMORY_SHARE = 0.6
MIN_DEFAULT_MEMORY_MB = 256
MAX_DEFAULT_MEMORY_MB = 3000
TEMP_DIRECTORY_NAME = ".journey-tmp"
# [execution] shards: at most this many (each shard is a DuckDB file and a pass over the events)
MAX_SHARDS = 1024
EXECUTORS = ("local", "dask")


def machine_memory_mb() -> int:
    """Physical RAM in MB (0 when the platform does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1_000_000)
    except (ValueError, OSError, AttributeError):
        return 0


def default_memory_limit_mb(ram_mb: int | None = None) -> int:
    """The default ``[execution] memory_limit`` in MB for a machine with ``ram_mb`` of RAM
    (default: this machine's): 60% of it, at least 256 MB, at most 3,000 MB.

        >>> default_memory_limit_mb(23_000), default_memory_limit_mb(4_000), default_memory_limit_mb(0)
        (3000, 2400, 256)
    """
    return min(MAX_DEFAULT_MEMORY_MB, _machine_share_mb(ram_mb))


def _machine_share_mb(ram_mb: int | None) -> int:
    """60% of ``ram_mb`` (default: this machine's RAM), at least 256 MB."""
    ram = machine_memory_mb() if ram_mb is None else ram_mb
    return max(MIN_DEFAULT_MEMORY_MB, int(ram * DEFAULT_MEMORY_SHARE))


def retry_memory_limit_mb(ram_mb: int | None = None) -> int | None:
    """With the default memory_limit, the limit one input file's staging is retried with after
    running out of memory: 60% of RAM without the cap (None when that is no more than the
    default). The safety net for a reader that holds a whole JSON document: the 10M benchmark's
    171 MB Zendesk export needed it (out of memory at 3,000 MB) until its reader read the
    export's lists directly (2.1 GB peak at 3,000 MB now; docs/operations.md).

        >>> retry_memory_limit_mb(23_000), retry_memory_limit_mb(4_000)
        (13800, None)
    """
    share = _machine_share_mb(ram_mb)
    return share if share > MAX_DEFAULT_MEMORY_MB else None


@dataclass(frozen=True)
class ExecutionConfig:
    """``[execution]``: resources of every DuckDB connection a run opens (docs/operations.md).

    ``memory_limit``: DuckDB syntax ("2GB", "512MB", "50%"); above it DuckDB spills to
    ``temp_directory``. Default (:func:`default_memory_limit_mb`): 60% of the machine's RAM,
    at least 256 MB and at most 3,000 MB, so a run's peak RSS stays bounded on any machine
    (measured: a 10M-event run at 3,000 MB peaks under 4 GB; docs/scale.md). ``threads``: default the number of
    cores. ``temp_directory``: default ``.journey-tmp`` beside the warehouse, removed after
    the run. ``shards``: partition the per-customer work into this many shards by a stable
    hash of ``customer_id`` (1: unsharded); ``executor``: where the shards run, ``local`` (one
    after another in this process) or ``dask`` (on the Dask cluster at ``dask_address``,
    through Prefect's DaskTaskRunner; no address: a temporary local cluster). docs/scale.md.

        >>> ExecutionConfig(memory_limit="2GB", threads=2).settings(Path("/w/.journey-tmp"))["memory_limit"]
        '2GB'
        >>> ExecutionConfig(shards=4).is_sharded, ExecutionConfig().is_sharded
        (True, False)
    """

    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: Path | None = None
    shards: int = 1
    executor: str = "local"
    dask_address: str | None = None

    def retry_memory_limit(self) -> str | None:
        """The limit a file whose staging ran out of memory is retried with: only with the
        default memory_limit (:func:`retry_memory_limit_mb`); a configured one is never exceeded.

            >>> ExecutionConfig(memory_limit="2GB").retry_memory_limit() is None
            True
        """
        if self.memory_limit is not None:
            return None
        mb = retry_memory_limit_mb()
        return None if mb is None else f"{mb}MB"

    @property
    def is_sharded(self) -> bool:
        """Whether the run takes the sharded path (more than one shard, or shards on Dask)."""
        return self.shards > 1 or self.executor == "dask"

    def settings(self, default_temp: Path) -> dict[str, object]:
        """The DuckDB settings, defaults filled in (``default_temp``: beside the warehouse)."""
        import os

        mem = self.memory_limit
        if mem is None:
            mem = f"{default_memory_limit_mb()}MB"
        return {
            "memory_limit": mem,
            "threads": self.threads or os.cpu_count() or 1,
            "temp_directory": str(self.temp_directory or default_temp),
        }


@dataclass(frozen=True)
class Config:
    path: Path | None  # the file it came from (None: built in code)
    output_base: Path  # folder the warehouse/export paths are relative to
    warehouse_path: Path
    parquet_dir: Path
    report_path: Path
    timeout_minutes: float
    stages: StagesConfig
    sources: tuple[SourceConfig, ...]
    touchpoint_rules: tuple[TouchpointRule, ...] = ()
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    full_refresh: bool = False  # `journey run --full-refresh` (not a file setting): ignore manifest and cache
    # [export] pseudonymize: identifiers in the Parquet export replaced by a keyed hash
    # (sha256(key || value)); the key is read from the environment variable
    # [export] pseudonymize_key_env (default JOURNEY_PSEUDONYMIZE_KEY). docs/privacy.md.
    pseudonymize: bool = False
    pseudonymize_key_env: str = "JOURNEY_PSEUDONYMIZE_KEY"
    # [schedule] cron / timezone: when the served nightly deployment runs (flows/deploy.py;
    # docs/operations.md "Scheduling"); `--cron` overrides.
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "UTC"

    @property
    def temp_directory(self) -> Path:
        """Where DuckDB spills (``[execution] temp_directory``, default beside the warehouse)."""
        return self.execution.temp_directory or self.warehouse_path.parent / TEMP_DIRECTORY_NAME

    def duckdb_settings(self) -> dict[str, object]:
        """``[execution]`` as DuckDB settings for every connection of a run."""
        return self.execution.settings(self.temp_directory)

    @property
    def event_sources(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if not s.is_profile)

    @property
    def profile_sources(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.is_profile)


# --------------------------------------------------------------------------- helpers


def _fail(msg: str) -> ConfigError:
    return ConfigError(msg)


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{where} must be a non-empty string, got {value!r}")
    return value


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _fail(f"{where} must be a string or a non-empty list of strings, got {value!r}")
    return tuple(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{where} must be a number, got {value!r}")
    return float(value)


def _table(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(f"{where} must be a table, got {value!r}")
    return value


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _rule_column(col: str, where: str) -> str:
    if col in MATCHABLE_COLUMNS or _PROPERTY_PATH.match(col):
        return col
    raise _fail(
        f"{where}: unknown column {col!r} (use a canonical column such as url, event_type, "
        f"score, or properties.<field>)"
    )


# --------------------------------------------------------------------------- sections


def _parse_options(raw: dict, where: str) -> SourceOptions:
    _check_keys(
        raw,
        {"header", "names", "delimiter", "quote", "encoding", "timestamp_format", "timezone"},
        where,
    )
    kw: dict[str, Any] = {}
    if "header" in raw:
        if not isinstance(raw["header"], bool):
            raise _fail(f"{where}.header must be true or false")
        kw["header"] = raw["header"]
    if "names" in raw:
        kw["names"] = _str_list(raw["names"], f"{where}.names")
    if kw.get("header") is False and "names" not in kw:
        raise _fail(f"{where}: header = false needs `names` (the column names, in order)")
    for key in ("delimiter", "quote", "encoding"):
        if key in raw:
            kw[key] = _str(raw[key], f"{where}.{key}") if key != "quote" else raw[key]
    if "delimiter" in kw and len(kw["delimiter"].encode("utf-8")) > MAX_DELIMITER_BYTES:
        raise _fail(
            f"{where}.delimiter {kw['delimiter']!r} is {len(kw['delimiter'].encode('utf-8'))} bytes: "
            f"DuckDB's CSV reader takes at most {MAX_DELIMITER_BYTES} bytes"
        )
    if "timestamp_format" in raw:
        fmt = _str(raw["timestamp_format"], f"{where}.timestamp_format")
        if fmt not in TIMESTAMP_KEYWORDS and "%" not in fmt:
            raise _fail(
                f"{where}.timestamp_format {fmt!r} is neither iso, epoch_s, epoch_ms "
                f"nor a strptime pattern such as '%d/%m/%Y %H:%M'"
            )
        kw["timestamp_format"] = fmt
    if "timezone" in raw:
        tz = _str(raw["timezone"], f"{where}.timezone")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail(f"{where}.timezone {tz!r} is not a known time zone (e.g. 'Europe/Amsterdam')") from None
        kw["timezone"] = tz
    return SourceOptions(**kw)


def _parse_source(raw: Any, i: int, base: Path) -> SourceConfig:
    where = f"sources[{i}]"
    raw = _table(raw, where)
    _check_keys(raw, {"name", "channel", "format", "path", "columns", "constants", "options", "keep_deleted_files"}, where)
    for key in ("name", "path"):
        if key not in raw:
            raise _fail(f"{where}: missing required key {key!r}")
    name = _str(raw["name"], f"{where}.name")
    where = f"source {name!r}"
    fmt = raw.get("format", "events")
    if fmt not in FORMATS:
        raise _fail(f"{where}: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    channel = _str(raw.get("channel", "support" if fmt == "zendesk" else "email" if fmt == "sendgrid" else "web" if fmt == "segment" else name), f"{where}.channel")
    path = str(_resolve(base, _str(raw["path"], f"{where}.path")))
    columns = {k: _str(v, f"{where}.columns.{k}") for k, v in _table(raw.get("columns", {}), f"{where}.columns").items()}
    allowed_cols = set(CANONICAL_COLUMNS) - {"source", "channel"}
    for k in columns:
        if k not in allowed_cols:
            raise _fail(f"{where}.columns: {k!r} is not a canonical column ({', '.join(sorted(allowed_cols))})")
    constants = dict(_table(raw.get("constants", {}), f"{where}.constants"))
    for k, v in constants.items():
        if k not in allowed_cols:
            raise _fail(f"{where}.constants: {k!r} is not a canonical column")
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise _fail(f"{where}.constants.{k} must be a string or a number, got {v!r}")
    options = _parse_options(_table(raw.get("options", {}), f"{where}.options"), f"{where}.options")
    keep = raw.get("keep_deleted_files", False)
    if not isinstance(keep, bool):
        raise _fail(f"{where}.keep_deleted_files must be true or false, got {keep!r}")
    return SourceConfig(name, channel, fmt, path, columns, constants, options, keep)


def _parse_rule(raw: Any, i: int, order: tuple[str, ...]) -> StageRule:
    where = f"stages.rules[{i}]"
    raw = _table(raw, where)
    _check_keys(raw, {"stage", "channel", "event_type", "match", "min", "max", "after"}, where)
    if "stage" not in raw:
        raise _fail(f"{where}: missing `stage`")
    stage = _str(raw["stage"], f"{where}.stage")
    if stage not in order:
        raise _fail(f"{where}: unknown stage {stage!r} (stages.order is {', '.join(order)})")
    where = f"stages.rules[{i}] (stage {stage!r})"
    conditions = [k for k in ("channel", "event_type", "match", "min", "max", "after") if k in raw]
    if not conditions:
        raise _fail(f"{where}: empty rule; give at least one of channel, event_type, match, min, max, after")
    channel = _str_list(raw["channel"], f"{where}.channel") if "channel" in raw else None
    event_type = _str_list(raw["event_type"], f"{where}.event_type") if "event_type" in raw else None
    match = {
        _rule_column(c, f"{where}.match"): _str_list(v, f"{where}.match.{c}")
        for c, v in _table(raw.get("match", {}), f"{where}.match").items()
    }
    bounds: dict[str, dict[str, float]] = {}
    for key in ("min", "max"):
        bounds[key] = {}
        for c, v in _table(raw.get(key, {}), f"{where}.{key}").items():
            col = _rule_column(c, f"{where}.{key}")
            if col not in NUMERIC_COLUMNS and not col.startswith(PROPERTIES_PREFIX):
                raise _fail(f"{where}.{key}: {c!r} is not numeric (use score, revenue or properties.<field>)")
            bounds[key][col] = _number(v, f"{where}.{key}.{c}")
    after = None
    after_index = None
    if "after" in raw:
        after = _str(raw["after"], f"{where}.after")
        if after not in order:
            raise _fail(f"{where}: after = {after!r} is not a stage in stages.order")
        after_index = order.index(after)
    return StageRule(
        index=i,
        stage=stage,
        stage_index=order.index(stage),
        channel=channel,
        event_type=event_type,
        match=match,
        min=bounds["min"],
        max=bounds["max"],
        after=after,
        after_index=after_index,
    )


def _parse_stages(raw: dict) -> StagesConfig:
    _check_keys(raw, {"order", "conversion", "rules"}, "stages")
    order = _str_list(raw["order"], "stages.order") if "order" in raw else DEFAULT_STAGE_ORDER
    if len(set(order)) != len(order):
        raise _fail("stages.order lists a stage twice")
    conversion = raw.get("conversion", "purchase" if "purchase" in order else order[-1])
    if conversion not in order:
        raise _fail(f"stages.conversion {conversion!r} is not a stage in stages.order")
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        raise _fail("stages.rules must be an array of tables ([[stages.rules]])")
    rules = tuple(_parse_rule(r, i, order) for i, r in enumerate(rules_raw))
    return StagesConfig(order=order, conversion=conversion, rules=rules)


def _parse_touchpoints(raw: dict) -> tuple[TouchpointRule, ...]:
    _check_keys(raw, {"rules"}, "touchpoints")
    out = []
    for i, r in enumerate(raw.get("rules", [])):
        where = f"touchpoints.rules[{i}]"
        r = _table(r, where)
        _check_keys(r, {"glob", "regex", "name"}, where)
        if ("glob" in r) == ("regex" in r):
            raise _fail(f"{where}: give exactly one of `glob` or `regex`")
        kind = "glob" if "glob" in r else "regex"
        pattern = _str(r[kind], f"{where}.{kind}")
        name = _str(r.get("name"), f"{where}.name")
        if kind == "regex":
            _check_regex(pattern, name, where)
        out.append(TouchpointRule(i, kind, pattern, name))
    return tuple(out)


def _check_regex(pattern: str, name: str, where: str) -> None:
    """Compile the regex with DuckDB (RE2), the engine that applies it, exactly as
    ``int_event_touchpoints.sql`` uses it: Python's ``re`` accepts look-arounds and
    back-references that RE2 refuses at run time."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(
            "select regexp_full_match('', $p), regexp_replace('', '^(?:' || $p || ')$', $n)",
            {"p": pattern, "n": name},
        ).fetchall()
    except duckdb.Error as e:
        msg = " ".join(str(e).split()).removeprefix("Invalid Input Error: ")
        raise _fail(f"{where}: invalid regex {pattern!r} (DuckDB/RE2 syntax): {msg}") from None
    finally:
        con.close()


def _positive(value: Any, where: str) -> float:
    """A finite number greater than 0 (NaN and infinity are not)."""
    n = _number(value, where)
    if not math.isfinite(n) or n <= 0:
        raise _fail(f"{where} must be a finite number greater than 0, got {value!r}")
    return n


def _parse_metrics(funnel: dict, metrics: dict) -> MetricsConfig:
    _check_keys(funnel, {"window_days"}, "funnel")
    keys = {"inactive_after_days", "support_window_hours", "min_touchpoint_volume", "top_n", "segment_by",
            "drift_alpha", "drift_min_n"}
    _check_keys(metrics, keys, "metrics")
    kw: dict[str, Any] = {}
    if "window_days" in funnel:
        kw["funnel_window_days"] = _positive(funnel["window_days"], "funnel.window_days")
    for key in ("inactive_after_days", "support_window_hours"):
        if key in metrics:
            kw[key] = _positive(metrics[key], f"metrics.{key}")
    if "drift_alpha" in metrics:
        a = _positive(metrics["drift_alpha"], "metrics.drift_alpha")
        if a >= 1:
            raise _fail(f"metrics.drift_alpha must be between 0 and 1, got {metrics['drift_alpha']!r}")
        kw["drift_alpha"] = a
    for key in ("min_touchpoint_volume", "top_n", "drift_min_n"):
        if key in metrics:
            v = metrics[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise _fail(f"metrics.{key} must be a whole number of at least 1, got {v!r}")
            kw[key] = v
    if "segment_by" in metrics:
        v = metrics["segment_by"]
        ok = isinstance(v, list) and all(
            isinstance(c, str) and (c in SEGMENT_COLUMNS or (c.startswith(PROPERTIES_PREFIX) and len(c) > len(PROPERTIES_PREFIX)))
            for c in v
        )
        if not ok:
            raise _fail(f"metrics.segment_by must be a list of {', '.join(SEGMENT_COLUMNS)} or properties.<path>, got {v!r}")
        kw["segment_by"] = tuple(dict.fromkeys(v))
    return MetricsConfig(**kw)


def _parse_execution(raw: dict, out: Path) -> ExecutionConfig:
    _check_keys(raw, {"memory_limit", "threads", "temp_directory", "shards", "executor", "dask_address"},
                "execution")
    kw: dict[str, Any] = {}
    if "memory_limit" in raw:
        mem = _str(raw["memory_limit"], "execution.memory_limit")
        if not _MEMORY.match(mem):
            raise _fail(f"execution.memory_limit {mem!r} is not a size such as '2GB', '512MB' or '50%'")
        kw["memory_limit"] = mem.strip()
    if "threads" in raw:
        v = raw["threads"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise _fail(f"execution.threads must be a whole number of at least 1, got {v!r}")
        kw["threads"] = v
    if "temp_directory" in raw:
        kw["temp_directory"] = _resolve(out, _str(raw["temp_directory"], "execution.temp_directory"))
    if "shards" in raw:
        v = raw["shards"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SHARDS:
            raise _fail(f"execution.shards must be a whole number from 1 to {MAX_SHARDS}, got {v!r}")
        kw["shards"] = v
    if "executor" in raw:
        v = _str(raw["executor"], "execution.executor")
        if v not in EXECUTORS:
            raise _fail(f"execution.executor must be one of {', '.join(EXECUTORS)}, got {v!r}")
        kw["executor"] = v
    if "dask_address" in raw:
        kw["dask_address"] = _str(raw["dask_address"], "execution.dask_address").strip() or None
    return ExecutionConfig(**kw)


def with_execution(config: Config, **changes: Any) -> Config:
    """``config`` with some ``[execution]`` keys replaced (validated like the file's: the
    command line's ``--shards``/``--executor``/``--dask-address``).

        >>> c = parse_config({"sources": [{"name": "web", "path": "w.csv"}]}, Path("."))
        >>> with_execution(c, shards=4, executor="dask").execution.shards
        4
    """
    parsed = _parse_execution(changes, config.output_base)
    return replace(config, execution=replace(config.execution, **{k: getattr(parsed, k) for k in changes}))


def _parse_report(raw: dict) -> ReportConfig:
    _check_keys(raw, {"persona"}, "report")
    if "persona" in raw:
        return ReportConfig(persona=_str(raw["persona"], "report.persona"))
    return ReportConfig()


def parse_config(data: dict, base: Path, path: Path | None = None, output_base: Path | None = None) -> Config:
    """Validate a parsed TOML document. ``base`` resolves source paths; ``output_base``
    (default ``base``) resolves the warehouse and export paths."""
    _check_keys(
        data,
        {"warehouse", "export", "sessions", "stages", "sources", "touchpoints", "funnel", "metrics", "report",
         "execution", "schedule"},
        "config",
    )
    sched = _table(data.get("schedule", {}), "schedule")
    _check_keys(sched, {"cron", "timezone"}, "schedule")
    out = output_base or base
    wh = _table(data.get("warehouse", {}), "warehouse")
    _check_keys(wh, {"path"}, "warehouse")
    ex = _table(data.get("export", {}), "export")
    _check_keys(ex, {"parquet_dir", "report", "pseudonymize", "pseudonymize_key_env"}, "export")
    if not isinstance(ex.get("pseudonymize", False), bool):
        raise _fail(f"export.pseudonymize must be true or false, got {ex['pseudonymize']!r}")
    se = _table(data.get("sessions", {}), "sessions")
    _check_keys(se, {"timeout_minutes"}, "sessions")
    timeout = _number(se.get("timeout_minutes", 30), "sessions.timeout_minutes")
    if not math.isfinite(timeout) or timeout <= 0:  # NaN would act as an infinite timeout
        raise _fail(f"sessions.timeout_minutes must be greater than 0 and finite, got {se['timeout_minutes']!r}")
    stages = _parse_stages(_table(data.get("stages", {}), "stages"))
    sources_raw = data.get("sources", [])
    if not isinstance(sources_raw, list) or not sources_raw:
        raise _fail("config has no [[sources]]: add at least one source")
    sources = tuple(_parse_source(s, i, base) for i, s in enumerate(sources_raw))
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(f"source name {dupes[0]!r} is used twice: names must be unique")
    folded: dict[str, str] = {}
    for n in names:  # `web` and `Web` would be two sources over (usually) the same files
        if n.casefold() in folded:
            raise _fail(
                f"source names {folded[n.casefold()]!r} and {n!r} differ only by case: names must be unique"
            )
        folded[n.casefold()] = n
    if not any(not s.is_profile for s in sources):
        raise _fail("config has only `customers` sources: add at least one event source")
    touchpoints = _parse_touchpoints(_table(data.get("touchpoints", {}), "touchpoints"))
    return Config(
        path=path,
        output_base=out,
        warehouse_path=_resolve(out, _str(wh.get("path", "out/journeys.duckdb"), "warehouse.path")),
        parquet_dir=_resolve(out, _str(ex.get("parquet_dir", "out/parquet"), "export.parquet_dir")),
        report_path=_resolve(out, _str(ex.get("report", "out/report.html"), "export.report")),
        timeout_minutes=timeout,
        stages=stages,
        sources=sources,
        touchpoint_rules=touchpoints,
        metrics=_parse_metrics(_table(data.get("funnel", {}), "funnel"), _table(data.get("metrics", {}), "metrics")),
        report=_parse_report(_table(data.get("report", {}), "report")),
        execution=_parse_execution(_table(data.get("execution", {}), "execution"), out),
        pseudonymize=ex.get("pseudonymize", False),
        schedule_cron=_str(sched.get("cron", "0 2 * * *"), "schedule.cron"),
        schedule_timezone=_str(sched.get("timezone", "UTC"), "schedule.timezone"),
        pseudonymize_key_env=_str(ex.get("pseudonymize_key_env", "JOURNEY_PSEUDONYMIZE_KEY"), "export.pseudonymize_key_env"),
    )


def load_config(path: str | Path | None = None, *, output_base: Path | None = None) -> Config:
    """Read and validate a config file; raise :class:`ConfigError` with one clear line.

    ``path=None`` means ``journey.toml`` in the current folder, or, when there is none, the
    bundled sample config with outputs under ``./out`` of the current folder.
    """
    if path is None:
        local = Path("journey.toml")
        if local.exists():
            path = local
        else:
            path = sample_config_path()
            output_base = output_base or Path.cwd()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    base = path.resolve().parent
    try:
        return parse_config(data, base, path.resolve(), output_base)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
