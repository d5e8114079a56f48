"""``generate()``: one simulation run, people -> web -> email -> support, then the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .email import _click_sessions, _emails
from .parameters import DAY, FORMATS
from .people import _people
from .support import _tickets
from .web import (
    _add_walk_events,
    _identify,
    _newsletter_signups,
    _organic_sessions,
    _post_purchase,
    _purchases,
    _session_summary,
    _walk,
    _Web,
)
from .writers import (
    _write_profiles,
    _write_sendgrid,
    _write_web,
    _write_zendesk,
    config_text,
)


def generate(
    out_dir: Path,
    customers: int = 3000,
    seed: int = 7,
    start: str = "2026-09-01",
    days: int = 61,
    fmt: str = "sample",
) -> dict:
    """Write a synthetic journey data set to ``out_dir``; return ``{relative file: records}``.

    ``customers`` people over ``days`` days from ``start`` (UTC midnight). Deterministic for
    its arguments: the same call writes byte-identical files. ``fmt="sample"`` writes web
    CSVs with a few deliberately bad rows; ``fmt="bench"`` writes web Parquet without them.
    A ``journey.toml`` over the files is written only when ``out_dir`` has none.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be at least 1")
    out_dir = Path(out_dir)
    rng = np.random.default_rng([int(seed), int(customers), int(days)])
    t0 = int(np.datetime64(start, "s").astype(np.int64))
    t_end = t0 + days * DAY
    w = _people(rng, customers, t0, days)
    web = _Web()
    org = _organic_sessions(rng, w, t_end)
    rec, org["cart_end"] = _walk(rng, org["persona"], org["landing"], np.zeros(len(org["cust"])), org["start"])
    uid_rec = _identify(rng, w, org, rec, web)
    _add_walk_events(rng, web, org, rec, uid_rec)
    _newsletter_signups(rng, w, org, rec, web)
    org_sum = _session_summary(org, rec, uid_rec)
    mail = _emails(rng, w, org, rec, org_sum, t0, t_end)
    clicks = _click_sessions(rng, w, mail, t_end)
    crec, clicks["cart_end"] = _walk(rng, clicks["persona"], clicks["landing"], clicks["cart0"], clicks["start"])
    c_uid = w["in_crm"][clicks["cust"]][crec["sess"]]
    landing_urls = _add_walk_events(rng, web, clicks, crec, c_uid)
    mail["url"][clicks["event_row"]] = landing_urls
    click_sum = _session_summary(clicks, crec, c_uid)
    purchases = _purchases(org, rec, clicks, crec)
    _post_purchase(rng, w, purchases, web)
    tickets, users = _tickets(rng, w, [org_sum, click_sum], purchases, t0, t_end)

    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    counts.update(_write_web(web.frame(), w, out_dir, t_end, fmt))
    counts.update(_write_sendgrid(mail, w, out_dir))
    counts.update(_write_zendesk(tickets, users, out_dir))
    counts.update(_write_profiles(rng, w, org, out_dir))
    cfg = out_dir / "journey.toml"
    if not cfg.exists():
        cfg.write_text(config_text(fmt), encoding="utf-8")
    return counts
