"""Every tunable of the simulation: personas, traffic sources, the site's page states and
their persona-specific Markov transitions, products, campaigns, names, support texts.

The PLANTED comments mark the pain points docs/sample-data.md describes.
"""

from __future__ import annotations

import numpy as np

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
UTM = {
    1: [("google", "cpc", "brand_search"), ("google", "cpc", "shopping_autumn"), ("bing", "cpc", "shopping_autumn")],
    2: [("facebook", "paid_social", "autumn_lookbook"), ("instagram", "paid_social", "autumn_lookbook")],
    3: [("dealfinder", "affiliate", "partner_q3"), ("gadgetblog", "affiliate", "partner_q3")],
}
REFERRERS = {
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
USERAGENTS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X)",
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
REQUESTS = {
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
AGENT_REPLIES = {
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
CLOSING_CALM = "Glad to hear it! I'll close this ticket, have a great day."
CLOSING_ANGRY = "I'm very sorry. I've escalated this to our payments team and released the pending charge."
FOLLOWUPS_CALM = ("Thanks, that worked.", "Great, thank you for the quick help!",
                   "OK, I'll wait a couple more days.", "Got it, thanks.")
FOLLOWUPS_ANGRY = ("It failed AGAIN. This is the third time. I've lost a whole evening on this.",
                    "Your 'try again' advice is useless, the payment page is still broken.",
                    "I was charged and have no order confirmation. I want my money back now.",
                    "Unbelievable. I'll buy it somewhere else.")
INTERNAL_NOTES = ("Escalated to payments team: PSP returns 502 on 3-D Secure callback.",
                   "Known issue INC-2291 (payment step timeout), linking ticket.")
CSAT_GOOD = ("Quick and friendly, thanks!", "Solved in one reply.", "Very helpful agent.", "Great service")
CSAT_BAD = ("Slow answer and the problem is still there.", "Didn't solve anything.",
             "Had to ask twice.")
CSAT_ANGRY = ("Checkout is broken and nobody cares. Gave up and bought elsewhere.",
               "Three failed payments and a copy-paste answer. Terrible.",
               "Useless. Still no idea why my card was rejected.",
               "Worst checkout experience ever, never again.")
AGENTS = (("Sam Support", "sam"), ("Priya Agent", "priya"), ("Jonas Helpdesk", "jonas"),
           ("Ana Care", "ana"), ("Kim Service", "kim"))

REVIEW_TEXT = {
    1: ("Fell apart after two weeks, really disappointed", "Sizing is way off, sent it back",
        "Poor quality for the price"),
    2: ("Not great, the sole is already coming loose", "Uncomfortable, runs small", "Meh, expected more"),
    3: ("OK for the price", "Does the job, nothing special", "Decent but delivery took long"),
    4: ("Good quality, fits \"true to size\"", "Nice, would buy again", "Solid product, fast delivery"),
    5: ("Love it, perfect!", "Excellent quality, highly recommend", "Best purchase this year, 10/10"),
}
NPS_TEXT = {
    "detractor": ("Checkout kept failing, support was slow", "Too many emails", "Delivery was late"),
    "passive": ("Fine overall", "Good products, website could be faster", ""),
    "promoter": ("Great products and quick delivery", "Love this shop, told my friends", ""),
}



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

# --------------------------------------------------------------------------- support (Zendesk)

_CAT_NOUN = ("Merino Sweater", "Trail Runner", "Wireless Headphones", "Ceramic Lamp", "Leather Wallet")
PRODUCT_NAMES = tuple(f"{_CAT_NOUN[PRODUCT_CATEGORY[i]]} {pid}" for i, pid in enumerate(PRODUCT_IDS))
ZD_HOST = "https://shopexample.zendesk.com/api/v2"
ZD_USER_BASE = 381_000_000_000
ZD_AGENT_BASE = 380_000_000_000
ZD_GROUPS = {"checkout_error": 360_001, "billing": 360_001, "shipping": 360_002, "returns": 360_002,
             "product_question": 360_003, "account": 360_003}
TICKET_TYPES = {"checkout_error": ("incident",), "shipping": ("question",), "returns": ("task",),
          "billing": ("problem", "question"), "product_question": ("question",),
          "account": ("question", "incident")}
EXTRA_TAGS = ("web_widget", "vip", "eu", "first_contact", "mobile_app")
