"""Realistic synthetic journey data: web events, SendGrid webhooks, Zendesk tickets, a CRM.

``generate(out_dir, customers=3000, seed=7)`` writes the sample under ``data/sample/``
(``journey generate --customers 3000 --seed 7 --out data/sample``); docs/sample-data.md
describes every file, persona and planted pain point.

Everything is vectorised with numpy: customers are rows of arrays, their web sessions are
rows repeated per customer, and a session's clickstream is a Markov walk over page states
advanced one step at a time *for all sessions at once* (persona-specific transition
matrices, sampled with one uniform draw per active session). Only the few thousand support
tickets and the JSON serialisation touch Python objects one by one. The output depends on
nothing but the arguments: the same call writes byte-identical files, and ``fmt="bench"``
holds the same data as ``fmt="sample"``. 50,000 customers (~1M events) take ~12 s.

Layout written to ``out_dir`` (``fmt="sample"``)::

    web/events_YYYY-MM.csv        canonical `events` layout, one file per month (+ bad rows)
    email/sendgrid_YYYY-MM.json   SendGrid Event Webhook arrays, one file per month
    support/zendesk_tickets.json  Zendesk export: {"tickets": [...], "users": [...]}
    customers/profiles.csv        the CRM (`customers` format)
    journey.toml                  a config over those files (only when absent)

``fmt="bench"`` writes the web events as Parquet (``web/events_YYYY-MM.parquet``, same
columns) and leaves out the deliberately bad rows; the other files are the same.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "BAD_ROWS",
    "FORMATS",
    "PERSONAS",
    "CAMPAIGNS",
    "TOPICS",
    "WEB_COLUMNS",
    "SAMPLE_CONFIG",
    "BENCH_CONFIG",
    "add_generate_arguments",
    "generate",
    "generate_from_args",
]

FORMATS = ("sample", "bench")
SITE = "https://shop.example.com"
DAY = 86_400
HOUR = 3_600

# --------------------------------------------------------------------------- personas

PERSONAS = (
    "bargain_hunter",
    "researcher",
    "loyal_fan",
    "impulse_buyer",
    "support_heavy",
    "window_shopper",  # never logs in: anonymous visitors, not in the CRM
)
BARGAIN, RESEARCHER, LOYAL, IMPULSE, SUPPORT, WINDOW = range(len(PERSONAS))
PERSONA_MIX = np.array([0.22, 0.18, 0.15, 0.17, 0.12, 0.16])


def _by_persona(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


EXTRA_SESSIONS = _by_persona(3.0, 4.4, 4.6, 1.0, 3.0, 0.6)  # Poisson mean of sessions after the first
GAP_DAYS = _by_persona(5.0, 3.5, 5.0, 8.0, 4.5, 7.0)  # mean gap between sessions
TWO_DEVICES = _by_persona(0.20, 0.30, 0.35, 0.10, 0.20, 0.0)
EXISTING = _by_persona(0.05, 0.05, 0.80, 0.05, 0.30, 0.0)  # had an account before the window
NEVER_IDENTIFY = _by_persona(0.06, 0.10, 0.0, 0.05, 0.0, 1.0)  # unless they check out
IDENTIFY_P = _by_persona(0.50, 0.35, 0.85, 0.70, 0.70, 0.5)  # geometric: session of first login
DESKTOP = _by_persona(0.40, 0.80, 0.50, 0.20, 0.50, 0.40)
OPT_IN = _by_persona(0.75, 0.55, 0.80, 0.45, 0.60, 0.0)
OPEN_MULT = _by_persona(1.3, 0.9, 1.4, 0.7, 0.9, 0.8)
CLICK_MULT = _by_persona(1.5, 0.8, 1.3, 1.0, 0.7, 0.8)
REVIEW_P = _by_persona(0.15, 0.30, 0.50, 0.10, 0.25, 0.0)
NPS_P = _by_persona(0.25, 0.30, 0.45, 0.15, 0.40, 0.0)
REFERRAL_P = _by_persona(0.03, 0.05, 0.35, 0.05, 0.0, 0.0)
NEWSLETTER_P = 0.25  # window shoppers who subscribe on a blog page (email, no account)

# traffic sources: organic, paid_search, paid_social, affiliate, direct
SOURCES = ("organic", "paid_search", "paid_social", "affiliate", "direct")
FIRST_SOURCE = np.array(
    [
        [0.20, 0.30, 0.20, 0.25, 0.05],
        [0.55, 0.20, 0.05, 0.10, 0.10],
        [0.20, 0.10, 0.05, 0.05, 0.60],
        [0.10, 0.25, 0.55, 0.05, 0.05],
        [0.30, 0.20, 0.10, 0.05, 0.35],
        [0.45, 0.20, 0.20, 0.05, 0.10],
    ]
)
LATER_SOURCE = np.array([0.30, 0.10, 0.05, 0.05, 0.50])
SIGNUP_CHANNEL = ("organic_search", "paid_search", "paid_social", "affiliate", "direct")

# --------------------------------------------------------------------------- site

STATES = ("home", "blog", "product", "pricing", "compare", "help", "add_to_cart", "cart",
          "shipping", "payment", "purchase", "account", "exit")
HOME, BLOG, PRODUCT, PRICING, COMPARE, HELP, ATC, CART, SHIP, PAY, PURCHASE, ACCOUNT, EXIT = range(13)
N_STATES = len(STATES)
MAX_STEPS = 40

# landing state by traffic source (rows: SOURCES)
LANDING = np.zeros((len(SOURCES), N_STATES))
LANDING[0, [HOME, BLOG, PRODUCT, PRICING, HELP]] = [0.30, 0.35, 0.25, 0.05, 0.05]
LANDING[1, [HOME, PRODUCT, PRICING]] = [0.30, 0.60, 0.10]
LANDING[2, [HOME, PRODUCT]] = [0.15, 0.85]
LANDING[3, [PRODUCT, BLOG, COMPARE]] = [0.70, 0.10, 0.20]
LANDING[4, [HOME, PRODUCT, ACCOUNT, CART, HELP]] = [0.60, 0.15, 0.10, 0.05, 0.10]

_BASE_ROWS = {
    HOME: {BLOG: .08, PRODUCT: .42, PRICING: .08, COMPARE: .03, HELP: .04, CART: .02, ACCOUNT: .05, EXIT: .28},
    BLOG: {HOME: .08, BLOG: .12, PRODUCT: .25, PRICING: .05, EXIT: .50},
    PRODUCT: {HOME: .04, PRODUCT: .28, PRICING: .04, COMPARE: .05, HELP: .02, ATC: .25, EXIT: .32},
    PRICING: {PRODUCT: .25, COMPARE: .15, HOME: .05, HELP: .03, EXIT: .52},
    COMPARE: {PRODUCT: .35, PRICING: .12, ATC: .08, EXIT: .45},
    HELP: {HELP: .18, HOME: .08, PRODUCT: .08, ACCOUNT: .06, EXIT: .60},
    ATC: {CART: .62, PRODUCT: .25, EXIT: .13},
    CART: {SHIP: .62, PRODUCT: .13, EXIT: .25},
    # PLANTED: the shipping step loses ~10% of sessions, the payment step ~45%.
    SHIP: {PAY: .84, CART: .06, EXIT: .10},
    PAY: {PURCHASE: .52, SHIP: .03, EXIT: .45},
    PURCHASE: {ACCOUNT: .15, PRODUCT: .08, HOME: .04, EXIT: .73},
    ACCOUNT: {HOME: .08, PRODUCT: .12, HELP: .08, ACCOUNT: .10, EXIT: .62},
    EXIT: {EXIT: 1.0},
}
_PERSONA_ROWS: dict[int, dict[int, dict[int, float]]] = {
    BARGAIN: {
        PRODUCT: {PRODUCT: .38, ATC: .25, EXIT: .26},
        CART: {SHIP: .40, PRODUCT: .15, EXIT: .45},
        PAY: {PURCHASE: .48, SHIP: .02, EXIT: .50},
    },
    RESEARCHER: {
        HOME: {PRICING: .20, BLOG: .15, PRODUCT: .30, EXIT: .22},
        PRODUCT: {ATC: .12, COMPARE: .12, PRICING: .10, EXIT: .30},
        # PLANTED: the /pricing <-> /compare loop
        PRICING: {COMPARE: .62, PRODUCT: .13, HOME: .02, HELP: .03, EXIT: .20},
        COMPARE: {PRICING: .56, PRODUCT: .22, ATC: .05, EXIT: .17},
    },
    LOYAL: {
        HOME: {ACCOUNT: .10, PRODUCT: .50, EXIT: .20},
        PRODUCT: {ATC: .30, EXIT: .30},
        CART: {SHIP: .70, PRODUCT: .15, EXIT: .15},
        PAY: {PURCHASE: .60, SHIP: .02, EXIT: .38},
    },
    IMPULSE: {
        PRODUCT: {ATC: .38, PRODUCT: .15, EXIT: .36},
        ATC: {CART: .75, PRODUCT: .15, EXIT: .10},
        CART: {SHIP: .70, PRODUCT: .10, EXIT: .20},
        PAY: {PURCHASE: .55, SHIP: .02, EXIT: .43},
    },
    SUPPORT: {
        HOME: {HELP: .20, ACCOUNT: .10},
        HELP: {HELP: .25, ACCOUNT: .12, EXIT: .48},
        ACCOUNT: {HELP: .20, EXIT: .52},
    },
    WINDOW: {
        PRODUCT: {ATC: .10, EXIT: .45},
        ATC: {CART: .45, PRODUCT: .35, EXIT: .20},
        CART: {SHIP: 0.0, PRODUCT: .30, EXIT: .70},
    },
}


def _transition_cdf() -> np.ndarray:
    """Cumulative transition probabilities, shape (persona, state, next state)."""
    out = np.zeros((len(PERSONAS), N_STATES, N_STATES))
    for p in range(len(PERSONAS)):
        for s in range(N_STATES):
            row = dict(_BASE_ROWS[s])
            row.update(_PERSONA_ROWS.get(p, {}).get(s, {}))
            vec = np.zeros(N_STATES)
            for k, v in row.items():
                vec[k] = v
            out[p, s] = np.cumsum(vec / vec.sum())
    out[..., -1] = 1.0
    return out


TRANSITION_CDF = _transition_cdf()
# seconds spent on a state before the next one (exponential mean), by state
DWELL_MEAN = np.array([30, 150, 50, 80, 90, 70, 8, 30, 60, 70, 20, 40, 0], dtype=np.float64)
DWELL_MEAN_RESEARCHER = DWELL_MEAN * np.array([1, 1.3, 1.3, 1.6, 1.6, 1, 1, 1, 1, 1, 1, 1, 1])

# events each state emits: (event_type, seconds after the state's time)
ETYPES = ("page_view", "add_to_cart", "checkout_started", "checkout_step", "purchase", "login",
          "signup", "review_submitted", "referral_sent", "nps_response", "newsletter_signup")
PV, E_ATC, E_CKSTART, E_CKSTEP, E_PURCHASE, E_LOGIN, E_SIGNUP, E_REVIEW, E_REFERRAL, E_NPS, E_NEWS = range(len(ETYPES))
EMIT_N = np.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 0])
EMIT_TYPE = np.full((N_STATES, 2), PV)
EMIT_TYPE[ATC, 0] = E_ATC
EMIT_TYPE[SHIP] = [E_CKSTART, PV]
EMIT_TYPE[PAY] = [E_CKSTEP, PV]
EMIT_TYPE[PURCHASE, 0] = E_PURCHASE

CATEGORIES = ("apparel", "footwear", "electronics", "home", "accessories")
PER_CATEGORY = 8
PRODUCT_IDS = tuple(f"P{1001 + i}" for i in range(len(CATEGORIES) * PER_CATEGORY))
PRODUCT_CATEGORY = np.repeat(np.arange(len(CATEGORIES)), PER_CATEGORY)
_CAT_BASE = np.array([39.0, 79.0, 149.0, 59.0, 24.0])
PRICES = np.round(_CAT_BASE[PRODUCT_CATEGORY] * (0.7 + 0.1 * (np.arange(len(PRODUCT_IDS)) % PER_CATEGORY))) - 0.01
CATEGORY_PREF = np.cumsum(
    np.array(
        [
            [0.30, 0.25, 0.15, 0.15, 0.15],
            [0.10, 0.10, 0.50, 0.20, 0.10],
            [0.30, 0.30, 0.10, 0.10, 0.20],
            [0.30, 0.25, 0.10, 0.10, 0.25],
            [0.20, 0.20, 0.30, 0.20, 0.10],
            [0.25, 0.20, 0.25, 0.15, 0.15],
        ]
    ),
    axis=1,
)
# PLANTED: footwear reviews are poor (mean ~2.2 stars), everything else ~4.1
REVIEW_SCORE_P = np.array([[0.03, 0.05, 0.12, 0.35, 0.45]] * len(CATEGORIES))
REVIEW_SCORE_P[CATEGORIES.index("footwear")] = [0.35, 0.30, 0.15, 0.12, 0.08]

BLOG_SLUGS = ("autumn-style-guide", "best-running-shoes-2026", "how-to-choose-headphones",
              "home-office-setup", "leather-care", "gift-ideas-under-50", "sustainable-fabrics",
              "smart-home-basics", "weekend-packing-list", "sneaker-cleaning-tips")
HELP_SLUGS = ("shipping-times", "returns-policy", "payment-failed", "track-my-order",
              "change-password", "size-guide", "warranty", "contact-us")
HELP_P = np.array([0.20, 0.15, 0.12, 0.18, 0.08, 0.12, 0.08, 0.07])
FIXED_PATHS = {HOME: "/", PRICING: "/pricing", COMPARE: "/compare", CART: "/cart",
               SHIP: "/checkout/shipping", PAY: "/checkout/payment",
               PURCHASE: "/checkout/confirmation", ACCOUNT: "/account"}
# one table of every page URL: fixed paths, then products, blog posts, help articles
URLS = np.array(
    [SITE + FIXED_PATHS.get(s, "") for s in range(N_STATES)]
    + [f"{SITE}/products/{p}" for p in PRODUCT_IDS]
    + [f"{SITE}/blog/{b}" for b in BLOG_SLUGS]
    + [f"{SITE}/help/{h}" for h in HELP_SLUGS]
    + [f"{SITE}/login", f"{SITE}/signup", f"{SITE}/account/orders", f"{SITE}/account/referrals",
       f"{SITE}/survey/nps"],
    dtype=object,
)
U_PRODUCT = N_STATES
U_BLOG = U_PRODUCT + len(PRODUCT_IDS)
U_HELP = U_BLOG + len(BLOG_SLUGS)
U_LOGIN, U_SIGNUP, U_ORDERS, U_REFERRALS, U_NPS = range(U_HELP + len(HELP_SLUGS), len(URLS))

WEB_COLUMNS = ("event_id", "anonymous_id", "user_id", "email", "event_type", "occurred_at", "url",
               "referrer", "utm_source", "utm_medium", "utm_campaign", "revenue", "score", "text",
               "product_id", "category", "device", "step")

# utm values / referrers by traffic source: (utm_source, utm_medium, utm_campaign) choices
_UTM = {
    1: [("google", "cpc", "brand_search"), ("google", "cpc", "shopping_autumn"), ("bing", "cpc", "shopping_autumn")],
    2: [("facebook", "paid_social", "autumn_lookbook"), ("instagram", "paid_social", "autumn_lookbook")],
    3: [("dealfinder", "affiliate", "partner_q3"), ("gadgetblog", "affiliate", "partner_q3")],
}
_REFERRER = {
    0: ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/"],
    1: ["https://www.google.com/", "https://www.google.com/", "https://www.bing.com/"],
    2: ["https://www.facebook.com/", "https://l.instagram.com/"],
    3: ["https://www.dealfinder.example/deals/autumn", "https://gadgetblog.example/best-picks"],
}

# --------------------------------------------------------------------------- email

# name, kind, open rate, click|open, unsubscribe|open, spamreport|delivered, landing state,
# day offsets (broadcasts, from `start`) or seconds after the trigger (triggered mails)
CAMPAIGNS = {
    "welcome_series": dict(kind="welcome", open=0.55, click=0.35, unsub=0.01, spam=0.0005,
                           landing=HOME, offsets=(45 * 60, 3 * DAY), category="welcome"),
    "autumn_sale": dict(kind="broadcast", open=0.30, click=0.30, unsub=0.012, spam=0.001,
                        landing=PRODUCT, offsets=(9 + 9 / 24,), category="promo"),
    # PLANTED: a daily blast two days running: ~7% of delivered mails unsubscribe
    "daily_deals_blast": dict(kind="broadcast", open=0.22, click=0.15, unsub=0.30, spam=0.012,
                              landing=PRODUCT, offsets=(23 + 7 / 24, 24 + 7 / 24),
                              category="promo"),
    "new_arrivals": dict(kind="broadcast", open=0.28, click=0.25, unsub=0.01, spam=0.001,
                         landing=PRODUCT, offsets=(37 + 10 / 24,), category="newsletter"),
    "winback_october": dict(kind="winback", open=0.20, click=0.25, unsub=0.03, spam=0.002,
                            landing=HOME, offsets=(44 + 10 / 24,), category="winback"),
    "halloween_promo": dict(kind="broadcast", open=0.27, click=0.30, unsub=0.012, spam=0.001,
                            landing=PRODUCT, offsets=(51 + 9 / 24,), category="promo"),
    "cart_reminder": dict(kind="cart", open=0.45, click=0.40, unsub=0.008, spam=0.0005,
                          landing=CART, offsets=(3 * HOUR,), category="transactional"),
}
CAMPAIGN_NAMES = tuple(CAMPAIGNS)
SG_EVENTS = ("processed", "delivered", "bounce", "open", "click", "unsubscribe", "spamreport")
_USERAGENTS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X)",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/139.0",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
               "Mozilla/5.0 (Linux; Android 15) Chrome/139.0 Mobile")

# --------------------------------------------------------------------------- people

FIRST_NAMES = ("Maria", "James", "Sofia", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Mia", "Ethan",
               "Ava", "Mateo", "Isla", "Leon", "Chloe", "Hugo", "Nora", "Finn", "Lena", "Omar",
               "Aisha", "Ravi", "Yuki", "Chen", "Zoe", "Ivan", "Elena", "Jonas", "Amara", "Tom")
LAST_NAMES = ("Garcia", "Smith", "Muller", "Jansen", "Rossi", "Dubois", "Kowalski", "Nguyen", "Brown",
              "Silva", "Novak", "Larsen", "Okafor", "Patel", "Tanaka", "Wong", "Berg", "Costa",
              "Meyer", "Visser", "Khan", "Lopez", "Moreau", "Fischer", "Evans")
CONSUMER_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
COMPANY_DOMAINS = ("acme.example", "globex.example", "initech.example", "umbrella.example", "hooli.example")
SEGMENTS = ("consumer", "smb", "enterprise")
SEGMENT_P = np.array([[0.85, 0.12, 0.03], [0.55, 0.30, 0.15], [0.80, 0.15, 0.05],
                      [0.90, 0.08, 0.02], [0.70, 0.22, 0.08], [0.85, 0.12, 0.03]])
COUNTRIES = ("US", "GB", "DE", "NL", "FR", "CA", "ES", "AU")
COUNTRY_P = np.array([0.34, 0.16, 0.14, 0.09, 0.08, 0.08, 0.06, 0.05])
# hour-of-day (UTC) weights for the first visit
HOUR_W = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 5, 5, 5, 6, 7, 8, 8, 7, 4, 2], dtype=float)

# --------------------------------------------------------------------------- support

TOPICS = ("checkout_error", "shipping", "returns", "billing", "product_question", "account")
# (subject, description) per topic; the description is also the ticket's first comment
_REQUESTS = {
    "checkout_error": (
        ("Payment keeps failing at checkout",
         "I tried to pay for my order three times and every time the payment page shows 'Something went wrong'. My card works everywhere else."),
        ("Card declined but money was taken?",
         "After entering my card details the page just spins and then sends me back to the cart. Was I charged?"),
        ("Error on the payment page",
         "Payment page throws an error when I click Pay. I tried two different cards. Please fix this, I need the item this week."),
        ("Can't complete my order", "I can't get past the payment step, the Pay button does nothing."),
    ),
    "shipping": (
        ("Where is my order?", "Can you tell me where order {order} is? It's been a week."),
        ("Delivery is late", "My order {order} was supposed to arrive yesterday and the tracking hasn't moved in four days."),
        ("Tracking number not working", "The tracking link for order {order} gives an error."),
    ),
    "returns": (
        ("Return label request", "I'd like to return {product} from order {order}. How do I get a return label?"),
        ("Refund not received yet", "I sent {product} back two weeks ago and still have no refund."),
        ("Wrong size, I want to exchange", "{product} from order {order} is too small. Can I exchange it for a bigger size?"),
    ),
    "billing": (
        ("Charged twice for one order", "I see two charges on my card for order {order}. Please refund the duplicate."),
        ("Need an invoice with our VAT number", "Could you send an invoice for order {order} with our company VAT number?"),
        ("Discount code not applied", "My 10% code wasn't applied to order {order}. Can you refund the difference?"),
    ),
    "product_question": (
        ("Warranty on {product}?", "Does {product} come with a warranty, and is it compatible with the older model?"),
        ("Size advice for {product}", "I'm between two sizes for {product}. Which one would you recommend?"),
        ("When is {product} back in stock?", "{product} has been sold out for a while. Any news on a restock?"),
    ),
    "account": (
        ("Can't log in", "I can't log in even after resetting my password twice."),
        ("Password reset email never arrives", "I requested a password reset three times and got no email."),
        ("Change my email address", "Please change the email on my account, I no longer use the old one."),
    ),
}
_AGENT_REPLIES = {
    "checkout_error": (
        "Sorry about that! Our payment provider had intermittent errors. Could you try again and let us know if it still fails?",
        "Thanks for reporting this. No charge went through on our side; any pending amount will be released by your bank in a few days.",
    ),
    "shipping": ("Thanks for waiting! Your parcel is with the carrier and should arrive within two working days.",
                 "I checked with the carrier: order {order} is out for delivery today."),
    "returns": ("Here is your prepaid return label. Refunds are processed within 5 working days of receipt.",
                "Your refund for {product} was issued today; it can take 3-5 days to show."),
    "billing": ("I've refunded the duplicate charge, sorry for the trouble.",
                "Attached is the invoice with your VAT number."),
    "product_question": ("{product} has a 2-year warranty and works with the previous model.",
                         "Most customers take their usual size in {product}."),
    "account": ("I've reset your login; please try again with the link I just sent.",
                "Done, your email address has been updated."),
}
_CLOSING_CALM = "Glad to hear it! I'll close this ticket, have a great day."
_CLOSING_ANGRY = "I'm very sorry. I've escalated this to our payments team and released the pending charge."
_FOLLOWUPS_CALM = ("Thanks, that worked.", "Great, thank you for the quick help!",
                   "OK, I'll wait a couple more days.", "Got it, thanks.")
_FOLLOWUPS_ANGRY = ("It failed AGAIN. This is the third time. I've lost a whole evening on this.",
                    "Your 'try again' advice is useless, the payment page is still broken.",
                    "I was charged and have no order confirmation. I want my money back now.",
                    "Unbelievable. I'll buy it somewhere else.")
_INTERNAL_NOTES = ("Escalated to payments team: PSP returns 502 on 3-D Secure callback.",
                   "Known issue INC-2291 (payment step timeout), linking ticket.")
_CSAT_GOOD = ("Quick and friendly, thanks!", "Solved in one reply.", "Very helpful agent.", "Great service")
_CSAT_BAD = ("Slow answer and the problem is still there.", "Didn't solve anything.",
             "Had to ask twice.")
_CSAT_ANGRY = ("Checkout is broken and nobody cares. Gave up and bought elsewhere.",
               "Three failed payments and a copy-paste answer. Terrible.",
               "Useless. Still no idea why my card was rejected.",
               "Worst checkout experience ever, never again.")
_AGENTS = (("Sam Support", "sam"), ("Priya Agent", "priya"), ("Jonas Helpdesk", "jonas"),
           ("Ana Care", "ana"), ("Kim Service", "kim"))

_REVIEW_TEXT = {
    1: ("Fell apart after two weeks, really disappointed", "Sizing is way off, sent it back",
        "Poor quality for the price"),
    2: ("Not great, the sole is already coming loose", "Uncomfortable, runs small", "Meh, expected more"),
    3: ("OK for the price", "Does the job, nothing special", "Decent but delivery took long"),
    4: ("Good quality, fits \"true to size\"", "Nice, would buy again", "Solid product, fast delivery"),
    5: ("Love it, perfect!", "Excellent quality, highly recommend", "Best purchase this year, 10/10"),
}
_NPS_TEXT = {
    "detractor": ("Checkout kept failing, support was slow", "Too many emails", "Delivery was late"),
    "passive": ("Fine overall", "Good products, website could be faster", ""),
    "promoter": ("Great products and quick delivery", "Love this shop, told my friends", ""),
}


# =========================================================================== helpers


def _rows_choice(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows`` from ``cdf[rows]`` (cumulative)."""
    u = rng.random(len(rows))
    k = (u[:, None] >= cdf[rows]).sum(axis=1)
    return np.minimum(k, cdf.shape[-1] - 1)


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(p), size=n, p=np.asarray(p) / np.sum(p))


