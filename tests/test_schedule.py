"""Scheduling (flows/deploy.py, docs/operations.md "Scheduling"): the nightly deployment,
served against a real local Prefect server on the loopback address, runs when triggered and
publishes the outputs; a failed run is Failed in Prefect and `failed` in `runs`. The slow
test starts `prefect server start` (temp PREFECT_HOME, a free port) and the serving process
as child processes and stops them by their ids."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from journey_mining.config import load_config
from journey_mining.errors import ConfigError

from .test_report import CONFIG, CRM, WEB

FLOW, DEPLOYMENT = "journey-run", "nightly"


def test_deployment_takes_the_schedule_from_the_config_or_the_option(tmp_path):
    pytest.importorskip("prefect")
    from journey_mining.flows.deploy import build_deployment

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.csv").write_text(WEB)
    (tmp_path / "journey.toml").write_text(CONFIG + '\n[schedule]\ncron = "30 1 * * *"\ntimezone = "Europe/Paris"\n')
    d = build_deployment(tmp_path / "journey.toml")
    assert d.name == DEPLOYMENT and d.parameters == {"config_path": str((tmp_path / "journey.toml").resolve())}
    assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [("30 1 * * *", "Europe/Paris")]
    d = build_deployment(tmp_path / "journey.toml", cron="0 2 * * *", timezone="UTC")
    assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [("0 2 * * *", "UTC")]
    assert load_config(tmp_path / "journey.toml").schedule_cron == "30 1 * * *"
    with pytest.raises(ConfigError, match="invalid cron"):
        build_deployment(tmp_path / "journey.toml", cron="every night")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, procs: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                tails = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)
                pytest.fail(f"a child process exited ({p.args[:3]}, code {p.returncode}) while waiting for {what}:\n{tails}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(1)
    tails = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)
    pytest.fail(f"timed out waiting for {what}:\n{tails}")


def _stop(p: subprocess.Popen) -> None:
    """Stop a child we started (its own process group: the server's workers too)."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


TRIGGER = """
import json, sys
from prefect.deployments import run_deployment
fr = run_deployment(sys.argv[1], timeout=float(sys.argv[2]))
print(json.dumps({"id": str(fr.id), "state": fr.state.type.value, "name": fr.state.name}))
"""


@pytest.mark.slow
def test_served_deployment_runs_against_a_real_local_prefect_server(tmp_path):
    pytest.importorskip("prefect")
    import httpx

    root = tmp_path / "project"
    (root / "web").mkdir(parents=True)
    (root / "web" / "a.csv").write_text(WEB)
    (root / "crm.csv").write_text(CRM)
    (root / "journey.toml").write_text(CONFIG)
    config = load_config(root / "journey.toml")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
           "PREFECT_SERVER_LOGGING_LEVEL": "WARNING", "PREFECT_LOGGING_TO_API_ENABLED": "false"}
    prefect = Path(sys.executable).parent / "prefect"
    logs = [tmp_path / "server.log", tmp_path / "serve.log"]
    procs: list[subprocess.Popen] = []
    try:
        with logs[0].open("w") as out:
            procs.append(subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                          env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        _wait("the Prefect server", lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200, 180, procs, logs)
        with logs[1].open("w") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "journey_mining.flows.deploy", "--config", str(root / "journey.toml"),
                 "--cron", "0 2 * * *"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        _wait("the deployment", lambda: httpx.get(f"{api}/deployments/name/{FLOW}/{DEPLOYMENT}", timeout=5)
              .status_code == 200, 180, procs, logs)
        deployment = httpx.get(f"{api}/deployments/name/{FLOW}/{DEPLOYMENT}", timeout=10).json()
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 2 * * *"]

        def trigger() -> dict:
            done = subprocess.run([sys.executable, "-c", TRIGGER, f"{FLOW}/{DEPLOYMENT}", "600"], env=env,
                                  capture_output=True, text=True, timeout=700)
            assert done.returncode == 0, done.stderr[-3000:]
            return json.loads(done.stdout.strip().splitlines()[-1])

        ok = trigger()
        assert ok["state"] == "COMPLETED", logs[1].read_text(errors="replace")[-3000:]
        # the outputs are published
        assert config.warehouse_path.is_file() and (config.parquet_dir / "_manifest.json").is_file()
        assert config.report_path.is_file()

        # a run that fails after it started (a suppression list without its key): Failed in
        # Prefect, `failed` in `runs` once the next run imports the journal
        pending = config.warehouse_path.with_name(f".{config.warehouse_path.name}.erasures-pending.jsonl")
        pending.write_text(json.dumps({"erasure_id": "e1", "requested_at": "2026-01-01T00:00:00+00:00",
                                       "identifier_hash": "0" * 64, "hashes": ["0" * 64]}) + "\n")
        bad = trigger()
        assert bad["state"] == "FAILED"
        state = httpx.get(f"{api}/flow_runs/{bad['id']}", timeout=10).json()["state"]
        assert state["type"] == "FAILED" and "erasure key" in (state.get("message") or "") + json.dumps(state)
        pending.unlink()
        again = trigger()
        assert again["state"] == "COMPLETED"
        # the run's markdown artifact shows the changes since the previous (first) run
        arts = httpx.post(f"{api}/artifacts/filter", timeout=10, json={
            "artifacts": {"key": {"any_": ["journey-summary"]}, "flow_run_id": {"any_": [again["id"]]}}}).json()
        assert len(arts) == 1 and "## Since the previous run" in arts[0]["data"]
        assert "No earlier run to compare with" not in arts[0]["data"]
    finally:
        for p in reversed(procs):
            _stop(p)
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    try:
        runs = con.execute("select status, error from runs order by started_at").fetchall()
    finally:
        con.close()
    assert [s for s, _ in runs] == ["success", "failed", "success"]
    assert "erasure key" in runs[1][1]
