"""The sample-data generator: determinism, vendor shapes, and the planted pain points.

Signals are computed straight from the written files with pandas, the way an analyst would,
so a change to the generator that weakens a planted pain point fails here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from journey_mining.config import load_config, sample_config_path
from journey_mining.generate import (
    BAD_ROWS,
    CAMPAIGNS,
    PERSONAS,
    TOPICS,
    WEB_COLUMNS,
    add_generate_arguments,
    config_text,
    generate,
    generate_from_args,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
WEB_TYPES = {"page_view", "login", "signup", "add_to_cart", "checkout_started", "checkout_step",
             "purchase", "review_submitted", "referral_sent", "nps_response", "newsletter_signup"}
SG_TYPES = {"processed", "delivered", "open", "click", "bounce", "unsubscribe", "spamreport"}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _web(root: Path) -> pd.DataFrame:
    files = sorted((root / "web").glob("events_*.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""]) for f in files],
                     ignore_index=True)


def _sendgrid(root: Path) -> list[dict]:
    out = []
    for f in sorted((root / "email").glob("sendgrid_*.json")):
        out.extend(json.loads(f.read_text(encoding="utf-8")))
    return out


def _zendesk(root: Path) -> dict:
    return json.loads((root / "support" / "zendesk_tickets.json").read_text(encoding="utf-8"))


def _cookie_sessions(web: pd.DataFrame) -> pd.DataFrame:
    """Valid web rows with a 30-minute-timeout session number per anonymous_id."""
    w = web[web.anonymous_id.notna() & web.event_type.notna()].copy()
    w["ts"] = pd.to_datetime(w.occurred_at, utc=True, errors="coerce", format="ISO8601")
    w = w[w.ts.notna()].sort_values(["anonymous_id", "ts", "event_id"])
    w["path"] = w.url.str.replace(r"\?.*$", "", regex=True).str.replace("https://shop.example.com", "", regex=False)
    gap = (w.ts - w.ts.shift()).dt.total_seconds()
    w["sess"] = ((w.anonymous_id != w.anonymous_id.shift()) | (gap > 1800)).cumsum()
    return w


def _exit_share(w: pd.DataFrame, path: str) -> float:
    """Share of sessions with a page view of `path` whose last event is that page view."""
    seen = w.loc[(w.event_type == "page_view") & (w.path == path), "sess"].unique()
    last = w.groupby("sess").tail(1)
    ends = last[last.sess.isin(seen) & (last.event_type == "page_view") & (last.path == path)]
    return len(ends) / len(seen)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    counts = generate(root)  # the defaults: 3000 customers, seed 7
    (root / "counts.json").write_text(json.dumps(counts))
    return root


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("small")
    return root, generate(root, customers=400, seed=11)


# --------------------------------------------------------------------------- determinism


def test_same_seed_writes_byte_identical_files(small, tmp_path):
    root, counts = small
    again = generate(tmp_path, customers=400, seed=11)
    assert again == counts
    assert _files(tmp_path) == _files(root)


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def test_small_seed_writes_the_recorded_bytes(tmp_path):
    """Pinned output (recorded with the single-file generate.py before it became a package):
    a change to any draw, its order or a writer changes this hash."""
    counts = generate(tmp_path, customers=200, seed=5)
    assert counts == {"web/events_2026-09.csv": 1202, "web/events_2026-10.csv": 1556,
                      "email/sendgrid_2026-09.json": 691, "email/sendgrid_2026-10.json": 618,
                      "support/zendesk_tickets.json": 45, "customers/profiles.csv": 158}
    assert _digest(tmp_path) == "995d4332ceb31d9c6476cd31c65bca81c9ddc98efd0a47b45daeb3f60b719485"


def test_other_seed_writes_other_data(small, tmp_path):
    root, _ = small
    generate(tmp_path, customers=400, seed=12)
    a, b = _files(root), _files(tmp_path)
    assert a.keys() == b.keys()
    for name in a:
        if name != "journey.toml":
            assert a[name] != b[name], name


def test_committed_sample_is_what_generate_writes(sample):
    """Every file, journey.toml included (the generator's one template is that file)."""
    if not (SAMPLE / "web").is_dir():
        pytest.skip("data/sample not generated")
    ours = {k: v for k, v in _files(sample).items() if k != "counts.json"}
    committed = _files(SAMPLE)
    assert ours.keys() == committed.keys()
    for name in ours:
        assert ours[name] == committed[name], f"data/sample/{name} is stale: run `make sample`"


def test_counts_match_the_files(sample):
    counts = json.loads((sample / "counts.json").read_text())
    assert set(counts) == {
        "web/events_2026-09.csv", "web/events_2026-10.csv",
        "email/sendgrid_2026-09.json", "email/sendgrid_2026-10.json",
        "support/zendesk_tickets.json", "customers/profiles.csv",
    }
    for name, n in counts.items():
        p = sample / name
        if name.endswith(".csv"):
            assert len(pd.read_csv(p, dtype=str)) == n, name
        elif name.startswith("email/"):
            assert len(json.loads(p.read_text())) == n, name
        else:
            assert len(json.loads(p.read_text())["tickets"]) == n
    assert 35_000 <= counts["web/events_2026-09.csv"] + counts["web/events_2026-10.csv"] <= 50_000
    total = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024


def test_size_scales_with_customers(tmp_path):
    c1 = generate(tmp_path / "a", customers=250, seed=3)
    c2 = generate(tmp_path / "b", customers=1000, seed=3)

    def web_rows(c):
        return sum(n for k, n in c.items() if k.startswith("web/"))

    def mail_rows(c):
        return sum(n for k, n in c.items() if k.startswith("email/"))

    assert 3.0 <= web_rows(c2) / web_rows(c1) <= 5.3
    assert 3.0 <= mail_rows(c2) / mail_rows(c1) <= 5.3
    assert c2["customers/profiles.csv"] > 3 * c1["customers/profiles.csv"]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="format"):
        generate(tmp_path, customers=10, fmt="xml")
    with pytest.raises(ValueError):
        generate(tmp_path, customers=0)