def _group_starts(counts: np.ndarray) -> np.ndarray:
    return (np.cumsum(counts) - counts).astype(np.int64)


def _within(counts: np.ndarray) -> np.ndarray:
    """0..n-1 inside each group of sizes ``counts``."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(_group_starts(counts), counts)


def _draw_products(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    cat = _rows_choice(rng, CATEGORY_PREF, persona)
    return (cat * PER_CATEGORY + rng.integers(0, PER_CATEGORY, len(persona))).astype(np.int32)


def _iso(ts: np.ndarray) -> np.ndarray:
    s = np.datetime_as_string(np.asarray(ts, dtype="int64").astype("datetime64[s]"), unit="s")
    return np.char.add(s, "Z").astype(object)


def _b64_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random url-safe ids of 20 characters (SendGrid-like)."""
    if n == 0:
        return np.array([], dtype=object)
    enc = base64.urlsafe_b64encode(rng.bytes(15 * n))
    return np.frombuffer(enc, dtype="S20").astype("U20").astype(object)


def _hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, 2**63, n, dtype=np.int64)
    b = rng.integers(0, 2**63, n, dtype=np.int64)
    out = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}")
    return out


# =========================================================================== walks


def _walk(rng, persona: np.ndarray, landing: np.ndarray, cart0: np.ndarray, start: np.ndarray):
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
            cur[active[m_prod]] = _draw_products(rng, persona[active[m_prod]])
        m_atc = s == ATC
        if m_atc.any():
            idx = active[m_atc]
            none = idx[cur[idx] < 0]
            if len(none):
                cur[none] = _draw_products(rng, persona[none])
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
                extra = _draw_products(rng, persona[empty])
                cart[empty] = PRICES[extra]
                last_added[empty] = extra
            nolast = idx[last_added[idx] < 0]  # a cart carried over from a reminder email
            if len(nolast):
                last_added[nolast] = _draw_products(rng, persona[nolast])
            value[m_buy] = cart[idx]
            prod[m_buy] = last_added[idx]
            cart[idx] = 0.0
            last_added[idx] = -1
        parts.append((active.copy(), np.full(len(active), step, np.int16), s.astype(np.int8), prod, value))
        if step == MAX_STEPS - 1:
            break
        nxt = _rows_choice(rng, TRANSITION_CDF.reshape(-1, N_STATES), persona[active] * N_STATES + s)
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
    first = _group_starts(counts)
    rec["t"] = start[rec["sess"]] + csum - np.repeat(csum[first[counts > 0]], counts[counts > 0])
    rec["counts"] = counts
    rec["first"] = first
    return rec, cart


