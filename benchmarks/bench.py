"""`make bench`: journey_mining end to end against baselines on the same generated data.

    .venv/bin/python benchmarks/bench.py                  # 1M events (~47k customers), with peers
    .venv/bin/python benchmarks/bench.py --size 10m       # make bench-large
    .venv/bin/python benchmarks/bench.py --size 100m      # documented, not run by default
    .venv/bin/python benchmarks/bench.py --no-peers       # pipeline + DuckDB floor + pandas only

One run, one machine, one data set:

1. Generates the data with ``journey generate --format bench`` (web events as Parquet, SendGrid
   and Zendesk JSON, a CRM CSV and a ``journey.toml``) into a cache folder outside the checkout
   (``$XDG_CACHE_HOME/journey_mining/bench/<size>-<seed>-<key>``), keyed by the generator's
   arguments and source, so a rerun skips generation.
2. Runs ``journey run --no-prefect`` on it in a subprocess (a fresh output folder each time) and
   records wall time, events/s, peak RSS of the process tree and the per-step progress lines.
3. Runs the baselines, each in its own subprocess, on the same web events Parquet
   (``benchmarks/peers/``): the DuckDB floor, pandas, and, in their own virtualenv
   (``benchmarks/.peers-venv``, created on first use; never a dependency of the project),
   retentioneering and PM4Py.
4. Checks that the pipeline's directly-follows counts equal the floor's (see :func:`check_transitions`),
   prints a table and writes ``benchmarks/results/<date>.json`` (one entry per size).

docs/benchmarks.md explains every figure and how to read the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS = HERE / "peers"

# customers -> events (all channels, the warehouse's `events`), measured with seed 7:
# 46,000 customers -> 982,582 generated records (about 21.3 events per customer).
SIZES = {"tiny": 200, "1m": 47_000, "10m": 470_000, "100m": 4_700_000}
PEER_PACKAGES = ["retentioneering>=5.2,<5.3", "pm4py"]
# PM4Py is AGPL: it only ever runs as a separate process from benchmarks/peers/, never imported.
PEER_SCRIPTS = {
    "duckdb_floor": ("project", "floor_duckdb.py"),
    "pandas": ("project", "pandas_sessions.py"),
    "retentioneering": ("peers", "retentioneering_peer.py"),
    "pm4py": ("peers", "pm4py_peer.py"),
}


# =========================================================================== data

def cache_root() -> Path:
    """Where generated data is kept between runs (outside the checkout).

    >>> cache_root().parts[-2:]
    ('journey_mining', 'bench')
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "journey_mining" / "bench"


def generator_key(customers: int, seed: int, days: int = 61, start: str = "2026-09-01") -> str:
    """A short hash of the generator's arguments and of its source files: a changed generator
    or argument gets a new folder, an unchanged one reuses the cached data.

    >>> generator_key(200, 7) == generator_key(200, 7)
    True
    >>> generator_key(200, 7) == generator_key(200, 8)
    False
    """
    h = hashlib.sha256(json.dumps([customers, seed, days, start, "bench"]).encode())
    gen = REPO / "src" / "journey_mining" / "generate"
    for f in sorted(gen.glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def ensure_data(size: str, customers: int, seed: int, root: Path) -> dict:
    """Generate (or reuse) the data; returns its folder, whether it was cached and the
    generation time (the original generation's, for a cached folder)."""
    folder = root / f"{size}-{seed}-{generator_key(customers, seed)}"
    meta_file = folder / "bench-generate.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        return {**meta, "folder": str(folder), "cached": True}
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(journey_bin()), "generate", "--customers", str(customers), "--seed", str(seed),
           "--format", "bench", "--out", str(tmp)]
    print(f"generating {size} ({customers:,} customers) into {folder} ...", file=sys.stderr, flush=True)
    m = measure(cmd)
    if m["returncode"] != 0:
        raise SystemExit(f"error: journey generate failed: {m['stderr_tail']}")
    meta = {"customers": customers, "seed": seed, "command": " ".join(cmd[1:]).replace(str(tmp), "<folder>"),
            "generate_s": m["wall_s"], "generate_peak_rss_mb": m["peak_rss_mb"]}
    (tmp / "bench-generate.json").write_text(json.dumps(meta, indent=2))
    tmp.rename(folder)  # all or nothing: a crashed generation never looks cached
    return {**meta, "folder": str(folder), "cached": False}


def journey_bin() -> Path:
    """The ``journey`` script next to the running interpreter (the project's venv)."""
    return Path(sys.executable).parent / "journey"


def web_files(data: Path) -> list[str]:
    return sorted(str(f) for f in (data / "web").glob("*.parquet"))


