"""The tiny hand-made journeys behind tests/golden/metrics/ (hand-computed answers there).

Four customers, default stage order (awareness, consideration, decision, purchase,
retention, advocacy; conversion purchase), DEFAULT_RULES plus ``/blog`` pages = awareness:

- a: / , / , /pricing, /about, /pricing, purchase (2024-01-01 10:00-10:20), order next day
- b: / , /pricing (2024-01-01 09:00-09:03), gone quiet
- c: /blog, /pricing, /blog (2024-03-01 12:00-12:20, the latest event): a back-step
- d: nps 10 (2024-02-28 08:00): straight to advocacy
"""

from __future__ import annotations

from .conftest_inference import DEFAULT_RULES, make_config

RULES = [*DEFAULT_RULES, {"stage": "awareness", "event_type": "page_view", "match": {"url": "*/blog*"}}]
SITE = "https://shop.test"


def _view(event_id, at, user, path):
    return {"event_id": event_id, "occurred_at": at, "user_id": user, "url": SITE + path}


EVENTS = [
    _view("a1", "2024-01-01 10:00:00", "a", "/"),
    _view("a2", "2024-01-01 10:01:00", "a", "/"),
    _view("a3", "2024-01-01 10:05:00", "a", "/pricing"),
    _view("a4", "2024-01-01 10:10:00", "a", "/about"),
    _view("a5", "2024-01-01 10:12:00", "a", "/pricing"),
    {"event_id": "a6", "occurred_at": "2024-01-01 10:20:00", "user_id": "a", "event_type": "purchase"},
    {"event_id": "a7", "occurred_at": "2024-01-02 10:00:00", "user_id": "a", "event_type": "order"},
    _view("b1", "2024-01-01 09:00:00", "b", "/"),
    _view("b2", "2024-01-01 09:03:00", "b", "/pricing"),
    _view("c1", "2024-03-01 12:00:00", "c", "/blog"),
    _view("c2", "2024-03-01 12:10:00", "c", "/pricing"),
    _view("c3", "2024-03-01 12:20:00", "c", "/blog"),
    {"event_id": "d1", "occurred_at": "2024-02-28 08:00:00", "user_id": "d", "event_type": "nps", "score": 10.0},
]
PROFILES = [
    {"user_id": "a", "attributes": {"persona": "x", "segment": "s1"}},
    {"user_id": "b", "attributes": {"persona": "y"}},
    {"user_id": "c", "attributes": {"persona": "x"}},
]


def config(**metrics):
    """The tiny journeys' config; ``metrics`` replaces MetricsConfig fields."""
    import dataclasses

    cfg = make_config(rules=RULES)
    return dataclasses.replace(cfg, metrics=dataclasses.replace(cfg.metrics, **metrics))