def _emit(rec: dict, mask: np.ndarray | None = None) -> dict:
    """Expand walk records into web events (a state can emit two events)."""
    idx = np.arange(len(rec["state"])) if mask is None else np.flatnonzero(mask)
    n_emit = EMIT_N[rec["state"][idx]]
    rep = np.repeat(idx, n_emit)
    k = _within(n_emit)
    st = rec["state"][rep]
    return {"rec": rep, "etype": EMIT_TYPE[st, k], "t": rec["t"][rep] + k}


# =========================================================================== generator


_WEB_DEFAULTS = {"cust": -1, "dev": -1, "uid": False, "t": 0, "etype": PV, "url": None,
                 "referrer": None, "utm_source": None, "utm_medium": None, "utm_campaign": None,
                 "revenue": np.nan, "score": np.nan, "text": None, "product": -1, "email": None,
                 "step": None}


class _Web:
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
        cfg.write_text(SAMPLE_CONFIG if fmt == "sample" else BENCH_CONFIG, encoding="utf-8")
    return counts


# --------------------------------------------------------------------------- people


def _people(rng, n: int, t0: int, days: int) -> dict:
    persona = _choice(rng, PERSONA_MIX, n)
    first_day = np.floor(rng.random(n) * days * 0.85)
    hour = _choice(rng, HOUR_W, n)
    first_seen = t0 + (first_day * DAY + hour * HOUR + rng.integers(0, HOUR, n)).astype(np.int64)
    n_dev = 1 + (rng.random(n) < TWO_DEVICES[persona])
    desktop = rng.random(n) < DESKTOP[persona]
    existing = rng.random(n) < EXISTING[persona]
    signed_before = t0 - (rng.integers(20, 900, n) * DAY + rng.integers(0, DAY, n))
    segment = _rows_choice(rng, np.cumsum(SEGMENT_P, axis=1), persona)
    country = _choice(rng, COUNTRY_P, n)
    first_source = _rows_choice(rng, np.cumsum(FIRST_SOURCE, axis=1), persona)
    fn = rng.integers(0, len(FIRST_NAMES), n)
    ln = rng.integers(0, len(LAST_NAMES), n)
    dom_c = rng.integers(0, len(CONSUMER_DOMAINS), n)
    dom_b = rng.integers(0, len(COMPANY_DOMAINS), n)
    opt_in = rng.random(n) < OPT_IN[persona]
    # email spellings per source: 0 as in the CRM, 1 Mixed.Case, 2 UPPER, 3 padded with spaces
    var_web = _choice(rng, [0.88, 0.06, 0.02, 0.04], n)
    var_sg = _choice(rng, [0.94, 0.05, 0.01, 0.0], n)
    var_zd = _choice(rng, [0.85, 0.08, 0.03, 0.04], n)
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
        "anon": np.array(_hex_ids(rng, 2 * n), dtype=object),
        "dev_type": dev_type,
        "user_id": np.array([f"cust_{i + 1:06d}" for i in range(n)], dtype=object),
        "shared": [],
        "news_t": np.full(n, -1, np.int64),
    }


