"""Shared test helpers: stage a source and compare with golden CSV files."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pandas as pd

from journey_mining.config import SourceConfig
from journey_mining.ingest import SourcePlan, new_connection, stage_source

GOLDEN = Path(__file__).parent / "golden"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
if not REALDATA.exists():  # CI: shared/ beside the clone
    REALDATA = Path(os.environ.get("JOURNEY_REALDATA", Path.cwd().parent / "shared" / "realdata"))

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(path: Path, name: str) -> ModuleType:
    """A script that is not part of a package (``benchmarks/*.py``), loaded by its path."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STAGED_COLUMNS = (
    "status, reason, event_id, source, channel, event_type, "
    "strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ') as occurred_at, user_id, anonymous_id, email, "
    "url, referrer, utm_source, utm_medium, utm_campaign, campaign, touchpoint, revenue, score, text, "
    "properties::varchar as properties, source_line"
)


def staged_frame(source: SourceConfig, files: list[Path] | None = None) -> pd.DataFrame:
    """Every row a source yields after staging (loaded, quarantined, duplicate), as text."""
    con = new_connection()
    plan = SourcePlan(source, tuple(files or [Path(source.path)]))
    table = stage_source(con, plan)
    df = con.sql(f"select {STAGED_COLUMNS} from {table} order by source_file, source_line").df()
    con.close()
    return normalize(df)


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Compare as text: NULL -> '', numbers via repr so 19.9 stays 19.9."""
    out = df.astype(object).where(df.notna(), "")
    return out.map(lambda v: v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v)).reset_index(drop=True)


def read_golden(path: Path) -> pd.DataFrame:
    return normalize(pd.read_csv(path, dtype=str, keep_default_na=False))


def assert_golden(actual: pd.DataFrame, path: Path) -> None:
    """Exact equality with a golden CSV. Set JOURNEY_UPDATE_GOLDEN=1 to (re)write it, then
    review the diff by hand: a golden file is a statement of what is right."""
    if os.environ.get("JOURNEY_UPDATE_GOLDEN") == "1":
        actual.to_csv(path, index=False)
    expected = read_golden(path)
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected, check_dtype=False)
