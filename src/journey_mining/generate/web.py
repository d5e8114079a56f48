"""Web sessions: Markov clickstreams for all sessions at once, logins and signups, newsletter
signups, purchases and what follows them (reviews, referrals, NPS answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .parameters import (
    ATC,
    BLOG,
    BLOG_SLUGS,
    DAY,
    DWELL_MEAN,
    DWELL_MEAN_RESEARCHER,
    E_ATC,
    E_CKSTART,
    E_CKSTEP,
    E_LOGIN,
    E_NEWS,
    E_NPS,
    E_PURCHASE,
    E_REFERRAL,
    E_REVIEW,
    E_SIGNUP,
    EMIT_N,
    EMIT_TYPE,
    EXIT,
    EXTRA_SESSIONS,
    GAP_DAYS,
    HELP,
    HELP_P,
    HOUR,
    IDENTIFY_P,
    LANDING,
    LATER_SOURCE,
    MAX_STEPS,
    N_STATES,
    NEVER_IDENTIFY,
    NEWSLETTER_P,
    NPS_P,
    NPS_SCORE_P,
    NPS_TEXT,
    PRICES,
    PRODUCT,
    PRODUCT_CATEGORY,
    PURCHASE,
    PV,
    REFERRAL_P,
    REFERRERS,
    RESEARCHER,
    REVIEW_P,
    REVIEW_SCORE_P,
    REVIEW_TEXT,
    SHIP,
    SUPPORT,
    TRANSITION_CDF,
    U_BLOG,
    U_HELP,
    U_LOGIN,
    U_NPS,
    U_ORDERS,
    U_PRODUCT,
    U_REFERRALS,
    U_SIGNUP,
    URLS,
    UTM,
    WINDOW,
)
from .util import choice, draw_products, group_starts, rows_choice, within


def walk(rng, persona: np.ndarray, landing: np.ndarray, cart0: np.ndarray, start: np.ndarray):
    """Markov clickstreams for many sessions at once.

    Returns records sorted by (session, step) with the state, the product involved, the
    order value of purchases and a timestamp, plus each session's cart value at its end.
    """
    n = len(landing)
    state = landing.astype(np.int64).copy()
    cur = np.full(n, -1, np.int32)
    last_added = np.full(n, -1, np.int32)
    cart = cart0.astype(np.float64).copy()
    active = np.arange(n)
    parts: list[tuple] = []
    for step in range(MAX_STEPS):
        s = state[active]
        m_prod = s == PRODUCT
        if m_prod.any():
            cur[active[m_prod]] = draw_products(rng, persona[active[m_prod]])
        m_atc = s == ATC
        if m_atc.any():
            idx = active[m_atc]
            none = idx[cur[idx] < 0]
            if len(none):
                cur[none] = draw_products(rng, persona[none])
            cart[idx] += PRICES[cur[idx]]
            last_added[idx] = cur[idx]
        prod = np.full(len(active), -1, np.int32)
        pm = m_prod | m_atc
        prod[pm] = cur[active[pm]]
        value = np.zeros(len(active))
        m_buy = s == PURCHASE
        if m_buy.any():
            idx = active[m_buy]
            empty = idx[cart[idx] <= 0]
            if len(empty):
                extra = draw_products(rng, persona[empty])
                cart[empty] = PRICES[extra]
                last_added[empty] = extra
            nolast = idx[last_added[idx] < 0]  # a cart carried over from a reminder email
            if len(nolast):
                last_added[nolast] = draw_products(rng, persona[nolast])
            value[m_buy] = cart[idx]
            prod[m_buy] = last_added[idx]
            cart[idx] = 0.0
            last_added[idx] = -1
        parts.append((active.copy(), np.full(len(active), step, np.int16), s.astype(np.int8), prod, value))
        if step == MAX_STEPS - 1:
            break
        nxt = rows_choice(rng, TRANSITION_CDF.reshape(-1, N_STATES), persona[active] * N_STATES + s)
        state[active] = nxt
        active = active[nxt != EXIT]
        if not len(active):
            break
    sess = np.concatenate([p[0] for p in parts])
    order = np.argsort(sess, kind="stable")
    rec = {
        "sess": sess[order],
        "step": np.concatenate([p[1] for p in parts])[order].astype(np.int64),
        "state": np.concatenate([p[2] for p in parts])[order].astype(np.int64),
        "product": np.concatenate([p[3] for p in parts])[order],
        "value": np.concatenate([p[4] for p in parts])[order],
    }
    mean = np.where((persona == RESEARCHER)[rec["sess"]], DWELL_MEAN_RESEARCHER[rec["state"]], DWELL_MEAN[rec["state"]])
    dwell = np.clip(rng.exponential(1.0, len(sess)) * mean, 4, 1200).astype(np.int64)
    counts = np.bincount(rec["sess"], minlength=n)
    csum = np.cumsum(dwell) - dwell
    first = group_starts(counts)
    rec["t"] = start[rec["sess"]] + csum - np.repeat(csum[first[counts > 0]], counts[counts > 0])
    rec["counts"] = counts
    rec["first"] = first
    return rec, cart


def _emit(rec: dict, mask: np.ndarray | None = None) -> dict:
    """Expand walk records into web events (a state can emit two events)."""
    idx = np.arange(len(rec["state"])) if mask is None else np.flatnonzero(mask)
    n_emit = EMIT_N[rec["state"][idx]]
    rep = np.repeat(idx, n_emit)
    k = within(n_emit)
    st = rec["state"][rep]
    return {"rec": rep, "etype": EMIT_TYPE[st, k], "t": rec["t"][rep] + k}



_WEB_DEFAULTS = {"cust": -1, "dev": -1, "uid": False, "t": 0, "etype": PV, "url": None,
                 "referrer": None, "utm_source": None, "utm_medium": None, "utm_campaign": None,
                 "revenue": np.nan, "score": np.nan, "text": None, "product": -1, "email": None,
                 "step": None}


class WebEvents:
    """Web event parts (column arrays), concatenated and sorted once at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **cols) -> None:
        unknown = set(cols) - set(_WEB_DEFAULTS)
        if unknown:
            raise KeyError(sorted(unknown))
        n = len(cols["t"])
        part = {}
        for k, default in _WEB_DEFAULTS.items():
            v = cols.get(k, default)
            if np.ndim(v) == 0:
                v = np.full(n, v, dtype=object if (v is None or isinstance(v, str)) else None)
            part[k] = np.asarray(v)
        self.parts.append(part)

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p[k] for p in self.parts]) for k in _WEB_DEFAULTS}