def _organic_sessions(rng, w: dict, t_end: int) -> dict:
    n, persona = w["n"], w["persona"]
    n_s = 1 + rng.poisson(EXTRA_SESSIONS[persona])
    cust = np.repeat(np.arange(n), n_s)
    sidx = _within(n_s)
    gap = np.where(sidx == 0, 0.0, 3 * HOUR + rng.exponential(1.0, len(cust)) * GAP_DAYS[persona[cust]] * DAY)
    csum = np.cumsum(gap)
    start = w["first_seen"][cust] + (csum - np.repeat(csum[_group_starts(n_s)], n_s)).astype(np.int64)
    keep = start < t_end - 600
    cust, sidx, start = cust[keep], sidx[keep], start[keep]
    ns = len(cust)
    dev = ((sidx > 0) & (w["n_dev"][cust] == 2) & (rng.random(ns) < 0.4)).astype(np.int64)
    src = np.where(sidx == 0, w["first_source"][cust], _choice(rng, LATER_SOURCE, ns))
    landing = _rows_choice(rng, np.cumsum(LANDING, axis=1), src)
    # support-heavy people often come straight to the help centre
    to_help = (persona[cust] == SUPPORT) & np.isin(src, [0, 4]) & (rng.random(ns) < 0.4)
    landing[to_help] = HELP
    utm = [np.full(ns, None, dtype=object) for _ in range(3)]
    ref = np.full(ns, None, dtype=object)
    for s, choices in _UTM.items():
        m = np.flatnonzero(src == s)
        pick = rng.integers(0, len(choices), len(m))
        for j in range(3):
            utm[j][m] = np.array([c[j] for c in choices], dtype=object)[pick]
    for s, refs in _REFERRER.items():
        m = np.flatnonzero(src == s)
        ref[m] = np.array(refs, dtype=object)[rng.integers(0, len(refs), len(m))]
    return {"cust": cust, "sidx": sidx, "start": start, "dev": dev, "src": src, "landing": landing,
            "persona": persona[cust], "utm_source": utm[0], "utm_medium": utm[1],
            "utm_campaign": utm[2], "referrer": ref}