# --------------------------------------------------------------------------- web CSV


def test_web_csv_layout_and_bad_rows(sample):
    web = _web(sample)
    assert tuple(web.columns) == WEB_COLUMNS
    bad = web[web.event_id.str.startswith("evt_bad_")]
    assert sorted(bad.event_id) == [b[0] for b in BAD_ROWS]
    assert bad.set_index("event_id").loc["evt_bad_0001", "occurred_at"] == "2026-09-31T25:61:00Z"
    assert bad.set_index("event_id").loc["evt_bad_0002", ["anonymous_id", "user_id", "email"]].isna().all()
    assert bad.set_index("event_id").loc["evt_bad_0003", "revenue"] == "49.99 EUR"
    assert pd.isna(bad.set_index("event_id").loc["evt_bad_0004", "event_type"])
    dup = web[web.duplicated(keep=False)]
    assert len(dup) == 2 and (dup.event_type == "purchase").all()
    # bad rows live in the first month's file only
    first = pd.read_csv(sample / "web" / "events_2026-09.csv", dtype=str)
    assert first.event_id.str.startswith("evt_bad_").sum() == 4

    good = web[~web.event_id.str.startswith("evt_bad_")].drop_duplicates()
    assert good.event_id.is_unique
    assert set(good.event_type) == WEB_TYPES
    assert good.occurred_at.str.fullmatch(r"2026-(09|10)-\d\dT\d\d:\d\d:\d\dZ").all()
    ts = pd.to_datetime(good.occurred_at, utc=True)
    assert ts.min() >= pd.Timestamp("2026-09-01", tz="UTC") and ts.max() < pd.Timestamp("2026-11-01", tz="UTC")
    assert good[["anonymous_id", "user_id", "email"]].notna().any(axis=1).all()
    assert good.anonymous_id.notna().all()
    assert good.user_id.dropna().str.fullmatch(r"cust_\d{6}").all()
    buys = good[good.event_type == "purchase"]
    assert buys.user_id.notna().all()  # checkout needs a login
    assert (pd.to_numeric(buys.revenue) > 0).all()
    assert good.loc[good.event_type != "purchase", "revenue"].isna().all()
    reviews = good[good.event_type == "review_submitted"]
    assert pd.to_numeric(reviews.score).between(1, 5).all() and reviews.text.notna().all()
    assert pd.to_numeric(good.loc[good.event_type == "nps_response", "score"]).between(0, 10).all()
    # emails appear on signups and newsletter signups only, some deliberately messy
    emails = good.loc[good.email.notna()]
    assert set(emails.event_type) == {"signup", "newsletter_signup"}
    messy = emails.email != emails.email.str.strip().str.lower()
    assert 0.05 < messy.mean() < 0.25
    # landings from campaigns carry utm columns and the same values in the URL query
    tagged = good[good.utm_source.notna()]
    assert len(tagged) > 1000
    assert (tagged.url.str.contains("utm_source=") & (tagged.event_type == "page_view")).all()
    assert set(tagged.utm_medium) == {"cpc", "paid_social", "affiliate", "email"}
    assert set(good.device) == {"desktop", "mobile", "tablet"}
    assert set(good.step.dropna()) == {"shipping", "payment"}


