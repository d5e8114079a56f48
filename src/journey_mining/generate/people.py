"""The simulated people: persona, devices, emails (with messy spellings), CRM attributes."""

from __future__ import annotations

import numpy as np

from .parameters import (
    COMPANY_DOMAINS,
    CONSUMER_DOMAINS,
    COUNTRY_P,
    DAY,
    DESKTOP,
    EXISTING,
    FIRST_NAMES,
    FIRST_SOURCE,
    HOUR,
    HOUR_W,
    LAST_NAMES,
    OPT_IN,
    PERSONA_MIX,
    SEGMENT_P,
    TWO_DEVICES,
)
from .util import choice, hex_ids, rows_choice


def draw_people(rng, n: int, t0: int, days: int) -> dict:
    persona = choice(rng, PERSONA_MIX, n)
    first_day = np.floor(rng.random(n) * days * 0.85)
    hour = choice(rng, HOUR_W, n)
    first_seen = t0 + (first_day * DAY + hour * HOUR + rng.integers(0, HOUR, n)).astype(np.int64)
    n_dev = 1 + (rng.random(n) < TWO_DEVICES[persona])
    desktop = rng.random(n) < DESKTOP[persona]
    existing = rng.random(n) < EXISTING[persona]
    signed_before = t0 - (rng.integers(20, 900, n) * DAY + rng.integers(0, DAY, n))
    segment = rows_choice(rng, np.cumsum(SEGMENT_P, axis=1), persona)
    country = choice(rng, COUNTRY_P, n)
    first_source = rows_choice(rng, np.cumsum(FIRST_SOURCE, axis=1), persona)
    fn = rng.integers(0, len(FIRST_NAMES), n)
    ln = rng.integers(0, len(LAST_NAMES), n)
    dom_c = rng.integers(0, len(CONSUMER_DOMAINS), n)
    dom_b = rng.integers(0, len(COMPANY_DOMAINS), n)
    opt_in = rng.random(n) < OPT_IN[persona]
    # email spellings per source: 0 as in the CRM, 1 Mixed.Case, 2 UPPER, 3 padded with spaces
    var_web = choice(rng, [0.88, 0.06, 0.02, 0.04], n)
    var_sg = choice(rng, [0.94, 0.05, 0.01, 0.0], n)
    var_zd = choice(rng, [0.85, 0.08, 0.03, 0.04], n)
    variants: list[list[str]] = [[], [], [], []]
    names = []
    for i in range(n):
        f, last = FIRST_NAMES[fn[i]], LAST_NAMES[ln[i]]
        dom = CONSUMER_DOMAINS[dom_c[i]] if segment[i] == 0 else COMPANY_DOMAINS[dom_b[i]]
        e = f"{f.lower()}.{last.lower()}{i + 1}@{dom}"
        names.append(f"{f} {last}")
        variants[0].append(e)
        variants[1].append(f"{f}.{last}{i + 1}@{dom.capitalize()}")
        variants[2].append(e.upper())
        variants[3].append(f" {e}  ")
    var_tab = np.array(variants, dtype=object)
    idx = np.arange(n)
    dev_type = np.empty(2 * n, dtype=object)
    dev_type[0::2] = np.where(desktop, "desktop", "mobile")
    dev_type[1::2] = np.where(desktop, "mobile", np.where(rng.random(n) < 0.5, "desktop", "tablet"))
    return {
        "n": n,
        "persona": persona,
        "first_seen": first_seen,
        "n_dev": n_dev,
        "existing": existing,
        "signed_before": signed_before,
        "segment": segment,
        "country": country,
        "first_source": first_source,
        "opt_in": opt_in,
        "email": var_tab[0],
        "name": np.array(names, dtype=object),
        "email_web": var_tab[var_web, idx],
        "email_sg": var_tab[var_sg, idx],
        "email_zd": var_tab[var_zd, idx],
        # anonymous ids of device 0 and device 1 of every customer (2i, 2i+1)
        "anon": np.array(hex_ids(rng, 2 * n), dtype=object),
        "dev_type": dev_type,
        "user_id": np.array([f"cust_{i + 1:06d}" for i in range(n)], dtype=object),
        "shared": [],
        "news_t": np.full(n, -1, np.int64),
    }