# --------------------------------------------------------------------------- identity


def _identify(rng, w: dict, org: dict, rec: dict, web: _Web) -> np.ndarray:
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


def _add_walk_events(rng, web: _Web, sess: dict, rec: dict, uid_rec: np.ndarray) -> np.ndarray:
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
    url_code[m_help] = U_HELP + _choice(rng, HELP_P, int(m_help.sum()))
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


def _newsletter_signups(rng, w: dict, org: dict, rec: dict, web: _Web) -> None:
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


def _session_summary(sess: dict, rec: dict, uid_rec: np.ndarray) -> dict:
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


# --------------------------------------------------------------------------- email


def _emails(rng, w: dict, org: dict, rec: dict, summ: dict, t0: int, t_end: int) -> dict:
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
            "msg_id": _b64_ids(rng, m), "e_msg": e_msg, "e_kind": e_kind, "e_t": e_t,
            "event_id": _b64_ids(rng, len(e_t)), "url": url,
            "ua": rng.integers(0, len(_USERAGENTS), len(e_t)), "ip": rng.integers(1, 254, (len(e_t), 2))}


def _click_sessions(rng, w: dict, mail: dict, t_end: int) -> dict:
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


# --------------------------------------------------------------------------- after purchase


def _purchases(org: dict, rec: dict, clicks: dict, crec: dict) -> dict:
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