def test_identity_cases(sample):
    web = _web(sample)
    good = web[web.anonymous_id.notna() & web.user_id.notna()]
    per_cookie = good.groupby("anonymous_id").user_id.nunique()
    assert (per_cookie == 2).sum() == 2  # the two shared-device households
    assert per_cookie.max() == 2
    per_user = good.groupby("user_id").anonymous_id.nunique()
    assert 0.08 < (per_user >= 2).mean() < 0.4  # people with two devices
    # most of the people seen on the web log in at some point
    ids = web.dropna(subset=["user_id"]).user_id.nunique()
    assert ids > 0.65 * 3000


# --------------------------------------------------------------------------- vendors


def test_sendgrid_events_follow_the_webhook_shape(sample):
    events = _sendgrid(sample)
    assert len(events) > 10_000
    ids = set()
    for ev in events:
        assert isinstance(ev["email"], str) and "@" in ev["email"]
        assert isinstance(ev["timestamp"], int)
        assert ev["event"] in SG_TYPES
        assert isinstance(ev["sg_event_id"], str) and isinstance(ev["sg_message_id"], str)
        assert isinstance(ev["category"], list) and all(isinstance(c, str) for c in ev["category"])
        assert ev["marketing_campaign_name"] in CAMPAIGNS
        if "user_id" in ev:
            assert re.fullmatch(r"cust_\d{6}", ev["user_id"])
        if ev["event"] == "click":
            name = ev["marketing_campaign_name"]
            assert ev["url"].startswith("https://shop.example.com/")
            assert ev["url"].endswith(f"?utm_source=newsletter&utm_medium=email&utm_campaign={name}")
        else:
            assert "url" not in ev
        ids.add(ev["sg_event_id"])
    assert len(ids) == len(events)
    e = pd.DataFrame(events)
    assert set(e.event) == SG_TYPES
    assert set(e.marketing_campaign_name) == set(CAMPAIGNS)
    assert e.timestamp.between(1_788_220_800, 1_793_491_200 - 1).all()  # Sep 1 - Oct 31 2026
    # every message starts with `processed`; nothing is sent after an unsubscribe
    per_msg = e.groupby("sg_message_id").event.agg(set)
    assert per_msg.map(lambda s: "processed" in s).all()
    e["addr"] = e.email.str.strip().str.lower()
    stop = e[e.event.isin(["unsubscribe", "spamreport", "bounce"])].groupby("addr").timestamp.min()
    sent = e[e.event == "processed"].join(stop.rename("stop"), on="addr")
    assert not (sent.timestamp > sent.stop).any()
    # some events come from newsletter-only subscribers (no account, no user_id)
    assert 0 < e.user_id.isna().sum() < 0.05 * len(e)
    # email clicks open web sessions tagged with the same campaign
    web = _web(sample)
    web_email = web[web.utm_medium == "email"]
    clicks = e[e.event == "click"]
    assert 0.9 * len(clicks) <= len(web_email) <= len(clicks)
    assert set(web_email.utm_campaign) <= set(CAMPAIGNS)


def test_zendesk_export_shape(sample):
    doc = _zendesk(sample)
    assert set(doc) == {"tickets", "users"}
    users = {u["id"]: u for u in doc["users"]}
    assert len(users) == len(doc["users"])
    tickets = doc["tickets"]
    assert len(tickets) > 400
    ids = [t["id"] for t in tickets]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    iso = re.compile(r"2026-(09|10)-\d\dT\d\d:\d\d:\d\dZ")
    for t in tickets:
        for key in ("id", "created_at", "updated_at", "subject", "description", "status", "priority",
                    "type", "requester_id", "tags", "via", "satisfaction_rating", "comments"):
            assert key in t, key
        assert iso.fullmatch(t["created_at"]) and iso.fullmatch(t["updated_at"])
        assert t["created_at"] <= t["updated_at"]
        assert t["status"] in {"open", "pending", "solved", "closed"}
        assert t["priority"] in {"low", "normal", "high", "urgent"}
        assert t["tags"][0] in TOPICS
        assert t["via"]["channel"] in {"web", "email"}
        r = t["satisfaction_rating"]
        assert set(r) == {"id", "score", "comment"}
        assert r["score"] in {"good", "bad", "offered", "unoffered"}
        if r["score"] in ("good", "bad", "offered"):
            assert t["status"] in ("solved", "closed") and isinstance(r["id"], int)
        requester = users[t["requester_id"]]
        assert requester["role"] == "end-user"
        c = t["comments"]
        assert c[0]["author_id"] == t["requester_id"] and c[0]["body"] == t["description"]
        assert c[0]["created_at"] == t["created_at"]
        assert [x["created_at"] for x in c] == sorted(x["created_at"] for x in c)
        assert all(iso.fullmatch(x["created_at"]) and users[x["author_id"]] for x in c)
        assert {"id", "author_id", "body", "public", "created_at"} <= set(c[-1])
    end_users = [u for u in doc["users"] if u["role"] == "end-user"]
    ext = [u["external_id"] for u in end_users]
    assert all(x is None or re.fullmatch(r"cust_\d{6}", x) for x in ext)
    assert 0 < sum(x is None for x in ext) < 0.15 * len(ext)  # a few guests: email only
    assert any(u["email"] != u["email"].strip().lower() for u in end_users)
    assert sum(u["role"] == "agent" for u in doc["users"]) == 5
    assert any(not x["public"] for t in tickets for x in t["comments"])  # internal notes


