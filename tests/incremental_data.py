"""Several nights of hand-built canonical CSV for the incremental tests (tests/test_incremental.py):
late events, anonymous visitors who log in weeks later, e-mails that join cookie clusters,
a shared device, re-delivered event ids, a changed file and a deleted file."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

CONFIG = """
[warehouse]
path = "out/journeys.duckdb"

[export]
parquet_dir = "out/parquet"
report = "out/report.html"

[sessions]
timeout_minutes = 30

[stages]
order = ["awareness", "consideration", "decision", "purchase", "retention"]
conversion = "purchase"

[[stages.rules]]
stage = "retention"
event_type = "purchase"
after = "purchase"

[[stages.rules]]
stage = "purchase"
event_type = "purchase"

[[stages.rules]]
stage = "decision"
event_type = ["add_to_cart", "checkout_*"]

[[stages.rules]]
stage = "consideration"
event_type = "page_view"
match = { url = "*/pricing*" }

[[stages.rules]]
stage = "awareness"
event_type = "email_open"

[[sources]]
name = "web"
channel = "web"
path = "web/*.csv"

[[sources]]
name = "mail"
channel = "email"
path = "mail/*.csv"
{keep}

[[sources]]
name = "crm"
format = "customers"
path = "crm/*.csv"
"""

FIELDS = ["event_id", "event_type", "occurred_at", "user_id", "anonymous_id", "email", "url", "revenue", "text"]
START = datetime(2026, 9, 1, tzinfo=UTC)
TYPES = ["page_view", "page_view", "page_view", "add_to_cart", "checkout_started", "purchase"]
URLS = ["https://shop.example/", "https://shop.example/pricing", "https://shop.example/p/1", "https://shop.example/help"]


def write_config(root: Path, *, keep_deleted: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for d in ("web", "mail", "crm"):
        (root / d).mkdir(exist_ok=True)
    path = root / "journey.toml"
    path.write_text(CONFIG.replace("{keep}", "keep_deleted_files = true" if keep_deleted else ""), encoding="utf-8")
    with open(root / "crm" / "profiles.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "email", "segment"])
        for i in range(0, 40, 3):
            w.writerow([f"u{i:03d}", f"p{i}@example.com", "gold" if i % 2 else "basic"])
    return path


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FIELDS})


class Nights:
    """Night n adds web/night-n.csv and mail/night-n.csv: that day's events plus late ones
    (up to three weeks old). People: cookie visitors, some of whom log in (user_id) or give
    an e-mail later; one cookie shared by two users; re-delivered event ids."""

    def __init__(self, seed: int = 11, people: int = 300, per_night: int = 80):
        self.rng = random.Random(seed)
        self.people, self.per_night, self.counter = people, per_night, 0
        self.logged_in: set[int] = set()

    def _event(self, night: int, late: bool) -> dict:
        rng = self.rng
        p = rng.randrange(self.people)
        day = night * 7 - (rng.randrange(1, 21) if late else 0)
        at = START + timedelta(days=max(day, 0), minutes=rng.randrange(0, 600), seconds=rng.randrange(60))
        self.counter += 1
        r = {"event_id": f"e{self.counter:06d}", "event_type": rng.choice(TYPES), "occurred_at": at.isoformat(),
             "anonymous_id": f"c{p:03d}", "url": rng.choice(URLS)}
        if p % 5 == 1:
            r["anonymous_id"] = f"c{p:03d}-{rng.randrange(2)}"  # two cookies
        if p in self.logged_in or (night >= 2 and p % 4 == 0 and rng.random() < 0.3):
            self.logged_in.add(p)
            r["user_id"] = f"u{p:03d}"
        if p == 7 and rng.random() < 0.5:
            r["user_id"] = rng.choice(["u007", "u900"])  # a shared device
        if r["event_type"] == "purchase":
            r["revenue"] = f"{rng.randrange(10, 200)}.5"
        return r

    def night(self, n: int) -> tuple[list[dict], list[dict]]:
        """(web rows, mail rows) of night n."""
        rng = self.rng
        web = [self._event(n, late=rng.random() < 0.15) for _ in range(self.per_night)]
        mail = []
        for _ in range(self.per_night // 4):
            p = rng.randrange(self.people)
            self.counter += 1
            at = START + timedelta(days=n * 7 - rng.randrange(0, 10), hours=rng.randrange(24))
            mail.append({"event_id": f"m{self.counter:06d}", "event_type": rng.choice(["email_open", "email_click"]),
                         "occurred_at": at.isoformat(), "email": f"p{p}@example.com"})
            if rng.random() < 0.3:  # the visitor gives the e-mail on the site: the cookie joins it
                web.append({**self._event(n, late=False), "anonymous_id": f"c{p:03d}", "email": f"p{p}@example.com"})
        if n >= 2 and web:  # a re-delivered event of an earlier night (same id, same content)
            web.append(dict(self.redelivered))
        if web:
            self.redelivered = dict(web[0])
        return web, mail


def run_logs() -> tuple[str, ...]:
    """The tables each run appends a row to (runs, run_sources, metric_history, ...): declared
    ``write="append"`` in the registry; they grow by design, so comparisons leave them out."""
    from journey_mining.tables import TABLES

    return tuple(t.name for t in TABLES.values() if t.write == "append")


def table_hashes(warehouse: Path, exclude: tuple[str, ...] | None = None) -> dict[str, tuple[int, int]]:
    """(rows, order-independent content hash) of every table but the run logs, without the
    columns that name the run that first saw a row (they differ between two warehouses built
    by different runs)."""
    exclude = run_logs() if exclude is None else exclude
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = sorted(r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall())
        out = {}
        for n in names:
            if n in exclude:
                continue
            drop = {"quarantine": " exclude (run_id)", "input_files": " exclude (first_run_id)"}.get(n, "")
            out[n] = con.execute(
                f'select count(*), coalesce(sum(hash(t)::hugeint), 0) from (select *{drop} from "{n}") t'
            ).fetchone()
        return out
    finally:
        con.close()
