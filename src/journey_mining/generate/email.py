"""SendGrid messages and webhook events; email clicks open web sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .parameters import CAMPAIGN_NAMES, CAMPAIGNS, CLICK_MULT, DAY, HOUR, OPEN_MULT, USERAGENTS
from .util import b64_ids


def draw_emails(rng, w: dict, org: dict, rec: dict, summ: dict, t0: int, t_end: int) -> dict:
    """SendGrid messages and their webhook events, with unsubscribes suppressing later mail."""
    n = w["n"]
    mailable = w["in_crm"] & w["opt_in"]
    subscribed = np.where(mailable, w["subscribed_t"], -1)
    news = w["news_t"] >= 0
    cust_l, camp_l, send_l, wstep_l, cart_l = [], [], [], [], []

    def add(cust, name, send, wstep=0, cart=None):
        cust_l.append(np.asarray(cust, np.int64))
        camp_l.append(np.full(len(cust), CAMPAIGN_NAMES.index(name)))
        send_l.append(np.asarray(send, np.int64))
        wstep_l.append(np.full(len(cust), wstep))
        cart_l.append(np.zeros(len(cust)) if cart is None else cart)

    new = np.flatnonzero(mailable & ~w["existing"])
    for k, off in enumerate(CAMPAIGNS["welcome_series"]["offsets"]):
        # the first mail waits for the account confirmation: 45-90 min after signup
        add(new, "welcome_series", w["signup_t"][new] + off + rng.integers(0, 45 * 60, len(new)), k + 1)
    # last organic web activity, for the win-back selection
    for name, spec in CAMPAIGNS.items():
        if spec["kind"] not in ("broadcast", "winback"):
            continue
        for off in spec["offsets"]:
            send = t0 + int(off * DAY)
            if send >= t_end:
                continue
            ok = (mailable & (subscribed < send)) | (news & (w["news_t"] < send))
            if spec["kind"] == "winback":
                before = rec["t"] < send
                last = np.full(n, -1, np.int64)
                np.maximum.at(last, org["cust"][rec["sess"][before]], rec["t"][before])
                ok = mailable & (subscribed < send) & (last < send - 21 * DAY)
            who = np.flatnonzero(ok)
            add(who, name, send + rng.integers(0, 900, len(who)))
    # cart reminders: a logged-in session with an add to cart and no purchase
    ab = np.flatnonzero(summ["atc"] & ~summ["bought"] & summ["uid_end"] & mailable[summ["cust"]])
    send = summ["end"][ab] + CAMPAIGNS["cart_reminder"]["offsets"][0] + rng.integers(0, 600, len(ab))
    frame = pd.DataFrame({"c": summ["cust"][ab], "d": send // DAY, "i": np.arange(len(ab))})
    first = frame.drop_duplicates(["c", "d"])["i"].to_numpy()
    ab = ab[first]
    add(summ["cust"][ab], "cart_reminder", send[first], cart=summ["cart_end"][ab])

    cust = np.concatenate(cust_l)
    camp = np.concatenate(camp_l)
    send = np.concatenate(send_l)
    wstep = np.concatenate(wstep_l)
    cart = np.concatenate(cart_l)
    o = np.lexsort((cust, send))
    cust, camp, send, wstep, cart = cust[o], camp[o], send[o], wstep[o], cart[o]
    m = len(cust)
    spec = [CAMPAIGNS[c] for c in CAMPAIGN_NAMES]
    p_open = np.array([s["open"] for s in spec])[camp] * OPEN_MULT[w["persona"][cust]]
    p_click = np.array([s["click"] for s in spec])[camp] * CLICK_MULT[w["persona"][cust]]
    p_unsub = np.array([s["unsub"] for s in spec])[camp]
    p_spam = np.array([s["spam"] for s in spec])[camp]
    bounce = rng.random(m) < 0.01
    opened = ~bounce & (rng.random(m) < np.minimum(p_open, 0.95))
    clicked = opened & (rng.random(m) < np.minimum(p_click, 0.95))
    unsub = opened & (rng.random(m) < p_unsub)
    spam = ~bounce & ~unsub & (rng.random(m) < p_spam)
    t_deliv = send + rng.integers(1, 60, m)
    t_bounce = send + rng.integers(1, 30, m)
    t_open = t_deliv + np.clip(rng.exponential(3 * HOUR, m), 30, 3 * DAY).astype(np.int64)
    t_click = t_open + rng.integers(5, 600, m)
    t_unsub = np.where(clicked, t_click, t_open) + rng.integers(10, 900, m)
    t_spam = t_deliv + np.clip(rng.exponential(6 * HOUR, m), 60, 3 * DAY).astype(np.int64)
    big = np.iinfo(np.int64).max
    stop = np.minimum.reduce([np.where(bounce, t_bounce, big), np.where(unsub, t_unsub, big),
                              np.where(spam, t_spam, big)])
    supp = np.full(n, big, np.int64)
    np.minimum.at(supp, cust, stop)
    keep = send <= supp[cust]  # nothing is sent to an address after it unsubscribed/bounced
    msg = np.flatnonzero(keep)
    rows = [
        (msg, 0, send[msg]),
        (msg[~bounce[msg]], 1, t_deliv[msg][~bounce[msg]]),
        (msg[bounce[msg]], 2, t_bounce[msg][bounce[msg]]),
        (msg[opened[msg]], 3, t_open[msg][opened[msg]]),
        (msg[clicked[msg]], 4, t_click[msg][clicked[msg]]),
        (msg[unsub[msg]], 5, t_unsub[msg][unsub[msg]]),
        (msg[spam[msg]], 6, t_spam[msg][spam[msg]]),
    ]
    e_msg = np.concatenate([r[0] for r in rows])
    e_kind = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    e_t = np.concatenate([r[2] for r in rows])
    inside = e_t < t_end
    e_msg, e_kind, e_t = e_msg[inside], e_kind[inside], e_t[inside]
    o = np.lexsort((e_kind, e_msg, e_t))
    e_msg, e_kind, e_t = e_msg[o], e_kind[o], e_t[o]
    url = np.full(len(e_t), None, dtype=object)
    return {"cust": cust, "camp": camp, "send": send, "wstep": wstep, "cart": cart,
            "msg_id": b64_ids(rng, m), "e_msg": e_msg, "e_kind": e_kind, "e_t": e_t,
            "event_id": b64_ids(rng, len(e_t)), "url": url,
            "ua": rng.integers(0, len(USERAGENTS), len(e_t)), "ip": rng.integers(1, 254, (len(e_t), 2))}


def click_sessions(rng, w: dict, mail: dict, t_end: int) -> dict:
    """Every email click opens a web session on the reader's device, tagged with the campaign."""
    row = np.flatnonzero((mail["e_kind"] == 4) & (mail["e_t"] < t_end - 60))
    msg = mail["e_msg"][row]
    cust = mail["cust"][msg]
    camp = mail["camp"][msg]
    landing = np.array([CAMPAIGNS[c]["landing"] for c in CAMPAIGN_NAMES])[camp]
    dev = np.where(w["in_crm"][cust], w["signup_dev"][cust], w.get("news_dev", np.zeros(w["n"], np.int64))[cust])
    names = np.array(CAMPAIGN_NAMES, dtype=object)
    n = len(row)
    return {"cust": cust, "dev": dev, "persona": w["persona"][cust], "landing": landing,
            "start": mail["e_t"][row] + rng.integers(3, 30, n), "cart0": mail["cart"][msg],
            "utm_source": np.full(n, "newsletter", dtype=object),
            "utm_medium": np.full(n, "email", dtype=object), "utm_campaign": names[camp],
            "referrer": np.full(n, None, dtype=object), "event_row": row}