def test_profiles_table(sample):
    prof = pd.read_csv(sample / "customers" / "profiles.csv", dtype=str)
    assert list(prof.columns) == ["user_id", "email", "persona", "segment", "country", "signup_channel",
                                  "signed_up_at", "marketing_opt_in"]
    assert prof.user_id.is_unique and prof.email.is_unique
    assert (prof.email == prof.email.str.lower()).all()
    assert set(prof.persona) == (set(PERSONAS) - {"window_shopper"}) | {"lapsed"}
    assert set(prof.segment) == {"consumer", "smb", "enterprise"}
    web = _web(sample)
    lapsed = prof[prof.persona == "lapsed"]
    assert len(lapsed) == 60
    assert not web.user_id.isin(lapsed.user_id).any()
    # web user_ids are all known to the CRM
    assert set(web.user_id.dropna()) <= set(prof.user_id)


# --------------------------------------------------------------------------- planted pain points


def test_planted_payment_step_exit(sample):
    w = _cookie_sessions(_web(sample))
    pay = _exit_share(w, "/checkout/payment")
    ship = _exit_share(w, "/checkout/shipping")
    assert 0.38 <= pay <= 0.52, pay
    assert ship <= 0.15, ship
    assert pay >= 3 * ship


def test_planted_pricing_compare_loop(sample):
    w = _cookie_sessions(_web(sample))
    prof = pd.read_csv(sample / "customers" / "profiles.csv", dtype=str)
    persona = dict(zip(prof.user_id, prof.persona, strict=True))
    pv = w[w.event_type == "page_view"]
    paths = pv.groupby("sess").path.agg(list)
    who = w.dropna(subset=["user_id"]).groupby("sess").user_id.first().map(persona)

    def alternations(ps):
        return sum({a, b} == {"/pricing", "/compare"} for a, b in zip(ps, ps[1:], strict=False))

    frame = pd.DataFrame({"alt": paths.map(alternations), "pricing": paths.map(lambda p: "/pricing" in p),
                          "researcher": who.reindex(paths.index).eq("researcher")})
    frame = frame[frame.pricing]
    loop = (frame.alt >= 2).groupby(frame.researcher).mean()
    assert loop[True] >= 0.35, loop
    assert loop[True] >= 3 * loop[False], loop
    nxt = pv.groupby("sess").path.shift(-1)
    after_pricing = nxt[pv.path == "/pricing"].value_counts(normalize=True)
    assert after_pricing.index[0] == "/compare" and after_pricing.iloc[0] > 0.5


def test_planted_angry_checkout_tickets(sample):
    t = pd.DataFrame(_zendesk(sample)["tickets"])
    t["topic"] = t.tags.str[0]
    t["score"] = t.satisfaction_rating.str["score"]
    rated = t[t.score.isin(["good", "bad"])]
    bad = (rated.score == "bad").groupby(rated.topic == "checkout_error").mean()
    assert (t.topic == "checkout_error").sum() >= 100
    assert bad[True] >= 0.7, bad
    assert bad[False] <= 0.3, bad
    ck = t[t.topic == "checkout_error"]
    assert (ck.priority.isin(["high", "urgent"])).mean() > 0.5
    angry = ck.satisfaction_rating.str["comment"].dropna()
    assert angry.str.contains("broken|Terrible|Useless|never again|elsewhere").mean() > 0.6


