"""The built wheel works outside the checkout (issue 7): `pip install .` then `journey run`.

Builds the wheel from the repository (``pip wheel --no-deps --no-build-isolation``: the
build backend comes from the dev dependencies, nothing is downloaded), installs it with
``--no-deps --no-index`` into a fresh virtualenv, and only then puts the project's
``.venv`` site-packages on that virtualenv's path (a ``.pth`` file, appended after the
virtualenv's own site-packages, whose ``.pth`` files, the editable install among them, are
not run). So the dependencies are the locked ones already installed, and ``journey_mining``
itself can only come from the wheel. Runs from empty temporary folders, never the checkout.

Run with ``make test-wheel`` (marker ``wheel``; about a minute with the Prefect run; CI runs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVENTS = 63_671  # events in the bundled sample's `events` table


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return {**env, **extra}


def _run(args: list[str], cwd: Path, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    r = subprocess.run(args, cwd=cwd, env=_clean_env(**env), capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def expected_files() -> set[str]:
    """What the wheel must hold: every module, SQL model, flow and sample file."""
    out = set()

    def add(folder: Path, pattern: str, prefix: str) -> None:
        for p in folder.glob(pattern):
            if p.is_file() and "__pycache__" not in p.parts:
                out.add(f"{prefix}/{p.relative_to(folder).as_posix()}")

    add(ROOT / "src" / "journey_mining", "**/*.py", "journey_mining")
    add(ROOT / "src" / "journey_mining", "report/templates/*", "journey_mining")
    add(ROOT / "sql", "**/*.sql", "journey_mining/sql")
    add(ROOT / "sql", "__init__.py", "journey_mining/sql")
    add(ROOT / "flows", "*.py", "journey_mining/flows")
    add(ROOT / "data", "__init__.py", "journey_mining/data")
    for pattern in ("journey.toml", "web/*.csv", "email/*.json", "support/*.json", "customers/*.csv"):
        add(ROOT / "data" / "sample", pattern, "journey_mining/data/sample")
    return out


def _source_tree(dest: Path) -> Path:
    """The checkout's files (tracked, and new ones not ignored) copied to ``dest``: the build
    sees no stale ``build/`` folder (setuptools never empties it, so a removed module would
    still ship) and leaves nothing behind in the checkout."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tree = _source_tree(tmp_path_factory.mktemp("source"))
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--no-index", "-w", str(dist), str(tree)], cwd=dist)
    wheels = list(dist.glob("journey_mining-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed; returns its bin/ folder."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps",
          "--no-index", str(wheel)], cwd=env_dir)
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=env_dir).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]  # this interpreter's (.venv's) site-packages
    (Path(purelib) / "_journey_test_deps.pth").write_text(deps + "\n", encoding="utf-8")
    return env_dir / "bin"


def test_wheel_holds_every_module_model_flow_and_sample_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n for n in names if ".dist-info/" not in n}
    assert shipped == expected_files()
    assert not any(n.endswith((".duckdb", ".pyc", ".parquet")) for n in names)
    [ep] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry_points = zipfile.ZipFile(wheel).read(ep)
    assert b"journey = journey_mining.cli:entry" in entry_points


def test_installed_package_reads_its_data_from_the_wheel(installed, tmp_path):
    code = ("import journey_mining, journey_mining.models as m, journey_mining.config as c; "
            "print(journey_mining.__file__); print(m.sql_dir()); print(c.sample_config_path())")
    lines = _run([str(installed / "python"), "-c", code], cwd=tmp_path).stdout.splitlines()
    env_dir = installed.parent.resolve()
    for line in lines:
        assert Path(line).resolve().is_relative_to(env_dir), lines
    assert Path(lines[2]).is_file()


def _events(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from events").fetchone()[0]
    finally:
        con.close()


def test_journey_run_in_an_empty_folder_runs_the_bundled_sample(installed, tmp_path):
    r = _run([str(installed / "journey"), "run", "--no-prefect"], cwd=tmp_path)
    assert "bundled sample" in r.stderr
    assert f"warehouse: {tmp_path / 'out' / 'journeys.duckdb'}" in r.stdout
    assert _events(tmp_path / "out" / "journeys.duckdb") == SAMPLE_EVENTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing else written here


def test_journey_run_with_a_config_from_another_folder(installed, tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    sample = _run([str(installed / "python"), "-c",
                   "from journey_mining.config import sample_config_path; print(sample_config_path().parent)"],
                  cwd=elsewhere).stdout.strip()
    shutil.copytree(sample, project)
    r = _run([str(installed / "journey"), "run", "--no-prefect", "--config", "../project/journey.toml"],
             cwd=elsewhere)
    assert f"warehouse: {project / 'out' / 'journeys.duckdb'}" in r.stdout
    assert _events(project / "out" / "journeys.duckdb") == SAMPLE_EVENTS
    assert list(elsewhere.iterdir()) == []


def test_prefect_flow_and_deployment_import_from_the_wheel(installed, tmp_path):
    """No sys.path edits: the flow module is part of the installed package."""
    r = _run([str(installed / "python"), "-m", "journey_mining.flows.deploy", "--help"], cwd=tmp_path)
    assert "--cron" in r.stdout


@pytest.mark.flow
def test_journey_run_through_prefect_keeps_its_state_out_of_the_folder(installed, tmp_path):
    """The default `journey run` (the Prefect flow) from the wheel, with no PREFECT_HOME:
    Prefect's state goes to the user state dir (here under a temporary HOME), the current
    folder only gets ./out/."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in _clean_env().items() if not k.startswith(("PREFECT_", "XDG_"))}
    env |= {"HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}  # a new database, a busy CI
    r = subprocess.run([str(installed / "journey"), "run"], cwd=work, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert _events(work / "out" / "journeys.duckdb") == SAMPLE_EVENTS
    assert sorted(p.name for p in work.iterdir()) == ["out"]
    assert (home / ".local" / "state" / "journey_mining" / "prefect").is_dir()
