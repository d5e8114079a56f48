"""``generate()``: one simulation run, people -> web -> email -> support, then the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .email import click_sessions, draw_emails
from .parameters import DAY, FORMATS
from .people import draw_people
from .support import draw_tickets
from .web import (
    WebEvents,
    add_walk_events,
    collect_purchases,
    identify,
    newsletter_signups,
    organic_sessions,
    post_purchase,
    session_summary,
    walk,
)
from .writers import (
    config_text,
    write_profiles,
    write_sendgrid,
    write_web,
    write_zendesk,
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
    w = draw_people(rng, customers, t0, days)
    web = WebEvents()
    org = organic_sessions(rng, w, t_end)
    rec, org["cart_end"] = walk(rng, org["persona"], org["landing"], np.zeros(len(org["cust"])), org["start"])
    uid_rec = identify(rng, w, org, rec, web)
    add_walk_events(rng, web, org, rec, uid_rec)
    newsletter_signups(rng, w, org, rec, web)
    org_sum = session_summary(org, rec, uid_rec)
    mail = draw_emails(rng, w, org, rec, org_sum, t0, t_end)
    clicks = click_sessions(rng, w, mail, t_end)
    crec, clicks["cart_end"] = walk(rng, clicks["persona"], clicks["landing"], clicks["cart0"], clicks["start"])
    c_uid = w["in_crm"][clicks["cust"]][crec["sess"]]
    landing_urls = add_walk_events(rng, web, clicks, crec, c_uid)
    mail["url"][clicks["event_row"]] = landing_urls
    click_sum = session_summary(clicks, crec, c_uid)
    purchases = collect_purchases(org, rec, clicks, crec)
    post_purchase(rng, w, purchases, web)
    tickets, users = draw_tickets(rng, w, [org_sum, click_sum], purchases, t0, t_end)

    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    counts.update(write_web(web.frame(), w, out_dir, t_end, fmt))
    counts.update(write_sendgrid(mail, w, out_dir))
    counts.update(write_zendesk(tickets, users, out_dir))
    counts.update(write_profiles(rng, w, org, out_dir))
    cfg = out_dir / "journey.toml"
    if not cfg.exists():
        cfg.write_text(config_text(fmt), encoding="utf-8")
    return counts