def test_planted_unsubscribe_campaign(sample):
    e = pd.DataFrame(_sendgrid(sample))
    g = e.groupby(["marketing_campaign_name", "event"]).size().unstack(fill_value=0)
    rate = g.unsubscribe / g.delivered
    assert rate["daily_deals_blast"] >= 0.05, rate
    assert rate.drop("daily_deals_blast").max() <= 0.025, rate
    assert g.delivered["daily_deals_blast"] > 1000


def test_planted_poor_footwear_reviews(sample):
    web = _web(sample)
    r = web[web.event_type == "review_submitted"]
    mean = pd.to_numeric(r.score).groupby(r.category).agg(["mean", "size"])
    assert mean.loc["footwear", "size"] >= 20
    assert mean.loc["footwear", "mean"] <= 3.0, mean
    assert mean.drop("footwear")["mean"].min() >= 3.5, mean
    assert mean.drop("footwear")["mean"].mean() >= 3.9, mean


# --------------------------------------------------------------------------- bench, config, CLI


def test_bench_format_is_the_same_data_as_parquet(small, tmp_path):
    root, counts = small
    bench = generate(tmp_path, customers=400, seed=11, fmt="bench")
    files = sorted((tmp_path / "web").glob("*.parquet"))
    assert [f.name for f in files] == ["events_2026-09.parquet", "events_2026-10.parquet"]
    table = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    assert tuple(table.columns) == WEB_COLUMNS
    assert table.revenue.dtype == np.float64
    sample_rows = sum(n for k, n in counts.items() if k.startswith("web/"))
    assert len(table) == sample_rows - len(BAD_ROWS) - 1  # no bad rows, no duplicate
    assert not table.event_id.str.startswith("evt_bad").any()
    for name in ("support/zendesk_tickets.json", "customers/profiles.csv", "email/sendgrid_2026-09.json"):
        assert (tmp_path / name).read_bytes() == (root / name).read_bytes()
    assert bench["support/zendesk_tickets.json"] == counts["support/zendesk_tickets.json"]
    cfg = load_config(tmp_path / "journey.toml")
    assert cfg.sources[0].path.endswith("web/*.parquet")


def test_written_config_loads_and_is_kept(small, tmp_path):
    root, _ = small
    cfg = load_config(root / "journey.toml")
    assert cfg.stages.order[0] == "awareness" and cfg.stages.conversion == "purchase"
    assert [s.format for s in cfg.sources] == ["events", "sendgrid", "zendesk", "customers"]
    assert {r.stage for r in cfg.stages.rules} == set(cfg.stages.order)
    (tmp_path / "journey.toml").write_text("# mine\n")
    generate(tmp_path, customers=30, seed=1)
    assert (tmp_path / "journey.toml").read_text() == "# mine\n"


def test_one_config_template_shared_with_the_sample(tmp_path):
    """The generator writes the bundled data/sample/journey.toml itself (no copy to drift);
    the bench config differs only in reading the web events as Parquet."""
    committed = (SAMPLE / "journey.toml").read_text(encoding="utf-8")
    assert sample_config_path() == SAMPLE / "journey.toml"
    assert config_text("sample") == committed
    bench = config_text("bench").splitlines()
    diff = [(a, b) for a, b in zip(committed.splitlines(), bench, strict=True) if a != b]
    assert diff == [('path = "web/*.csv"', 'path = "web/*.parquet"')]
    generate(tmp_path / "s", customers=30, seed=1)
    generate(tmp_path / "b", customers=30, seed=1, fmt="bench")
    assert (tmp_path / "s" / "journey.toml").read_text(encoding="utf-8") == committed
    assert (tmp_path / "b" / "journey.toml").read_text(encoding="utf-8") == config_text("bench")


def test_committed_config_loads():
    if not (SAMPLE / "journey.toml").is_file():
        pytest.skip("no data/sample/journey.toml")
    cfg = load_config(SAMPLE / "journey.toml")
    assert cfg.timeout_minutes == 30
    assert len(cfg.touchpoint_rules) == 3


def test_cli_arguments(tmp_path):
    parser = add_generate_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--customers", "40", "--seed", "5", "--out", str(tmp_path), "--days", "20",
                              "--format", "bench"])
    assert (args.customers, args.seed, args.days, args.fmt) == (40, 5, 20, "bench")
    counts = generate_from_args(args)
    assert counts and all(n > 0 for k, n in counts.items() if k.startswith("web/"))
    assert parser.parse_args([]).fmt == "sample"