def organic_sessions(rng, w: dict, t_end: int) -> dict:
    n, persona = w["n"], w["persona"]
    n_s = 1 + rng.poisson(EXTRA_SESSIONS[persona])
    cust = np.repeat(np.arange(n), n_s)
    sidx = within(n_s)
    gap = np.where(sidx == 0, 0.0, 3 * HOUR + rng.exponential(1.0, len(cust)) * GAP_DAYS[persona[cust]] * DAY)
    csum = np.cumsum(gap)
    start = w["first_seen"][cust] + (csum - np.repeat(csum[group_starts(n_s)], n_s)).astype(np.int64)
    keep = start < t_end - 600
    cust, sidx, start = cust[keep], sidx[keep], start[keep]
    ns = len(cust)
    dev = ((sidx > 0) & (w["n_dev"][cust] == 2) & (rng.random(ns) < 0.4)).astype(np.int64)
    src = np.where(sidx == 0, w["first_source"][cust], choice(rng, LATER_SOURCE, ns))
    landing = rows_choice(rng, np.cumsum(LANDING, axis=1), src)
    # support-heavy people often come straight to the help centre
    to_help = (persona[cust] == SUPPORT) & np.isin(src, [0, 4]) & (rng.random(ns) < 0.4)
    landing[to_help] = HELP
    utm = [np.full(ns, None, dtype=object) for _ in range(3)]
    ref = np.full(ns, None, dtype=object)
    for s, choices in UTM.items():
        m = np.flatnonzero(src == s)
        pick = rng.integers(0, len(choices), len(m))
        for j in range(3):
            utm[j][m] = np.array([c[j] for c in choices], dtype=object)[pick]
    for s, refs in REFERRERS.items():
        m = np.flatnonzero(src == s)
        ref[m] = np.array(refs, dtype=object)[rng.integers(0, len(refs), len(m))]
    return {"cust": cust, "sidx": sidx, "start": start, "dev": dev, "src": src, "landing": landing,
            "persona": persona[cust], "utm_source": utm[0], "utm_medium": utm[1],
            "utm_campaign": utm[2], "referrer": ref}