NPS_SCORE_P = np.array(
    [
        [1, 1, 1, 2, 3, 6, 10, 14, 14, 7, 4],  # bargain_hunter
        [1, 1, 1, 1, 2, 4, 6, 12, 16, 10, 6],  # researcher
        [0, 0, 0, 0, 1, 1, 2, 4, 8, 24, 30],  # loyal_fan
        [1, 1, 1, 2, 3, 6, 8, 12, 12, 8, 6],  # impulse_buyer
        [6, 5, 6, 7, 7, 8, 8, 6, 4, 2, 1],  # support_heavy
        [1] * 11,
    ],
    dtype=float,
)


def _post_purchase(rng, w: dict, p: dict, web: _Web) -> None:
    """Reviews, referrals and NPS answers in short account sessions after purchases."""
    cust, persona = p["cust"], p["persona"]
    n = len(cust)
    dev = 2 * cust + w["signup_dev"][cust]
    # reviews
    m = np.flatnonzero(rng.random(n) < REVIEW_P[persona])
    t = p["t"][m] + (rng.uniform(2, 12, len(m)) * DAY).astype(np.int64)
    prod = p["product"][m]
    score = 1 + _rows_choice(rng, np.cumsum(REVIEW_SCORE_P, axis=1), PRODUCT_CATEGORY[prod])
    pick = rng.integers(0, 3, len(m))
    text = np.array([_REVIEW_TEXT[s][k] for s, k in zip(score.tolist(), pick.tolist(), strict=True)], dtype=object)
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
    score = _rows_choice(rng, np.cumsum(NPS_SCORE_P / NPS_SCORE_P.sum(1, keepdims=True), axis=1), persona[m])
    group = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    pick = rng.integers(0, 3, len(m))
    text = np.array([_NPS_TEXT[g][k] or None for g, k in zip(group.tolist(), pick.tolist(), strict=True)], dtype=object)
    web.add(cust=cust[m], dev=dev[m], uid=np.ones(len(m), bool), t=t, etype=np.full(len(m), E_NPS),
            url=np.full(len(m), URLS[U_NPS], dtype=object), score=score.astype(float), text=text)


