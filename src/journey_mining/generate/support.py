"""Zendesk tickets and users."""

from __future__ import annotations

import numpy as np

from .parameters import (
    AGENT_REPLIES,
    AGENTS,
    CLOSING_ANGRY,
    CLOSING_CALM,
    CSAT_ANGRY,
    CSAT_BAD,
    CSAT_GOOD,
    DAY,
    EXTRA_TAGS,
    FOLLOWUPS_ANGRY,
    FOLLOWUPS_CALM,
    HOUR,
    INTERNAL_NOTES,
    PAY,
    PRODUCT_IDS,
    PRODUCT_NAMES,
    REQUESTS,
    SUPPORT,
    TICKET_TYPES,
    TOPICS,
    ZD_AGENT_BASE,
    ZD_GROUPS,
    ZD_HOST,
    ZD_USER_BASE,
)
from .util import iso1


def draw_tickets(rng, w: dict, summs: list[dict], p: dict, t0: int, t_end: int) -> tuple[list, list]:
    """Zendesk tickets: payment-step abandoners complain about checkout errors (angrily),
    buyers ask about shipping, returns and billing, and support-heavy people ask a lot."""
    persona, crm = w["persona"], w["in_crm"]
    cust_l, topic_l, t_l, prod_l, order_l = [], [], [], [], []

    def add(cust, topic, t, prod=None, order=None):
        cust_l.append(cust)
        topic_l.append(np.full(len(cust), TOPICS.index(topic)))
        t_l.append(t)
        prod_l.append(np.full(len(cust), -1) if prod is None else prod)
        order_l.append(np.full(len(cust), -1) if order is None else order)

    for s in summs:
        m = np.flatnonzero((s["last_state"] == PAY) & s["uid_end"] & crm[s["cust"]])
        m = m[rng.random(len(m)) < np.where(persona[s["cust"][m]] == SUPPORT, 0.6, 0.3)]
        add(s["cust"][m], "checkout_error", s["end"][m] + rng.integers(40 * 60, 6 * HOUR, len(m)))
    boost = np.where(p["persona"] == SUPPORT, 3.0, 1.0)
    for topic, prob, lo, hi in (("shipping", 0.06, 2, 8), ("returns", 0.04, 5, 15), ("billing", 0.03, 0.1, 3)):
        m = np.flatnonzero(rng.random(len(p["cust"])) < prob * boost)
        add(p["cust"][m], topic, p["t"][m] + (rng.uniform(lo, hi, len(m)) * DAY).astype(np.int64),
            p["product"][m], p["order_no"][m])
    k = rng.poisson(np.where(persona == SUPPORT, 0.9, 0.06)) * crm
    cust = np.repeat(np.arange(w["n"]), k)
    lo = np.maximum(np.maximum(w["first_seen"], w["signup_t"]), t0)[cust]
    t = lo + (rng.random(len(cust)) * np.maximum(t_end - lo, 1)).astype(np.int64)
    topic = np.where(rng.random(len(cust)) < 0.6, "product_question", "account")
    prod = rng.integers(0, len(PRODUCT_IDS), len(cust))
    for tp in ("product_question", "account"):
        m = topic == tp
        add(cust[m], tp, t[m], prod[m] if tp == "product_question" else None)

    cust = np.concatenate(cust_l)
    topic = np.concatenate(topic_l)
    created = np.concatenate(t_l)
    prod = np.concatenate(prod_l)
    order = np.concatenate(order_l)
    keep = created < t_end - 600
    o = np.lexsort((topic[keep], cust[keep], created[keep]))
    cust, topic, created, prod, order = (a[keep][o] for a in (cust, topic, created, prod, order))
    n = len(cust)
    ck = topic == 0
    # every random number drawn up front, vectorised
    d1 = np.clip(rng.exponential(np.where(ck, 14 * HOUR, 5 * HOUR)), 600, 20 * HOUR).astype(np.int64)
    follow = rng.random(n) < np.where(ck, 0.8, 0.35)
    d2 = np.clip(rng.exponential(6 * HOUR, n), 300, DAY).astype(np.int64)
    d3 = np.clip(rng.exponential(5 * HOUR, n), 600, 20 * HOUR).astype(np.int64)
    angry = ck & (rng.random(n) < 0.7)
    note = ck & (rng.random(n) < 0.5)
    u_status = rng.random(n)
    answered = rng.random(n) < np.where(ck, 0.75, 0.55)
    bad = rng.random(n) < np.where(ck, 0.85, np.where(persona[cust] == SUPPORT, 0.25, 0.1))
    has_comment = rng.random(n) < np.where(ck, 0.9, 0.6)
    d_rate = rng.integers(HOUR, 2 * DAY, n)
    via_email = rng.random(n) < 0.4
    pick = rng.integers(0, 1000, (n, 6))
    agent = rng.integers(0, len(AGENTS), n)
    prio_u = rng.random(n)
    extra_tag = rng.integers(-3, len(EXTRA_TAGS), n)

    requesters = np.unique(cust)
    guest = dict(zip(requesters.tolist(), (rng.random(len(requesters)) < 0.05).tolist(), strict=True))
    first_ticket: dict[int, int] = {}
    tickets = []
    for i in range(n):
        c = int(cust[i])
        tp = TOPICS[topic[i]]
        pk = pick[i]
        fill = {"product": PRODUCT_NAMES[prod[i]] if prod[i] >= 0 else "the item",
                "order": f"#{order[i]}" if order[i] >= 0 else "#(no order number)"}
        subject, description = (x.format(**fill) for x in REQUESTS[tp][pk[0] % len(REQUESTS[tp])])
        rid = ZD_USER_BASE + c
        aid = ZD_AGENT_BASE + int(agent[i]) + 1
        t_c = int(created[i])
        comments = [(rid, description, True, t_c)]
        t_r = t_c + int(d1[i])
        if note[i]:
            comments.append((aid, INTERNAL_NOTES[pk[2] % 2], False, t_r - 120))
        comments.append((aid, AGENT_REPLIES[tp][pk[3] % len(AGENT_REPLIES[tp])].format(**fill), True, t_r))
        if follow[i]:
            t_f = t_r + int(d2[i])
            body = FOLLOWUPS_ANGRY[pk[4] % 4] if angry[i] else FOLLOWUPS_CALM[pk[4] % 4]
            comments.append((rid, body, True, t_f))
            comments.append((aid, CLOSING_ANGRY if angry[i] else CLOSING_CALM, True, t_f + int(d3[i])))
        complete = all(cm[3] < t_end for cm in comments)
        comments = [cm for cm in comments if cm[3] < t_end]
        age = t_end - t_c
        if complete and age > 5 * DAY:
            status = "closed" if u_status[i] < 0.4 else "solved"
        elif complete and age > DAY and u_status[i] < 0.5:
            status = "solved"
        else:
            status = "pending" if u_status[i] < 0.4 else "open"
        updated = max(cm[3] for cm in comments)
        if status in ("solved", "closed"):
            if answered[i] and updated + int(d_rate[i]) < t_end:
                score = "bad" if bad[i] else "good"
                text = None
                if has_comment[i]:
                    pool = CSAT_GOOD if score == "good" else (CSAT_ANGRY if ck[i] else CSAT_BAD)
                    text = pool[pk[5] % len(pool)]
                updated = updated + int(d_rate[i])
                rating = {"id": 7_000_001 + i, "score": score, "comment": text}
            else:
                rating = {"id": 7_000_001 + i, "score": "offered", "comment": None}
        else:
            rating = {"id": None, "score": "unoffered", "comment": None}
        if ck[i]:
            priority = "urgent" if prio_u[i] < 0.2 else "high" if prio_u[i] < 0.7 else "normal"
        else:
            priority = "low" if prio_u[i] < 0.25 else "high" if prio_u[i] > 0.93 else "normal"
        email = w["email_zd"][c]
        via = ({"channel": "email", "source": {"from": {"address": email, "name": w["name"][c]},
                                                "to": {"address": "support@shop.example.com"}, "rel": None}}
               if via_email[i] else {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}})
        tags = [tp] + ([EXTRA_TAGS[extra_tag[i]]] if extra_tag[i] >= 0 else [])
        tid = 20_001 + i
        first_ticket.setdefault(c, t_c)
        tickets.append({
            "url": f"{ZD_HOST}/tickets/{tid}.json",
            "id": tid,
            "external_id": None,
            "via": via,
            "created_at": iso1(t_c),
            "updated_at": iso1(updated),
            "type": TICKET_TYPES[tp][pk[0] % len(TICKET_TYPES[tp])],
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "priority": priority,
            "status": status,
            "recipient": "support@shop.example.com",
            "requester_id": rid,
            "submitter_id": rid,
            "assignee_id": aid,
            "organization_id": None,
            "group_id": ZD_GROUPS[tp],
            "tags": tags,
            "satisfaction_rating": rating,
            "comments": [
                {"id": 41_000_000_000 + i * 10 + j, "type": "Comment", "author_id": a, "body": b,
                 "public": pub, "created_at": iso1(tc)}
                for j, (a, b, pub, tc) in enumerate(sorted(comments, key=lambda x: x[3]))
            ],
        })
    users = [
        {"id": ZD_AGENT_BASE + k + 1, "url": f"{ZD_HOST}/users/{ZD_AGENT_BASE + k + 1}.json", "name": nm,
         "email": f"{handle}@shop.example.com", "role": "agent", "external_id": None,
         "created_at": "2024-01-15T09:00:00Z"}
        for k, (nm, handle) in enumerate(AGENTS)
    ]
    for c, t_first in sorted(first_ticket.items()):
        uid = ZD_USER_BASE + c
        users.append({"id": uid, "url": f"{ZD_HOST}/users/{uid}.json", "name": w["name"][c],
                      "email": w["email_zd"][c], "role": "end-user",
                      "external_id": None if guest[c] else w["user_id"][c],
                      "created_at": iso1(t_first)})
    return tickets, users
