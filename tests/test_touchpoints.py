"""Touchpoints (CONTRACT.md section 6): defaults for page views and rule grouping."""

from __future__ import annotations

from .conftest_inference import build, make_config, rows

TOUCHPOINTS = "select event_id, raw_touchpoint, touchpoint from events order by event_id"


def _page_views(urls):
    return [dict(event_id=f"e{i}", occurred_at=f"2024-01-01 10:{i:02}:00", user_id="u1", url=u)
            for i, u in enumerate(urls)]


def test_page_view_touchpoint_is_the_url_path_without_query():
    urls = [
        "https://shop.io/pricing?plan=pro&utm_source=x",
        "https://shop.io/pricing#faq",
        "https://shop.io",
        "https://shop.io/?q=1",
        "/docs/start?x=1",
        "//cdn.shop.io/a/b.html",
        None,
    ]
    con = build(_page_views(urls))
    assert [r[1:] for r in rows(con, TOUCHPOINTS)] == [
        ("web:page_view:/pricing", "web:page_view:/pricing"),
        ("web:page_view:/pricing", "web:page_view:/pricing"),
        ("web:page_view:/", "web:page_view:/"),
        ("web:page_view:/", "web:page_view:/"),
        ("web:page_view:/docs/start", "web:page_view:/docs/start"),
        ("web:page_view:/a/b.html", "web:page_view:/a/b.html"),
        ("web:page_view", "web:page_view"),
    ]


def test_other_events_are_channel_colon_event_type_and_input_touchpoints_are_kept():
    con = build([
        dict(event_id="m1", occurred_at="2024-01-01 10:00:00", user_id="u1", source="mail",
             channel="email", event_type="open"),
        dict(event_id="t1", occurred_at="2024-01-01 10:01:00", user_id="u1", source="desk",
             channel="support", event_type="ticket", touchpoint="support:refund_request"),
        dict(event_id="w1", occurred_at="2024-01-01 10:02:00", user_id="u1", channel="app",
             event_type="page_view", url="https://x.io/home?a=b"),
    ])
    assert rows(con, TOUCHPOINTS) == [
        ("m1", "email:open", "email:open"),
        ("t1", "support:refund_request", "support:refund_request"),
        ("w1", "app:page_view:/home", "app:page_view:/home"),
    ]


def test_rules_group_touchpoints_first_match_wins_with_glob_and_regex_groups():
    config = make_config(touchpoints=[
        {"glob": "web:page_view:/blog/*", "name": "web:blog"},
        {"regex": r"web:page_view:/docs/([^/]+)(/.*)?", "name": r"web:docs:\1"},
        {"glob": "web:page_view:/docs/*", "name": "never: the regex above came first"},
        {"regex": r"(email|sms):(open|click)", "name": r"\1:engaged"},
        {"regex": "web:page_view:/p", "name": "only a whole-string match counts"},
        {"regex": r"web:page_view:/(shop|shop/cart)", "name": r"web:\1:end"},
    ])
    con = build(_page_views([
        "https://x.io/blog/how-to?ref=tw",
        "https://x.io/Blog/how-to",  # GLOB is case-sensitive
        "https://x.io/docs/install/linux",
        "https://x.io/docs/api",
        "https://x.io/pricing",
        "https://x.io/shop/cart?item=1",
    ]) + [dict(event_id="m", occurred_at="2024-01-01 10:10:00", user_id="u1", channel="email",
               event_type="click")], config=config)
    assert rows(con, TOUCHPOINTS) == [
        ("e0", "web:page_view:/blog/how-to", "web:blog"),
        ("e1", "web:page_view:/Blog/how-to", "web:page_view:/Blog/how-to"),
        ("e2", "web:page_view:/docs/install/linux", "web:docs:install"),
        ("e3", "web:page_view:/docs/api", "web:docs:api"),
        ("e4", "web:page_view:/pricing", "web:page_view:/pricing"),
        ("e5", "web:page_view:/shop/cart", "web:shop/cart:end"),  # \1 of the whole match
        ("m", "email:click", "email:engaged"),
    ]
    assert rows(con, "select entry_touchpoint, exit_touchpoint from sessions") == [
        ("web:blog", "email:engaged")]
    assert rows(con, "select rule_index, kind, name from cfg_touchpoint_rules where rule_index = 1") == [
        (1, "regex", r"web:docs:\1")]


def test_stage_rules_can_match_the_grouped_touchpoint():
    config = make_config(
        touchpoints=[{"glob": "web:page_view:/pricing*", "name": "web:pricing"}],
        rules=[{"stage": "consideration", "match": {"touchpoint": "web:pricing"}}],
    )
    con = build(_page_views(["https://x.io/pricing/teams?a=1", "https://x.io/"]), config=config)
    assert rows(con, "select event_id, touchpoint, stage from events order by 1") == [
        ("e0", "web:pricing", "consideration"), ("e1", "web:page_view:/", "consideration")]