# --------------------------------------------------------------------------- identity


def identify(rng, w: dict, org: dict, rec: dict, web: WebEvents) -> np.ndarray:
    """Logins and signups; returns the logged-in flag of every walk record.

    A device is anonymous until its login session: device 0 logs in at a persona-specific
    (geometric) session, device 1 in its first session for 70% of people, and checkout
    always needs a login. The first login of a person new this window is a `signup`.
    """
    n = w["n"]
    persona = w["persona"]
    ns = len(org["cust"])
    key = org["cust"] * 2 + org["dev"]
    dev_order = pd.Series(np.arange(ns)).groupby(key).cumcount().to_numpy()
    counts, first = rec["counts"], rec["first"]
    is_ship = rec["state"] == SHIP
    big = 1 << 30
    ship_step = np.full(ns, big, np.int64)
    np.minimum.at(ship_step, rec["sess"][is_ship], rec["step"][is_ship])
    has_ship = ship_step < big
    planned = np.full(2 * n, big, np.int64)
    never = rng.random(n) < NEVER_IDENTIFY[persona]
    planned[0::2] = np.where(never, big, rng.geometric(IDENTIFY_P[persona]) - 1)
    planned[1::2] = np.where((rng.random(n) < 0.7) & (persona != WINDOW), 0, big)
    pos = 1 + (rng.random(ns) * counts).astype(np.int64)  # login just before record `pos`
    pos = np.where(has_ship, np.minimum(pos, ship_step), pos)
    first_ck = np.full(2 * n, big, np.int64)
    np.minimum.at(first_ck, key[has_ship], dev_order[has_ship])
    id_order = np.minimum(planned, first_ck)
    # two shared-device households: B's second device is the cookie A logs in on; B logs in
    # on it right after landing
    on_dev = np.bincount(key, minlength=2 * n)
    sess_dev1 = np.flatnonzero((org["dev"] == 1) & (dev_order == 0))
    cand_b = org["cust"][sess_dev1]
    cand_b = cand_b[persona[cand_b] != WINDOW]
    pool_a = np.flatnonzero((id_order[0::2] < on_dev[0::2]) & (w["n_dev"] == 1))
    shared = []
    if len(cand_b) >= 2 and len(pool_a) >= 4:
        pick_b = np.sort(rng.choice(cand_b, 2, replace=False))
        pick_a = np.sort(rng.choice(np.setdiff1d(pool_a, pick_b), 2, replace=False))
        for a, b in zip(pick_a.tolist(), pick_b.tolist(), strict=True):
            w["anon"][2 * b + 1] = w["anon"][2 * a]
            w["dev_type"][2 * b + 1] = w["dev_type"][2 * a]
            id_order[2 * b + 1] = 0
            pos[sess_dev1[org["cust"][sess_dev1] == b]] = 1
            shared.append({"anonymous_id": w["anon"][2 * a], "owner": w["user_id"][a],
                           "also_used_by": w["user_id"][b]})
    w["shared"] = shared
    r_sess = rec["sess"]
    r_order = dev_order[r_sess]
    r_id = id_order[key[r_sess]]
    uid_rec = (r_order > r_id) | ((r_order == r_id) & (rec["step"] >= pos[r_sess]))
    ids = np.flatnonzero(dev_order == id_order[key])
    t_login = rec["t"][first[ids] + pos[ids] - 1] + 2
    cust_l = org["cust"][ids]
    order = np.lexsort((t_login, cust_l))
    ids, t_login, cust_l = ids[order], t_login[order], cust_l[order]
    first_of_cust = np.r_[True, cust_l[1:] != cust_l[:-1]] if len(ids) else np.zeros(0, bool)
    signup = first_of_cust & ~w["existing"][cust_l]
    signup_t = np.full(n, -1, np.int64)
    signup_t[cust_l[signup]] = t_login[signup]
    signup_dev = np.zeros(n, np.int64)
    signup_dev[cust_l[first_of_cust]] = org["dev"][ids[first_of_cust]]
    w["signup_t"] = signup_t
    w["signup_dev"] = signup_dev
    w["in_crm"] = w["existing"] | (signup_t >= 0)
    w["subscribed_t"] = np.where(w["existing"], w["signed_before"], signup_t)
    web.add(cust=cust_l, dev=2 * cust_l + org["dev"][ids], uid=np.ones(len(ids), bool), t=t_login,
            etype=np.where(signup, E_SIGNUP, E_LOGIN),
            url=URLS[np.where(signup, U_SIGNUP, U_LOGIN)],
            email=np.where(signup, w["email_web"][cust_l], None))
    return uid_rec


