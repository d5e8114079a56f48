"""`journey` end to end, as a user runs it (a subprocess; the Prefect flow in ephemeral mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]


def journey(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    return subprocess.run(
        [sys.executable, "-c", "from journey_mining.cli import entry; entry()", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.mark.flow
def test_journey_run_on_the_bundled_sample_through_prefect(tmp_path):
    """With no journey.toml, `journey run` runs the sample into ./out and says where."""
    r = journey("run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"warehouse: {tmp_path / 'out' / 'journeys.duckdb'}" in r.stdout
    assert f"parquet:   {tmp_path / 'out' / 'parquet'}" in r.stdout
    # the summary ends with the journey map report the flow wrote (docs/report.md)
    assert r.stdout.splitlines()[-1] == f"  report:    {tmp_path / 'out' / 'report.html'}"
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.count("Plotly.newPlot") == 6 and 'data-stage="advocacy"' in page
    assert "leaked" not in r.stderr
    con = duckdb.connect(str(tmp_path / "out" / "journeys.duckdb"), read_only=True)
    sources = con.sql(
        "select source, rows_read, rows_loaded, rows_quarantined, rows_duplicate from run_sources"
    ).fetchall()
    assert {s[0] for s in sources} == {"web", "email", "support", "customers"}
    for name, read, loaded, quarantined, duplicate in sources:
        assert read == loaded + quarantined + duplicate, name
        assert read > 0, name
    status, read, events = con.sql("select status, rows_read, events from runs").fetchall()[0]
    assert status == "success"
    loaded_events = con.sql("select sum(rows_loaded) from run_sources where source <> 'customers'").fetchall()[0][0]
    assert events == loaded_events == con.sql("select count(*) from events").fetchall()[0][0]
    # the planted bad rows of the sample are quarantined, not lost
    assert con.sql("select count(*) from quarantine").fetchall()[0][0] > 0
    assert (tmp_path / "out" / "parquet" / "events").is_dir()
    assert (tmp_path / "out" / "parquet" / "customers" / "data_0.parquet").is_file()


def test_bad_config_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "journey.toml").write_text('[[sources]]\nname = "w"\npath = "x/*.csv"\nformat = "csvv"\n')
    r = journey("run", cwd=tmp_path)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == ["error: journey.toml: source 'w': unknown format 'csvv' (known: events, segment, sendgrid, zendesk, xes, customers)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journey.toml"]


def test_missing_input_files_fail_before_writing(tmp_path):
    (tmp_path / "journey.toml").write_text('[[sources]]\nname = "w"\npath = "web/*.csv"\n')
    r = journey("run", "--no-prefect", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: source 'w': no files match {tmp_path / 'web' / '*.csv'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journey.toml"]


def test_check_lists_sources(tmp_path):
    r = journey("check", "--config", str(ROOT / "data" / "sample" / "journey.toml"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "source 'web' (events, channel web)" in r.stdout
