"""Write the simulated data in the vendors' file formats (web CSV/Parquet, SendGrid JSON,
Zendesk export, CRM CSV) and the config over them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import sample_config_path
from .parameters import (
    CAMPAIGN_NAMES,
    CAMPAIGNS,
    CATEGORIES,
    COUNTRIES,
    COUNTRY_P,
    DAY,
    ETYPES,
    FIRST_NAMES,
    LAST_NAMES,
    PERSONAS,
    PRODUCT_CATEGORY,
    PRODUCT_IDS,
    SEGMENTS,
    SG_EVENTS,
    SIGNUP_CHANNEL,
    SITE,
    USERAGENTS,
    WEB_COLUMNS,
)
from .util import choice, iso


def _strings(values: np.ndarray, fmt: str) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    ok = ~np.isnan(values)
    out[ok] = [fmt % v for v in values[ok].tolist()]
    return out


def _write_csv(cols: dict, names: tuple[str, ...], path: Path) -> None:
    """CSV with a header, quotes only where needed, empty fields for missing values."""
    frame = pd.DataFrame({c: np.asarray(cols[c], dtype=object) for c in names})
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _month(t: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(t.astype("datetime64[s]").astype("datetime64[M]"), unit="M")


def write_web(f: dict, w: dict, out_dir: Path, t_end: int, fmt: str) -> dict:
    keep = f["t"] < t_end
    f = {k: v[keep] for k, v in f.items()}
    o = np.lexsort((np.arange(len(f["t"])), f["cust"], f["t"]))
    f = {k: v[o] for k, v in f.items()}
    n = len(f["t"])
    prod = f["product"]
    has_p = prod >= 0
    cols = {
        "event_id": np.array([f"evt_{i:08d}" for i in range(1, n + 1)], dtype=object),
        "anonymous_id": w["anon"][f["dev"]],
        "user_id": np.where(f["uid"], w["user_id"][f["cust"]], None),
        "email": f["email"],
        "event_type": np.array(ETYPES, dtype=object)[f["etype"]],
        "occurred_at": iso(f["t"]),
        "url": f["url"],
        "referrer": f["referrer"],
        "utm_source": f["utm_source"],
        "utm_medium": f["utm_medium"],
        "utm_campaign": f["utm_campaign"],
        "revenue": _strings(f["revenue"], "%.2f") if fmt == "sample" else f["revenue"],
        "score": _strings(f["score"], "%.0f") if fmt == "sample" else f["score"],
        "text": f["text"],
        "product_id": np.where(has_p, np.array(PRODUCT_IDS, dtype=object)[np.maximum(prod, 0)], None),
        "category": np.where(has_p, np.array(CATEGORIES, dtype=object)[PRODUCT_CATEGORY[np.maximum(prod, 0)]], None),
        "device": w["dev_type"][f["dev"]],
        "step": f["step"],
    }
    months = _month(f["t"])
    (out_dir / "web").mkdir(parents=True, exist_ok=True)
    counts = {}
    for k, month in enumerate(np.unique(months)):
        sel = np.flatnonzero(months == month)
        part = {c: v[sel] for c, v in cols.items()}
        if fmt == "sample" and k == 0:
            part = _with_bad_rows(part)
        if fmt == "sample":
            name = f"web/events_{month}.csv"
            _write_csv(part, WEB_COLUMNS, out_dir / name)
        else:
            name = f"web/events_{month}.parquet"
            table = pa.table({c: pa.array(part[c], type=pa.float64() if c in ("revenue", "score") else pa.string())
                              for c in WEB_COLUMNS})
            pq.write_table(table, out_dir / name, compression="zstd")
        counts[name] = len(sel) + (len(BAD_ROWS) + 1 if fmt == "sample" and k == 0 else 0)
    return counts


# Deliberately bad rows in the first month's web CSV (fmt="sample"): each must be
# quarantined with the reason given here; plus one exact duplicate of a purchase row.
BAD_ROWS = (
    ("evt_bad_0001", "unparseable timestamp", {"occurred_at": "2026-09-31T25:61:00Z"}),
    ("evt_bad_0002", "no identifier", {"anonymous_id": None, "user_id": None, "email": None}),
    ("evt_bad_0003", "non-numeric revenue", {"event_type": "purchase", "revenue": "49.99 EUR",
                                             "url": f"{SITE}/checkout/confirmation"}),
    ("evt_bad_0004", "missing event_type", {"event_type": None}),
)


def _with_bad_rows(part: dict) -> dict:
    """Insert BAD_ROWS (copies of page views, then broken) and duplicate one purchase row."""
    n = len(part["event_id"])
    rows = {c: list(v) for c, v in part.items()}
    pv = np.flatnonzero(part["event_type"] == "page_view")
    pv = pv if len(pv) else np.arange(n)
    buys = np.flatnonzero(part["event_type"] == "purchase")
    inserts = []  # (position, row)
    for k, (eid, _, override) in enumerate(BAD_ROWS):
        src = int(pv[min(np.searchsorted(pv, (k + 1) * n // (len(BAD_ROWS) + 1)), len(pv) - 1)])
        row = {c: part[c][src] for c in part}
        row.update({"event_id": eid, "revenue": None, "score": None, "text": None, "step": None,
                    "referrer": None, "utm_source": None, "utm_medium": None, "utm_campaign": None})
        row.update(override)
        inserts.append((src + 1, row))
    if len(buys):
        b = int(buys[len(buys) // 2])
        inserts.append((b + 1, {c: part[c][b] for c in part}))
    for pos, row in sorted(inserts, key=lambda x: -x[0]):
        for c in rows:
            rows[c].insert(pos, row[c])
    return {c: np.array(v, dtype=object) for c, v in rows.items()}


def write_sendgrid(mail: dict, w: dict, out_dir: Path) -> dict:
    e_msg, e_kind, e_t = mail["e_msg"], mail["e_kind"], mail["e_t"]
    cust = mail["cust"][e_msg]
    camp = mail["camp"][e_msg]
    email = w["email_sg"][cust]
    user = np.where(w["in_crm"][cust], w["user_id"][cust], None)
    wstep = mail["wstep"][e_msg]
    msg_id = mail["msg_id"]
    url = mail["url"]
    months = _month(e_t)
    (out_dir / "email").mkdir(parents=True, exist_ok=True)
    counts = {}
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for month in np.unique(months):
        lines = []
        for i in np.flatnonzero(months == month).tolist():
            m = int(e_msg[i])
            name = CAMPAIGN_NAMES[camp[i]]
            spec = CAMPAIGNS[name]
            kind = SG_EVENTS[e_kind[i]]
            ev = {"email": email[i], "timestamp": int(e_t[i]), "event": kind,
                  "category": [spec["category"], f"welcome_{wstep[i]}" if wstep[i] else name],
                  "sg_event_id": mail["event_id"][i],
                  "sg_message_id": f"{msg_id[m]}.filter0001.{m}.0"}
            if kind == "delivered":
                ev["response"] = "250 OK"
            elif kind == "bounce":
                ev.update({"smtp-id": f"<{msg_id[m]}@ismtpd0001p1lon1.sendgrid.net>",
                           "type": "bounce", "status": "5.1.1", "bounce_classification": "Invalid Address",
                           "reason": "550 5.1.1 The email account that you tried to reach does not exist."})
            elif kind in ("open", "click"):
                ev.update({"useragent": USERAGENTS[mail["ua"][i]],
                           "ip": "203.0.{}.{}".format(*mail["ip"][i].tolist())})
                if kind == "open":
                    ev["sg_machine_open"] = False
                else:
                    link = url[i] or (f"{SITE}/?utm_source=newsletter&utm_medium=email&utm_campaign={name}")
                    ev.update({"url": link, "url_offset": {"index": 0, "type": "html"}})
            ev["marketing_campaign_name"] = name
            if user[i] is not None:
                ev["user_id"] = user[i]
            lines.append(dumps(ev))
        name = f"email/sendgrid_{month}.json"
        (out_dir / name).write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
        counts[name] = len(lines)
    return counts


def write_zendesk(tickets: list, users: list, out_dir: Path) -> dict:
    (out_dir / "support").mkdir(parents=True, exist_ok=True)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = ('{"tickets":[\n' + ",\n".join(dumps(t) for t in tickets) + '\n],\n"users":[\n'
            + ",\n".join(dumps(u) for u in users) + "\n]}\n")
    name = "support/zendesk_tickets.json"
    (out_dir / name).write_text(text, encoding="utf-8")
    return {name: len(tickets)}


PROFILE_COLUMNS = ("user_id", "email", "persona", "segment", "country", "signup_channel",
                   "signed_up_at", "marketing_opt_in")


def write_profiles(rng, w: dict, org: dict, out_dir: Path) -> dict:
    """The CRM: everyone with an account, plus a few lapsed accounts with no events at all."""
    c = np.flatnonzero(w["in_crm"])
    n = w["n"]
    old_channel = np.array(("store", "organic_search", "referral", "direct"), dtype=object)
    channel = np.where(w["existing"][c], old_channel[rng.integers(0, 4, len(c))],
                       np.array(SIGNUP_CHANNEL, dtype=object)[w["first_source"][c]])
    lapsed = max(1, round(0.02 * n))
    lid = np.arange(n, n + lapsed)
    fn = rng.integers(0, len(FIRST_NAMES), lapsed)
    ln = rng.integers(0, len(LAST_NAMES), lapsed)
    frame = {
        "user_id": np.concatenate([w["user_id"][c], [f"cust_{i + 1:06d}" for i in lid]]),
        "email": np.concatenate([w["email"][c], [f"{FIRST_NAMES[a].lower()}.{LAST_NAMES[b].lower()}{i + 1}@example.com"
                                                for a, b, i in zip(fn, ln, lid, strict=True)]]),
        "persona": np.concatenate([np.array(PERSONAS, dtype=object)[w["persona"][c]], ["lapsed"] * lapsed]),
        "segment": np.concatenate([np.array(SEGMENTS, dtype=object)[w["segment"][c]], ["consumer"] * lapsed]),
        "country": np.array(COUNTRIES, dtype=object)[np.concatenate([w["country"][c], choice(rng, COUNTRY_P, lapsed)])],
        "signup_channel": np.concatenate([channel, old_channel[rng.integers(0, 4, lapsed)]]),
        "signed_up_at": iso(np.concatenate([w["subscribed_t"][c],
                                             w["signed_before"][:lapsed] - 400 * DAY])),
        "marketing_opt_in": np.concatenate([np.where(w["opt_in"][c], "true", "false"), ["false"] * lapsed]),
    }
    (out_dir / "customers").mkdir(parents=True, exist_ok=True)
    name = "customers/profiles.csv"
    _write_csv(frame, PROFILE_COLUMNS, out_dir / name)
    return {name: len(c) + lapsed}


# =========================================================================== config

_WEB_CSV = 'path = "web/*.csv"'
_WEB_PARQUET = 'path = "web/*.parquet"'


def config_text(fmt: str = "sample") -> str:
    """The ``journey.toml`` written next to generated data.

    One template: the bundled sample's own ``data/sample/journey.toml`` (package data, see
    :func:`journey_mining.config.sample_config_path`); ``fmt="bench"`` reads the web events
    as Parquet instead of CSV::

        >>> config_text() == sample_config_path().read_text(encoding="utf-8")
        True
        >>> 'path = "web/*.parquet"' in config_text("bench")
        True
    """
    text = sample_config_path().read_text(encoding="utf-8")
    if fmt == "sample":
        return text
    if text.count(_WEB_CSV) != 1:
        raise ValueError(f"{sample_config_path()}: expected one `{_WEB_CSV}` line to template")
    return text.replace(_WEB_CSV, _WEB_PARQUET)