def add_walk_events(rng, web: WebEvents, sess: dict, rec: dict, uid_rec: np.ndarray) -> np.ndarray:
    """Turn walk records into web events; returns each session's landing URL."""
    ev = _emit(rec)
    r = ev["rec"]
    s_of = rec["sess"][r]
    st = rec["state"][r]
    cust = sess["cust"][s_of]
    prod = rec["product"][r]
    url_code = st.copy()
    url_code[prod >= 0] = U_PRODUCT + prod[prod >= 0]
    url_code[st == PURCHASE] = PURCHASE
    m_blog = st == BLOG
    url_code[m_blog] = U_BLOG + rng.integers(0, len(BLOG_SLUGS), int(m_blog.sum()))
    m_help = st == HELP
    url_code[m_help] = U_HELP + choice(rng, HELP_P, int(m_help.sum()))
    url = URLS[url_code]
    landing = np.flatnonzero(rec["step"][r] == 0)  # every landing state emits one page view
    cols = {}
    for c in ("utm_source", "utm_medium", "utm_campaign", "referrer"):
        cols[c] = np.full(len(r), None, dtype=object)
        cols[c][landing] = sess[c][s_of[landing]]
    tagged = landing[cols["utm_source"][landing] != None]  # noqa: E711 (object array)
    url[tagged] = [
        f"{u}?utm_source={a}&utm_medium={b}&utm_campaign={c}"
        for u, a, b, c in zip(url[tagged], cols["utm_source"][tagged], cols["utm_medium"][tagged],
                              cols["utm_campaign"][tagged], strict=True)
    ]
    step = np.full(len(r), None, dtype=object)
    step[ev["etype"] == E_CKSTART] = "shipping"
    step[ev["etype"] == E_CKSTEP] = "payment"
    revenue = np.where(ev["etype"] == E_PURCHASE, np.round(rec["value"][r], 2), np.nan)
    web.add(cust=cust, dev=2 * cust + sess["dev"][s_of], uid=uid_rec[r], t=ev["t"],
            etype=ev["etype"], url=url, revenue=revenue, step=step,
            product=np.where(np.isin(ev["etype"], [PV, E_ATC, E_PURCHASE]), prod, -1), **cols)
    out = np.empty(len(sess["cust"]), dtype=object)
    out[s_of[landing]] = url[landing]
    return out


def newsletter_signups(rng, w: dict, org: dict, rec: dict, web: WebEvents) -> None:
    """Some window shoppers leave their email on a blog post: email + cookie, no account."""
    idx = np.flatnonzero((rec["state"] == BLOG) & (org["persona"][rec["sess"]] == WINDOW))
    cust = org["cust"][rec["sess"][idx]]
    _, first = np.unique(cust, return_index=True)
    idx, cust = idx[first], cust[first]
    keep = rng.random(len(idx)) < NEWSLETTER_P
    idx, cust = idx[keep], cust[keep]
    t = rec["t"][idx] + 3
    w["news_t"][cust] = t
    w["news_dev"] = np.zeros(w["n"], np.int64)
    w["news_dev"][cust] = org["dev"][rec["sess"][idx]]
    web.add(cust=cust, dev=2 * cust + org["dev"][rec["sess"][idx]], uid=np.zeros(len(idx), bool),
            t=t, etype=np.full(len(idx), E_NEWS), url=URLS[U_BLOG + rng.integers(0, len(BLOG_SLUGS), len(idx))],
            email=w["email_web"][cust])