def table_hashes_module():  # noqa: ANN201
    """``benchmarks/table_hashes.py`` (loaded by path: bench.py is a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("journey_table_hashes", HERE / "table_hashes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_config(data: Path, work: Path, sources: str = "all", memory_limit: str | None = None) -> tuple[Path, int]:
    """Copy the generated ``journey.toml`` into ``work`` with absolute source paths, so the
    warehouse and exports land in ``work`` and the cached data stays untouched; with
    ``sources="web"`` only the web source is kept (the same input as the baselines). Returns
    the config path and its ``sessions.timeout_minutes``. ``memory_limit``: ``[execution]
    memory_limit`` of the run (default: the config's, i.e. the machine-derived default)."""
    text = (data / "journey.toml").read_text(encoding="utf-8")
    blocks: list[list[str]] = [[]]  # the settings, then one block per [[sources]]
    for line in text.splitlines():
        if line.strip() == "[[sources]]":
            blocks.append([])
        m = re.match(r'^path = "(.*)"$', line.strip())
        if len(blocks) > 1 and m:
            line = f"path = {json.dumps(str(data / m.group(1)))}"
        blocks[-1].append(line)
    keep = [b for b in blocks[1:] if sources == "all" or 'name = "web"' in (x.strip() for x in b)]
    work.mkdir(parents=True, exist_ok=True)
    config = work / "journey.toml"
    config.write_text("\n".join(line for b in [blocks[0], *keep] for line in b) + "\n", encoding="utf-8")
    if memory_limit:
        with config.open("a", encoding="utf-8") as fh:
            fh.write(f"\n[execution]\nmemory_limit = {json.dumps(memory_limit)}\n")
    parsed = tomllib.loads(config.read_text(encoding="utf-8"))
    names = [src["name"] for src in parsed["sources"]]
    if sources == "web" and names != ["web"] or sources == "all" and len(names) != len(blocks) - 1:
        raise SystemExit(f"error: could not select sources {sources!r} from {data / 'journey.toml'}: {names}")
    return config, int(parsed.get("sessions", {}).get("timeout_minutes", 30))


# =========================================================================== measuring

def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float | None = None,
            rss_cap_mb: float | None = None, on_line=None) -> dict:
    """Run ``cmd`` and measure it: wall time, peak RSS of its process tree, stdout, stderr lines
    with the second each arrived.

    Peak RSS is the larger of (a) the kernel's ``ru_maxrss`` of the child (``os.wait4``: the
    largest single process it waited for) and (b) the sum of RSS over the child and all its
    descendants, polled every 50 ms with psutil (when installed). Linux folds the RSS a forked
    child inherits into its ``ru_maxrss`` (exec keeps the old high-water mark), so (a) counts
    only when it exceeds this process's own peak at the start: otherwise a small child of a
    large bench process (the 10M night split holds its events in memory) reports the bench's
    peak. A run above ``rss_cap_mb``
    or ``timeout`` is killed and reported as such, so a peer that does not fit cannot take the
    machine down.

        >>> m = measure([sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(0.5); print('ok')"])
        >>> m["returncode"], m["stdout"].strip(), m["peak_rss_mb"] >= 200
        (0, 'ok', True)
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil ships with the project's dependencies
        psutil = None
    import resource

    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    started = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []
    out: list[str] = []

    def read_err() -> None:
        for line in p.stderr:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))
            if on_line:
                on_line(line.rstrip("\n"))

    threads = [threading.Thread(target=read_err, daemon=True),
               threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)]
    for t in threads:
        t.start()
    proc = psutil.Process(p.pid) if psutil else None
    polled, killed, status, usage = 0, None, 0, None
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if proc is not None:
            try:
                tree = [proc, *proc.children(recursive=True)]
                rss = 0
                for q in tree:
                    try:
                        rss += q.memory_info().rss
                    except psutil.Error:
                        pass
                polled = max(polled, rss)
            except psutil.Error:
                pass
        elapsed = time.perf_counter() - started
        if killed is None and ((timeout and elapsed > timeout) or (rss_cap_mb and polled > rss_cap_mb * 2**20)):
            killed = f"killed after {elapsed:.0f} s" if timeout and elapsed > timeout else \
                f"killed: RSS above the {rss_cap_mb:,.0f} MB cap"
            for q in ([proc, *proc.children(recursive=True)] if proc else []):
                try:
                    q.kill()
                except Exception:  # noqa: BLE001 - already gone
                    pass
            if proc is None:
                p.kill()
        time.sleep(0.05)
    wall = time.perf_counter() - started
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=10)
    kernel_peak = usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux
    peak = max(polled, kernel_peak if kernel_peak > inherited else 0)
    return {
        "returncode": p.returncode,
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "stdout": out[0] if out else "",
        "stderr_lines": lines,
        "stderr_tail": " | ".join(line for _, line in lines[-5:]),
        "killed": killed,
    }


_SECONDS = re.compile(r"(\d+(?:\.\d+)?) s\)")
_NAME_END = re.compile(r" \(|: | to /| /")


def parse_steps(lines: list[tuple[float, str]]) -> list[dict]:
    """Per-step times from ``journey run``'s progress lines on stderr (indented lines). Each
    step gets the seconds the line reports, when it has ``(... 1.9 s)``, and the seconds since
    the previous line arrived (which also covers lines that report no time).

    >>> parse_steps([(0.5, "journey run: config x"), (2.5, "  ingested web (2 file(s), 1.9 s): 9 rows"),
    ...              (7.0, "  built customers, sessions and stages (4.4 s)"), (8.0, "  published /x")])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'step': 'ingested web', 'reported_s': 1.9, 'elapsed_s': 2.0},
     {'step': 'built customers, sessions and stages', 'reported_s': 4.4, 'elapsed_s': 4.5},
     {'step': 'published', 'reported_s': None, 'elapsed_s': 1.0}]
    """
    steps, last = [], None
    for t, line in lines:
        if not line.startswith("  "):
            last = t if last is None else last
            continue
        text = line.strip()
        m = _SECONDS.search(text)
        name = _NAME_END.split(text, maxsplit=1)[0].strip()
        steps.append({"step": name, "reported_s": float(m.group(1)) if m else None,
                      "elapsed_s": round(t - (last if last is not None else 0.0), 3)})
        last = t
    return steps


def peak_note(load: tuple[float, float, float]) -> str:
    return f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


# =========================================================================== the pipeline

def run_pipeline(data: Path, work: Path, timeout: float | None, sources: str = "all",
                 rss_cap_mb: float | None = None, memory_limit: str | None = None) -> dict:
    """``journey run --no-prefect`` on the generated data, its output in ``work``."""
    config, timeout_minutes = run_config(data, work, sources, memory_limit)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    print("running journey run --no-prefect ...", file=sys.stderr, flush=True)
    m = measure([str(journey_bin()), "run", "--no-prefect", "--config", str(config)], cwd=work, env=env,
                timeout=timeout, rss_cap_mb=rss_cap_mb, on_line=lambda s: print(f"  | {s}", file=sys.stderr, flush=True))
    result = {"wall_s": m["wall_s"], "peak_rss_mb": m["peak_rss_mb"], "returncode": m["returncode"],
              "steps": parse_steps(m["stderr_lines"]), "timeout_minutes": timeout_minutes}
    lines = m["stderr_lines"]
    if lines:  # interpreter start + imports + config, and the time after the last progress line
        result["steps"].insert(0, {"step": "startup (imports, config, planning)", "reported_s": None,
                                   "elapsed_s": round(lines[0][0], 3)})
        last = "finish (summary, exit)" if m["returncode"] == 0 else \
            f"unfinished after the last progress line ({m['killed'] or 'failed'})"
        result["steps"].append({"step": last, "reported_s": None,
                                "elapsed_s": round(m["wall_s"] - lines[-1][0], 3)})
    if m["returncode"] != 0:
        result["error"] = m["killed"] or m["stderr_tail"]
        return result
    warehouse = work / tomllib.loads(config.read_text())["warehouse"]["path"]
    result["warehouse"] = str(warehouse)
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result["events"] = con.execute("select count(*) from events").fetchall()[0][0]
        result["sessions"] = con.execute("select count(*) from sessions").fetchall()[0][0]
        result["customers"] = con.execute("select count(*) from customers").fetchall()[0][0]
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if "run_steps" in tables:  # per-step timings, when the pipeline records them
            cur = con.execute("select * from run_steps")
            cols = [d[0] for d in cur.description]
            result["run_steps"] = [{c: (v if isinstance(v, (int, float, str, type(None))) else str(v))
                                    for c, v in zip(cols, row, strict=True)} for row in cur.fetchall()]
    finally:
        con.close()
    return result


# =========================================================================== the check

# Directly-follows pairs over the warehouse's `events`, in the order the contract defines
# (occurred_at, source, event_id). PIPELINE_PAIRS uses the pipeline's session_id;
# FLOOR_PAIRS ignores it and sessionizes customer_id itself, the way the floor query does
# (a gap strictly greater than the timeout starts a session).
PIPELINE_PAIRS = """
with ordered as (
    select
        event_type as from_type,
        lead(event_type) over (partition by session_id order by occurred_at, source, event_id) as to_type
    from events
)
select from_type, to_type, count(*) from ordered where to_type is not null group by all
"""

FLOOR_PAIRS = """
with gaps as (
    select
        customer_id, occurred_at, source, event_id, event_type,
        coalesce(
            occurred_at - lag(occurred_at) over by_customer > to_minutes($timeout_minutes), true
        ) as is_session_start
    from events
    window by_customer as (partition by customer_id order by occurred_at, source, event_id)
),
sessioned as (
    select *, sum(is_session_start::int) over (
        partition by customer_id order by occurred_at, source, event_id rows unbounded preceding
    ) as session_index
    from gaps
),
ordered as (
    select
        event_type as from_type,
        lead(event_type) over (
            partition by customer_id, session_index order by occurred_at, source, event_id
        ) as to_type
    from sessioned
)
select from_type, to_type, count(*) from ordered where to_type is not null group by all
"""

CHECK_WHAT = (
    "directly-follows pairs of event_type over the warehouse's `events` (every channel), "
    "ordered by occurred_at, source, event_id: the pipeline's sessions (session_id) vs the "
    "floor's own sessionization of the pipeline's customer_id (gap > timeout starts a session). "
    "The floor's timed query uses user_id-else-anonymous_id on the raw web Parquet instead of "
    "stitched customers, so its counts are compared with pandas/PM4Py/retentioneering, not here."
)


def transition_counts(warehouse: Path, timeout_minutes: int) -> tuple[dict, dict]:
    """(pipeline's pairs, floor-method pairs) from one warehouse, as ``{"a\\tb": n}``."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        ours = con.execute(PIPELINE_PAIRS).fetchall()
        floor = con.execute(FLOOR_PAIRS, {"timeout_minutes": timeout_minutes}).fetchall()
    finally:
        con.close()
    return ({f"{a}\t{b}": int(n) for a, b, n in ours}, {f"{a}\t{b}": int(n) for a, b, n in floor})


def compare_pairs(ours: dict, theirs: dict) -> dict:
    """Whether two pair-count maps are equal, with the first differences.

    >>> compare_pairs({"a\\tb": 2}, {"a\\tb": 2})["equal"]
    True
    >>> compare_pairs({"a\\tb": 2}, {"a\\tb": 3, "b\\ta": 1})["differences"]
    [['a\\tb', 2, 3], ['b\\ta', 0, 1]]
    """
    keys = sorted(set(ours) | set(theirs))
    diff = [[k, ours.get(k, 0), theirs.get(k, 0)] for k in keys if ours.get(k, 0) != theirs.get(k, 0)]
    return {"equal": not diff, "pairs": sum(ours.values()), "distinct_pairs": len(ours),
            "other_pairs": sum(theirs.values()), "differences": diff[:10]}


def check_transitions(warehouse: Path, timeout_minutes: int) -> dict:
    started = time.perf_counter()
    ours, floor = transition_counts(warehouse, timeout_minutes)
    return {"compares": CHECK_WHAT, **compare_pairs(ours, floor), "check_s": round(time.perf_counter() - started, 3)}


# =========================================================================== the peers

def peers_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_peers_venv(venv: Path) -> dict:
    """Create the peers' own virtualenv (same Python) and install retentioneering and PM4Py
    into it on first use. Returns the installed versions, or the error."""
    py = peers_python(venv)
    stamp = venv / ".bench-installed"
    if not stamp.exists():
        print(f"setting up the peers' virtualenv {venv} (pip install {' '.join(PEER_PACKAGES)}) ...",
              file=sys.stderr, flush=True)
        base = getattr(sys, "_base_executable", sys.executable)
        for cmd in ([base, "-m", "venv", str(venv)],
                    [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PEER_PACKAGES]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                return {"error": f"{' '.join(cmd[-3:])} failed: {(r.stderr or r.stdout).strip()[-800:]}"}
        stamp.write_text("ok\n")
    r = subprocess.run([str(py), "-c", "import importlib.metadata as m; import json; "
                        "print(json.dumps({p: m.version(p) for p in ('retentioneering', 'pm4py', 'pandas')}))"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": r.stderr.strip()[-800:]}
    return {"versions": json.loads(r.stdout)}


def run_peer(name: str, python: Path, files: list[str], timeout_minutes: int, timeout: float | None,
             rss_cap_mb: float | None) -> dict:
    script = PEERS / PEER_SCRIPTS[name][1]
    print(f"running baseline {name} ...", file=sys.stderr, flush=True)
    m = measure([str(python), str(script), str(timeout_minutes), *files], cwd=PEERS, timeout=timeout,
                rss_cap_mb=rss_cap_mb)
    result = {"wall_s": m["wall_s"], "peak_rss_mb": m["peak_rss_mb"]}
    if m["returncode"] != 0 or not m["stdout"].strip():
        result["error"] = m["killed"] or m["stderr_tail"] or f"exit code {m['returncode']}"
        return result
    result.update(json.loads(m["stdout"].strip().splitlines()[-1]))
    return result


# =========================================================================== report

def ratios(ours: dict, other: dict) -> dict:
    if "error" in other or "error" in ours or not other.get("wall_s"):
        return {}
    per_event = None
    if ours.get("events") and other.get("events"):
        per_event = round((ours["wall_s"] / ours["events"]) / (other["wall_s"] / other["events"]), 2)
    return {"wall_x": round(ours["wall_s"] / other["wall_s"], 2), "per_event_x": per_event,
            "rss_x": round(ours["peak_rss_mb"] / other["peak_rss_mb"], 2) if other.get("peak_rss_mb") else None}


def table(result: dict) -> str:
    ours = result["systems"]["journey_mining"]
    rows = [f"{'system':16} {'events':>12} {'wall s':>8} {'events/s':>11} {'peak RSS MB':>12} "
            f"{'ours/it wall':>13} {'per event':>10} {'ours/it RSS':>12}"]
    for name, s in result["systems"].items():
        if "skipped" in s:
            rows.append(f"{name:16} skipped: {s['skipped']}")
            continue
        if "error" in s:
            rows.append(f"{name:16} {'-':>12} {s.get('wall_s', 0):>8.1f} {'-':>11} {s.get('peak_rss_mb', 0):>12,.0f}  "
                        f"error: {s['error']}"[:200])
            continue
        r = s.get("ratio") or {}
        rows.append(f"{name:16} {s.get('events', 0):>12,} {s['wall_s']:>8.1f} {s.get('events_per_s', 0):>11,.0f} "
                    f"{s['peak_rss_mb']:>12,.0f} {str(r.get('wall_x', '-')) + 'x':>13} "
                    f"{str(r.get('per_event_x', '-')) + 'x':>10} "
                    f"{str(r.get('rss_x', '-')) + 'x':>12}")
    floor = result["systems"].get("duckdb_floor", {})
    if ours.get("steps") and floor.get("wall_s") and "error" not in floor:
        rows.append("")
        rows.append(f"{'journey run step':52} {'seconds':>8} {'x floor':>8}")
        for st in ours["steps"]:
            s = st["reported_s"] if st["reported_s"] is not None else st["elapsed_s"]
            rows.append(f"{st['step'][:52]:52} {s:8.2f} {s / floor['wall_s']:8.2f}")
    c = result.get("check") or {}
    if c:
        rows.append("")
        rows.append(f"check: {'PASS' if c.get('equal') else 'FAIL'}: {c.get('pairs', 0):,} pairs "
                    f"({c.get('distinct_pairs', 0)} distinct); {c['compares']}")
        if not c.get("equal"):
            rows.append(f"  differences (pair, ours, floor): {c.get('differences')}")
    for name, s in result["systems"].items():
        if "pairs_equal_floor" in s:
            rows.append(f"{name}: directly-follows counts on the raw web events "
                        f"{'equal' if s['pairs_equal_floor'] else 'DIFFER from'} the floor's")
    return "\n".join(rows)


def bench(size: str = "1m", customers: int | None = None, seed: int = 7, peers: bool = True,
          cache: Path | None = None, results_dir: Path | None = HERE / "results",
          peers_venv: Path = HERE / ".peers-venv", keep: bool = False, timeout: float | None = 3600,
          peer_max_events: int = 20_000_000, rss_cap_mb: float | None = None, sources: str = "all",
          memory_limit: str | None = None) -> dict:
    """One benchmark run; returns (and writes, unless ``results_dir`` is None) the result."""
    customers = customers or SIZES[size]
    cache = cache or cache_root()
    started_at = dt.datetime.now(dt.UTC)
    load_before = list(os.getloadavg())
    gen = ensure_data(size, customers, seed, cache)
    data = Path(gen["folder"])
    files = web_files(data)
    if rss_cap_mb is None:
        try:
            import psutil

            rss_cap_mb = psutil.virtual_memory().total / 2**20 * 0.8
        except ImportError:  # pragma: no cover
            rss_cap_mb = None
    work = Path(tempfile.mkdtemp(prefix="run-", dir=cache))
    try:
        ours = run_pipeline(data, work, timeout, sources, rss_cap_mb, memory_limit)
        timeout_minutes = ours["timeout_minutes"]
        check = check_transitions(Path(ours["warehouse"]), timeout_minutes) if "error" not in ours else {}
        if "error" not in ours:  # content of every published table (benchmarks/table_hashes.py)
            ours["table_hashes"] = {t: [rows, h] for t, (rows, h) in
                                    table_hashes_module().warehouse_hashes(Path(ours["warehouse"])).items()}
        if not keep:
            ours.pop("warehouse", None)  # removed below
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    if "events" in ours:
        ours["events_per_s"] = round(ours["events"] / ours["wall_s"])
    systems = {"journey_mining": ours}

    env_info: dict = {}
    names = ["duckdb_floor", "pandas"] + (["retentioneering", "pm4py"] if peers else [])
    if peers:
        env_info = ensure_peers_venv(peers_venv)
    for name in names:
        if PEER_SCRIPTS[name][0] == "peers":
            if "error" in env_info:
                systems[name] = {"error": f"peers' virtualenv: {env_info['error']}"}
                continue
            if ours.get("events", 0) > peer_max_events:
                systems[name] = {"skipped": f"above --peer-max-events {peer_max_events:,}"}
                continue
            python = peers_python(peers_venv)
        else:
            python = Path(sys.executable)
        systems[name] = run_peer(name, python, files, timeout_minutes, timeout, rss_cap_mb)
    floor = systems["duckdb_floor"]
    for name, s in systems.items():
        if name != "journey_mining" and "error" not in s and "skipped" not in s:
            if s.get("events"):
                s["events_per_s"] = round(s["events"] / s["wall_s"])
            if s.get("pairs") is not None and name != "duckdb_floor" and floor.get("pairs") is not None:
                s["pairs_equal_floor"] = compare_pairs(s["pairs"], floor["pairs"])["equal"]
        if name != "journey_mining":
            s["ratio"] = ratios(ours, s)
    for name, s in systems.items():
        s["events_basis"] = (f"the warehouse's `events` ({'web + email + support' if sources == 'all' else 'web'})"
                             if name == "journey_mining"
                             else "rows of the web events Parquet with a user_id or anonymous_id")
        if isinstance(s.get("pairs"), dict):  # summarised: the check has the detail
            s["pairs"] = {"total": sum(s["pairs"].values()), "distinct": len(s["pairs"])}
    for st in ours.get("steps", []):
        if floor.get("wall_s") and "error" not in floor:
            st["x_floor"] = round((st["reported_s"] if st["reported_s"] is not None else st["elapsed_s"])
                                  / floor["wall_s"], 2)

    result = {
        "size": size,
        "sources": sources,
        "memory_limit": memory_limit,
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": load_before},
        "data": {k: v for k, v in gen.items()} | {"web_files": len(files)},
        "peers_env": env_info,
        "systems": systems,
        "check": check,
    }
    result["machine"]["load_average_after"] = list(os.getloadavg())
    try:
        import psutil

        result["machine"]["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        pass
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        out = results_dir / f"{started_at.date().isoformat()}.json"
        runs = json.loads(out.read_text()) if out.exists() else {}
        key = size if customers == SIZES.get(size) else f"{size}-{customers}"
        key = key if sources == "all" else f"{key}-{sources}"
        runs[key if not memory_limit else f"{key}-mem{memory_limit}"] = result
        out.write_text(json.dumps(runs, indent=2) + "\n")
        result["written_to"] = str(out)
    return result


# =========================================================================== incremental (issue 11)

def split_night(data: Path, dest: Path, fraction: float = 0.01, late_share: float = 0.1) -> dict:
    """A copy of the generated data in ``dest`` (other sources linked, not copied) whose web
    events miss ``fraction`` of the rows, and ``dest/night.parquet`` with those rows: the
    newest ones by ``occurred_at`` plus, as ``late_share`` of them, a random sample of older
    ones (late-arriving events of customers seen weeks before)."""
    import duckdb

    dest.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(data):
        if name not in ("web", "journey.toml") and (data / name).is_dir() and not (dest / name).exists():
            (dest / name).symlink_to(data / name)
    shutil.copy(data / "journey.toml", dest / "journey.toml")
    (dest / "web").mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute("create table w as select * from read_parquet($f)", {"f": web_files(data)})
    total = con.execute("select count(*) from w").fetchone()[0]
    held = max(1, round(total * fraction))
    late = round(held * late_share)
    con.execute(
        "create table held as (select event_id from w order by occurred_at desc, event_id limit $n) "
        "union (select event_id from w order by hash(event_id) limit $k)", {"n": held - late, "k": late})
    con.execute("copy (select * from w where event_id not in (select event_id from held) order by occurred_at, event_id) "
                "to $p (format parquet)", {"p": str(dest / "web" / "events_base.parquet")})
    con.execute("copy (select * from w where event_id in (select event_id from held) order by occurred_at, event_id) "
                "to $p (format parquet)", {"p": str(dest / "night.parquet")})
    n_held = con.execute("select count(*) from held").fetchone()[0]
    con.close()
    return {"web_events": total, "night_events": n_held, "late_events": late}


def _table_hashes(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        from journey_mining.tables import carried_tables

        logs = set(carried_tables("append"))  # runs, run_steps, metric_history, ...: they grow by design
        out = {}
        for (n,) in con.execute("select table_name from duckdb_tables()").fetchall():
            if n in logs and n != "metric_history":
                continue
            drop = {"quarantine": " exclude (run_id)", "input_files": " exclude (first_run_id)"}.get(n, "")
            rows = f'(select *{drop} from "{n}")'
            if n == "metric_history":  # the last run's headline figures (not when or by which run)
                rows = ("(select * exclude (run_id, recorded_at) from metric_history where run_id = "
                        "(select run_id from runs where status = 'success' order by started_at desc limit 1))")
            out[n] = [str(v) for v in con.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {rows} t").fetchone()]
        return out
    finally:
        con.close()


def _run_steps(warehouse: Path | None, top: int = 12) -> list[dict]:
    """The last run's slowest steps and models (``run_steps``): where an incremental night's time goes."""
    import duckdb

    if warehouse is None or not warehouse.exists():
        return []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select step, model, detail, seconds from run_steps where run_id = "
            "(select run_id from runs order by started_at desc limit 1) order by seconds desc limit $n", {"n": top},
        ).fetchall()
    finally:
        con.close()
    return [{"step": s, "model": m, "detail": (d or "")[:80], "seconds": round(x, 2)} for s, m, d, x in rows]


def bench_incremental(size: str = "1m", customers: int | None = None, seed: int = 7, cache: Path | None = None,
                      results_dir: Path | None = HERE / "results", fraction: float = 0.01,
                      timeout: float | None = 3600, keep: bool = False, memory_limit: str | None = None) -> dict:
    """``--incremental``: a nightly run adding ``fraction`` new web events to a warehouse built
    from the rest, against a ``--full-refresh`` rebuild of the same inputs (wall time of
    ``journey run --no-prefect``, each in its own process); checks that both give the same
    tables (content hash of every table but runs / run_sources)."""
    import duckdb

    customers = customers or SIZES[size]
    gen = ensure_data(size, customers, seed, cache or cache_root())
    work = Path(tempfile.mkdtemp(prefix="jm-bench-inc-"))
    started_at = dt.datetime.now(dt.UTC)
    try:
        inputs = work / "data"
        split = split_night(Path(gen["folder"]), inputs, fraction)
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        runs = {}

        def run(name: str, out: Path, *extra: str) -> None:
            config, _ = run_config(inputs, out, memory_limit=memory_limit)
            print(f"incremental bench: {name} ...", file=sys.stderr, flush=True)
            m = measure([str(journey_bin()), "run", "--no-prefect", "--config", str(config), *extra], cwd=out,
                        env=env, timeout=timeout, on_line=lambda s: print(f"  | {s}", file=sys.stderr, flush=True))
            if m["returncode"] != 0:
                raise SystemExit(f"error: {name} failed: {m['killed'] or m['stderr_tail']}")
            runs[name] = {"wall_s": m["wall_s"], "peak_rss_mb": m["peak_rss_mb"], "steps": parse_steps(m["stderr_lines"]),
                          "run_steps": _run_steps(next(out.rglob("*.duckdb"), None))}

        run("initial build (99%)", work / "inc")
        shutil.copy(inputs / "night.parquet", inputs / "web" / "events_night.parquet")
        run("nightly incremental (+1%)", work / "inc")
        run("full rebuild (--full-refresh)", work / "full", "--full-refresh")
        wh_inc = work / "inc" / "out" / "journeys.duckdb"
        wh_full = work / "full" / "out" / "journeys.duckdb"
        if not wh_inc.exists():  # the generated config names its own warehouse path
            wh_inc = next((work / "inc").rglob("*.duckdb"))
            wh_full = next((work / "full").rglob("*.duckdb"))
        con = duckdb.connect(str(wh_inc), read_only=True)
        cols = [d[0] for d in con.execute("select * from runs order by started_at desc limit 1").description]
        row = dict(zip(cols, con.execute("select * from runs order by started_at desc limit 1").fetchone(), strict=True))
        con.close()
        h_inc, h_full = _table_hashes(wh_inc), _table_hashes(wh_full)
        inc_s = runs["nightly incremental (+1%)"]["wall_s"]
        full_s = runs["full rebuild (--full-refresh)"]["wall_s"]
        result = {
            "mode": "incremental", "size": size, "started_at": started_at.isoformat(), "data": gen,
            "split": {**split, "fraction_of_web_events": fraction},
            "runs": runs, "ratio": round(inc_s / full_s, 4),
            "nightly_run_row": {k: (v if isinstance(v, (int, float, str, type(None))) else str(v)) for k, v in row.items()},
            "tables_equal": h_inc == h_full,
            "tables_differing": sorted(t for t in set(h_inc) | set(h_full) if h_inc.get(t) != h_full.get(t)),
        }
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        out_file = results_dir / f"{started_at.date().isoformat()}-incremental-{size}.json"
        out_file.write_text(json.dumps(result, indent=2, default=str))
        result["written_to"] = str(out_file)
    return result


def print_incremental(result: dict) -> None:
    print(f"\nincremental ({result['size']}): {result['split']['night_events']:,} new web events "
          f"({result['split']['late_events']:,} of them late) added to {result['split']['web_events'] - result['split']['night_events']:,}")
    for name, r in result["runs"].items():
        print(f"  {name:32s} {r['wall_s']:8.1f} s   peak {r['peak_rss_mb']:.0f} MB")
        for st in r["steps"]:
            if st.get("reported_s") is not None:
                print(f"      {st['step'][:70]:70s} {st['reported_s']:.1f} s")
        for st in r.get("run_steps", []):
            print(f"      run_steps: {st['step']:8s} {str(st['model'] or ''):32s} {st['detail'][:40]:40s} {st['seconds']:7.2f} s")
    row = result["nightly_run_row"]
    print(f"  nightly / full rebuild: {result['ratio']:.1%}; customers rebuilt {row.get('customers_rebuilt')} "
          f"of {row.get('customers')}; refresh {row.get('refresh')} ({row.get('refresh_reason') or 'exact'})")
    print(f"  tables equal to the full rebuild: {result['tables_equal']} {result['tables_differing'] or ''}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(SIZES), default="1m",
                   help="1m (default, ~47k customers), 10m (make bench-large), 100m (~4.7M customers; "
                        "needs a large machine), tiny (tests)")
    p.add_argument("--customers", type=int, help="override the number of customers for --size")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-peers", dest="peers", action="store_false",
                   help="skip retentioneering and PM4Py (the DuckDB floor and pandas still run)")
    p.add_argument("--cache", type=Path, help=f"data cache folder (default {cache_root()})")
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument("--peers-venv", type=Path, default=HERE / ".peers-venv")
    p.add_argument("--keep", action="store_true", help="keep the run's warehouse and exports")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per system before it is killed")
    p.add_argument("--peer-max-events", type=int, default=20_000_000,
                   help="skip retentioneering and PM4Py above this many events (they hold all in memory)")
    p.add_argument("--sources", choices=["all", "web"], default="all",
                   help="what journey run ingests: all generated sources (default: web, email, support, "
                        "CRM) or only the web events Parquet the baselines read")
    p.add_argument("--rss-cap-mb", type=float, help="kill a system above this RSS (default 80%% of RAM)")
    p.add_argument("--incremental", action="store_true",
                   help="instead: a nightly run adding 1%% new web events vs a --full-refresh rebuild (issue 11)")
    p.add_argument("--night-fraction", type=float, default=0.01,
                   help="with --incremental: the share of the web events held back and added by the night "
                        "(default 0.01; at 10M all sources 0.0153 of the web events is 1%% of all events)")
    p.add_argument("--memory-limit", help="[execution] memory_limit of the pipeline's run, e.g. 2GB "
                                          "(default: the config's machine-derived default)")
    a = p.parse_args(argv)
    if a.incremental:
        result = bench_incremental(a.size, a.customers, a.seed, a.cache, a.results_dir, a.night_fraction,
                                   timeout=a.timeout, keep=a.keep, memory_limit=a.memory_limit)
        print_incremental(result)
        if "written_to" in result:
            print(f"\nwritten to {result['written_to']}")
        return 0 if result["tables_equal"] else 1
    result = bench(a.size, a.customers, a.seed, a.peers, a.cache, a.results_dir, a.peers_venv, a.keep,
                   a.timeout, a.peer_max_events, a.rss_cap_mb, a.sources, a.memory_limit)
    gen = result["data"]
    print(f"\n{result['size']} (sources: {result['sources']}): {result['systems']['journey_mining'].get('events', 0):,} events, "
          f"{gen['customers']:,} generated customers, seed {gen['seed']} "
          f"(generated in {gen['generate_s']:.0f} s{', cached' if gen['cached'] else ''}); "
          f"{result['machine']['cpus']} CPUs, {peak_note(result['machine']['load_average_before'])} before, "
          f"{peak_note(result['machine']['load_average_after'])} after")
    print(table(result))
    if "written_to" in result:
        print(f"\nwritten to {result['written_to']}")
    ok = "error" not in result["systems"]["journey_mining"] and result["check"].get("equal")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