# --------------------------------------------------------------------------- support

_CAT_NOUN = ("Merino Sweater", "Trail Runner", "Wireless Headphones", "Ceramic Lamp", "Leather Wallet")
PRODUCT_NAMES = tuple(f"{_CAT_NOUN[PRODUCT_CATEGORY[i]]} {pid}" for i, pid in enumerate(PRODUCT_IDS))
ZD_HOST = "https://shopexample.zendesk.com/api/v2"
ZD_USER_BASE = 381_000_000_000
ZD_AGENT_BASE = 380_000_000_000
ZD_GROUPS = {"checkout_error": 360_001, "billing": 360_001, "shipping": 360_002, "returns": 360_002,
             "product_question": 360_003, "account": 360_003}
_TYPES = {"checkout_error": ("incident",), "shipping": ("question",), "returns": ("task",),
          "billing": ("problem", "question"), "product_question": ("question",),
          "account": ("question", "incident")}
_EXTRA_TAGS = ("web_widget", "vip", "eu", "first_contact", "mobile_app")


def _tickets(rng, w: dict, summs: list[dict], p: dict, t0: int, t_end: int) -> tuple[list, list]:
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
    agent = rng.integers(0, len(_AGENTS), n)
    prio_u = rng.random(n)
    extra_tag = rng.integers(-3, len(_EXTRA_TAGS), n)

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
        subject, description = (x.format(**fill) for x in _REQUESTS[tp][pk[0] % len(_REQUESTS[tp])])
        rid = ZD_USER_BASE + c
        aid = ZD_AGENT_BASE + int(agent[i]) + 1
        t_c = int(created[i])
        comments = [(rid, description, True, t_c)]
        t_r = t_c + int(d1[i])
        if note[i]:
            comments.append((aid, _INTERNAL_NOTES[pk[2] % 2], False, t_r - 120))
        comments.append((aid, _AGENT_REPLIES[tp][pk[3] % len(_AGENT_REPLIES[tp])].format(**fill), True, t_r))
        if follow[i]:
            t_f = t_r + int(d2[i])
            body = _FOLLOWUPS_ANGRY[pk[4] % 4] if angry[i] else _FOLLOWUPS_CALM[pk[4] % 4]
            comments.append((rid, body, True, t_f))
            comments.append((aid, _CLOSING_ANGRY if angry[i] else _CLOSING_CALM, True, t_f + int(d3[i])))
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
                    pool = _CSAT_GOOD if score == "good" else (_CSAT_ANGRY if ck[i] else _CSAT_BAD)
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
        tags = [tp] + ([_EXTRA_TAGS[extra_tag[i]]] if extra_tag[i] >= 0 else [])
        tid = 20_001 + i
        first_ticket.setdefault(c, t_c)
        tickets.append({
            "url": f"{ZD_HOST}/tickets/{tid}.json",
            "id": tid,
            "external_id": None,
            "via": via,
            "created_at": _iso1(t_c),
            "updated_at": _iso1(updated),
            "type": _TYPES[tp][pk[0] % len(_TYPES[tp])],
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
                 "public": pub, "created_at": _iso1(tc)}
                for j, (a, b, pub, tc) in enumerate(sorted(comments, key=lambda x: x[3]))
            ],
        })
    users = [
        {"id": ZD_AGENT_BASE + k + 1, "url": f"{ZD_HOST}/users/{ZD_AGENT_BASE + k + 1}.json", "name": nm,
         "email": f"{handle}@shop.example.com", "role": "agent", "external_id": None,
         "created_at": "2024-01-15T09:00:00Z"}
        for k, (nm, handle) in enumerate(_AGENTS)
    ]
    for c, t_first in sorted(first_ticket.items()):
        uid = ZD_USER_BASE + c
        users.append({"id": uid, "url": f"{ZD_HOST}/users/{uid}.json", "name": w["name"][c],
                      "email": w["email_zd"][c], "role": "end-user",
                      "external_id": None if guest[c] else w["user_id"][c],
                      "created_at": _iso1(t_first)})
    return tickets, users


def _iso1(t: int) -> str:
    return str(np.datetime64(int(t), "s")) + "Z"


# =========================================================================== writers


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


def _write_web(f: dict, w: dict, out_dir: Path, t_end: int, fmt: str) -> dict:
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
        "occurred_at": _iso(f["t"]),
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


