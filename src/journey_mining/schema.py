"""The canonical event (CONTRACT.md section 3) and the names the rest of the code shares."""

from __future__ import annotations

__all__ = [
    "CANONICAL_COLUMNS",
    "NUMERIC_COLUMNS",
    "PROFILE_COLUMNS",
    "STG_EVENT_COLUMNS",
    "STG_PROFILE_COLUMNS",
    "FORMATS",
    "READER_COLUMNS",
]

# name -> DuckDB type, in the order of the `events` table.
CANONICAL_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "source": "VARCHAR",
    "channel": "VARCHAR",
    "event_type": "VARCHAR",
    "occurred_at": "TIMESTAMPTZ",
    "user_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "email": "VARCHAR",
    "url": "VARCHAR",
    "referrer": "VARCHAR",
    "utm_source": "VARCHAR",
    "utm_medium": "VARCHAR",
    "utm_campaign": "VARCHAR",
    "campaign": "VARCHAR",
    "touchpoint": "VARCHAR",
    "revenue": "DOUBLE",
    "score": "DOUBLE",
    "text": "VARCHAR",
    "properties": "JSON",
}
NUMERIC_COLUMNS = ("revenue", "score")

# Columns a reader may fill (everything but `source`/`channel`, which come from the config).
# Every reader yields exactly these, all VARCHAR, plus `file`, `line`, `raw`, `error`
# (see journey_mining.ingest.base).
READER_COLUMNS = tuple(c for c in CANONICAL_COLUMNS if c not in ("source", "channel"))

# A `customers` source yields profiles, not events.
PROFILE_COLUMNS = ("user_id", "anonymous_id", "email", "attributes")

# The staged tables the ingest leaves for the journey models (name -> DuckDB type).
STG_EVENT_COLUMNS: dict[str, str] = {**CANONICAL_COLUMNS, "source_file": "VARCHAR", "source_line": "BIGINT"}
STG_PROFILE_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "user_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "email": "VARCHAR",
    "attributes": "JSON",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
}

FORMATS = ("events", "segment", "sendgrid", "zendesk", "xes", "customers")
