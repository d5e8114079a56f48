"""Sessions (CONTRACT.md section 4): consecutive events of one customer, across all
channels, with no gap greater than ``sessions.timeout_minutes``.

A gap of exactly the timeout stays in the session; a strictly greater one starts a new one.
Gaps are compared in microseconds, so sub-second timestamps are exact. ``session_id`` is
``md5`` of the JSON array ``[customer_id, source, event_id]`` of the session's first event:
it depends only on the data, never on the order rows were loaded in. The SQL model is
``sql/intermediate/int_event_sessions.sql``::

    >>> timeout_seconds(30)
    1800.0
"""

from __future__ import annotations

__all__ = ["timeout_seconds"]


def timeout_seconds(timeout_minutes: float) -> float:
    """The session timeout in seconds, as bound to ``$timeout_seconds``."""
    return float(timeout_minutes) * 60.0