def _write_sendgrid(mail: dict, w: dict, out_dir: Path) -> dict:
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
                ev.update({"useragent": _USERAGENTS[mail["ua"][i]],
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


def _write_zendesk(tickets: list, users: list, out_dir: Path) -> dict:
    (out_dir / "support").mkdir(parents=True, exist_ok=True)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = ('{"tickets":[\n' + ",\n".join(dumps(t) for t in tickets) + '\n],\n"users":[\n'
            + ",\n".join(dumps(u) for u in users) + "\n]}\n")
    name = "support/zendesk_tickets.json"
    (out_dir / name).write_text(text, encoding="utf-8")
    return {name: len(tickets)}


PROFILE_COLUMNS = ("user_id", "email", "persona", "segment", "country", "signup_channel",
                   "signed_up_at", "marketing_opt_in")


def _write_profiles(rng, w: dict, org: dict, out_dir: Path) -> dict:
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
        "country": np.array(COUNTRIES, dtype=object)[np.concatenate([w["country"][c], _choice(rng, COUNTRY_P, lapsed)])],
        "signup_channel": np.concatenate([channel, old_channel[rng.integers(0, 4, lapsed)]]),
        "signed_up_at": _iso(np.concatenate([w["subscribed_t"][c],
                                             w["signed_before"][:lapsed] - 400 * DAY])),
        "marketing_opt_in": np.concatenate([np.where(w["opt_in"][c], "true", "false"), ["false"] * lapsed]),
    }
    (out_dir / "customers").mkdir(parents=True, exist_ok=True)
    name = "customers/profiles.csv"
    _write_csv(frame, PROFILE_COLUMNS, out_dir / name)
    return {name: len(c) + lapsed}


# =========================================================================== CLI helper


def add_generate_arguments(
    parser: argparse.ArgumentParser, default_out: str = "data/sample"
) -> argparse.ArgumentParser:
    """Add ``--customers --seed --out --days --start --format`` (dest ``fmt``) to a parser.

    Use with :func:`generate_from_args`::

        p = sub.add_parser("generate", help="write synthetic sample data")
        add_generate_arguments(p)
        ...
        counts = generate_from_args(args)
    """
    parser.add_argument("--customers", type=int, default=3000, metavar="N",
                        help="number of people to simulate (default 3000; ~27 events each)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, default=Path(default_out), metavar="DIR",
                        help=f"output folder (default {default_out})")
    parser.add_argument("--days", type=int, default=61, help="length of the period in days (default 61)")
    parser.add_argument("--start", default="2026-09-01", metavar="YYYY-MM-DD",
                        help="first day of the period, UTC (default 2026-09-01)")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="sample",
                        help="sample: web CSV with a few bad rows; bench: web Parquet, no bad rows")
    return parser


def generate_from_args(args: argparse.Namespace) -> dict:
    return generate(args.out, customers=args.customers, seed=args.seed, start=args.start,
                    days=args.days, fmt=args.fmt)


# =========================================================================== configs

_CONFIG_TEMPLATE = """\
# journey_mining config over the generated sample data (see docs/sample-data.md).
# Regenerate the data:  journey generate --customers 3000 --seed 7 --out data/sample
# Paths are relative to this file's folder.

[warehouse]
path = "out/journeys.duckdb"

[export]
parquet_dir = "out/parquet"
report = "out/report.html"

[sessions]
timeout_minutes = 30

[stages]
order = ["awareness", "consideration", "decision", "purchase", "retention", "advocacy"]
conversion = "purchase"

# The first matching rule wins, so specific rules come first. Events that match no rule
# (logins, help pages, bounces, most support before a purchase, ...) keep the
# customer's previous stage. SendGrid events are read as email_<event> (email_open, ...);
# Zendesk tickets as ticket_created, ticket_comment, ticket_reply, ticket_solved, csat_rated.

# advocacy: good reviews, referrals, NPS promoters
[[stages.rules]]
stage = "advocacy"
event_type = "review_submitted"
min = { score = 4 }

[[stages.rules]]
stage = "advocacy"
event_type = "referral_sent"

[[stages.rules]]
stage = "advocacy"
event_type = "nps_response"
min = { score = 9 }

# retention: a repeat purchase, other feedback, account pages, support and email once a
# customer has bought
[[stages.rules]]
stage = "retention"
channel = "web"
event_type = "purchase"
after = "purchase"

[[stages.rules]]
stage = "retention"
event_type = ["review_submitted", "nps_response"]
after = "purchase"

[[stages.rules]]
stage = "retention"
channel = "web"
event_type = "page_view"
match = { url = "*/account*" }
after = "purchase"

[[stages.rules]]
stage = "retention"
channel = ["support", "email"]
after = "purchase"

# purchase
[[stages.rules]]
stage = "purchase"
channel = "web"
event_type = "purchase"

# decision: cart and checkout
[[stages.rules]]
stage = "decision"
channel = "web"
event_type = ["add_to_cart", "checkout_started", "checkout_step"]

[[stages.rules]]
stage = "decision"
channel = "web"
event_type = "page_view"
match = { url = ["*/cart*", "*/checkout/*"] }

# a checkout problem reported to support (Zendesk: first tag = properties.topic)
[[stages.rules]]
stage = "decision"
channel = "support"
match = { "properties.topic" = "checkout_error" }

# awareness: landings from ads and affiliates
[[stages.rules]]
stage = "awareness"
channel = "web"
event_type = "page_view"
match = { utm_medium = ["cpc", "paid_social", "affiliate"] }

# consideration: product pages, pricing, compare, email clicks
[[stages.rules]]
stage = "consideration"
channel = "web"
event_type = "page_view"
match = { url = ["*/products/*", "*/pricing*", "*/compare*"] }

[[stages.rules]]
stage = "consideration"
channel = "email"
event_type = "email_click"

# awareness: home page, blog, newsletter signup, emails delivered or opened
[[stages.rules]]
stage = "awareness"
channel = "web"
event_type = "page_view"
match = { url = ["https://shop.example.com/", "https://shop.example.com/?*", "*/blog/*"] }

[[stages.rules]]
stage = "awareness"
channel = "web"
event_type = "newsletter_signup"

[[stages.rules]]
stage = "awareness"
channel = "email"
event_type = ["email_delivered", "email_open"]

# one touchpoint per page family instead of one per product, post or article
[[touchpoints.rules]]
glob = "web:page_view:/products/*"
name = "web:page_view:/products/*"

[[touchpoints.rules]]
glob = "web:page_view:/blog/*"
name = "web:page_view:/blog/*"

[[touchpoints.rules]]
glob = "web:page_view:/help/*"
name = "web:page_view:/help/*"

[[sources]]
name = "web"
channel = "web"
format = "events"
path = "web/*.@WEB_EXT@"

[[sources]]
name = "email"
channel = "email"
format = "sendgrid"
path = "email/*.json"

[[sources]]
name = "support"
channel = "support"
format = "zendesk"
path = "support/*.json"

[[sources]]
name = "customers"
format = "customers"
path = "customers/*.csv"
"""
SAMPLE_CONFIG = _CONFIG_TEMPLATE.replace("@WEB_EXT@", "csv")
BENCH_CONFIG = _CONFIG_TEMPLATE.replace("@WEB_EXT@", "parquet")