def session_summary(sess: dict, rec: dict, uid_rec: np.ndarray) -> dict:
    counts, first = rec["counts"], rec["first"]
    has = counts > 0
    last = first + counts - 1
    ns = len(counts)

    def any_state(state: int) -> np.ndarray:
        out = np.zeros(ns, bool)
        out[rec["sess"][rec["state"] == state]] = True
        return out

    last_state = np.where(has, rec["state"][np.minimum(last, len(rec["t"]) - 1)], EXIT)
    return {
        "cust": sess["cust"],
        "end": np.where(has, rec["t"][np.minimum(last, len(rec["t"]) - 1)], 0),
        "last_state": last_state,
        "atc": any_state(ATC),
        "bought": any_state(PURCHASE),
        "uid_end": np.where(has, uid_rec[np.minimum(last, len(rec["t"]) - 1)], False),
        "cart_end": sess["cart_end"],
    }



# --------------------------------------------------------------------------- after purchase


def collect_purchases(org: dict, rec: dict, clicks: dict, crec: dict) -> dict:
    out = {}
    for k in ("cust", "t", "product", "value", "persona"):
        vals = []
        for sess, r in ((org, rec), (clicks, crec)):
            m = r["state"] == PURCHASE
            if k in ("cust", "persona"):
                vals.append(sess[k][r["sess"][m]])
            else:
                vals.append(r[k][m])
        out[k] = np.concatenate(vals)
    o = np.lexsort((out["cust"], out["t"]))
    out = {k: v[o] for k, v in out.items()}
    out["order_no"] = np.arange(len(o)) + 100_001
    return out



def post_purchase(rng, w: dict, p: dict, web: WebEvents) -> None:
    """Reviews, referrals and NPS answers in short account sessions after purchases."""
    cust, persona = p["cust"], p["persona"]
    n = len(cust)
    dev = 2 * cust + w["signup_dev"][cust]
    # reviews
    m = np.flatnonzero(rng.random(n) < REVIEW_P[persona])
    t = p["t"][m] + (rng.uniform(2, 12, len(m)) * DAY).astype(np.int64)
    prod = p["product"][m]
    score = 1 + rows_choice(rng, np.cumsum(REVIEW_SCORE_P, axis=1), PRODUCT_CATEGORY[prod])
    pick = rng.integers(0, 3, len(m))
    text = np.array([REVIEW_TEXT[s][k] for s, k in zip(score.tolist(), pick.tolist(), strict=True)], dtype=object)
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t, etype=np.full(len(m), PV),
            url=np.full(len(m), URLS[U_ORDERS], dtype=object))
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t + rng.integers(40, 300, len(m)),
            etype=np.full(len(m), E_REVIEW), url=URLS[U_PRODUCT + prod], product=prod,
            score=score.astype(float), text=text)
    # referrals
    m = np.flatnonzero(rng.random(n) < REFERRAL_P[persona])
    t = p["t"][m] + (rng.uniform(1, 20, len(m)) * DAY).astype(np.int64)
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t, etype=np.full(len(m), PV),
            url=np.full(len(m), URLS[U_REFERRALS], dtype=object))
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t + rng.integers(30, 120, len(m)),
            etype=np.full(len(m), E_REFERRAL), url=np.full(len(m), URLS[U_REFERRALS], dtype=object))
    # NPS survey after a customer's first purchase
    first = np.r_[True, np.zeros(0, bool)]
    _, first = np.unique(cust, return_index=True)
    m = first[rng.random(len(first)) < NPS_P[persona[first]]]
    t = p["t"][m] + (rng.uniform(7, 20, len(m)) * DAY).astype(np.int64)
    score = rows_choice(rng, np.cumsum(NPS_SCORE_P / NPS_SCORE_P.sum(1, keepdims=True), axis=1), persona[m])
    group = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    pick = rng.integers(0, 3, len(m))
    text = np.array([NPS_TEXT[g][k] or None for g, k in zip(group.tolist(), pick.tolist(), strict=True)], dtype=object)
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t, etype=np.full(len(m), E_NPS),
            url=np.full(len(m), URLS[U_NPS], dtype=object), score=score.astype(float), text=text)
