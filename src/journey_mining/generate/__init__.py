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

The package's modules, in the order a run uses them: ``parameters`` (every tunable and the
planted pain points), ``people``, ``web`` (sessions, clickstreams, logins, purchases and
what follows), ``email`` (SendGrid), ``support`` (Zendesk), ``writers`` (the files and the
config), ``cli`` (the ``journey generate`` arguments); ``simulation`` runs them in turn (``generate``)
and ``util`` holds the shared draws.

Layout written to ``out_dir`` (``fmt="sample"``)::

    web/events_YYYY-MM.csv        canonical `events` layout, one file per month (+ bad rows)
    email/sendgrid_YYYY-MM.json   SendGrid Event Webhook arrays, one file per month
    support/zendesk_tickets.json  Zendesk export: {"tickets": [...], "users": [...]}
    customers/profiles.csv        the CRM (`customers` format)
    journey.toml                  a config over those files (only when absent): the
                                  bundled data/sample/journey.toml, see writers.config_text

``fmt="bench"`` writes the web events as Parquet (``web/events_YYYY-MM.parquet``, same
columns) and leaves out the deliberately bad rows; the other files are the same.
"""

from __future__ import annotations

from .cli import add_generate_arguments, generate_from_args
from .parameters import CAMPAIGNS, FORMATS, PERSONAS, TOPICS, WEB_COLUMNS
from .simulation import generate
from .writers import BAD_ROWS, config_text

__all__ = [
    "BAD_ROWS",
    "FORMATS",
    "PERSONAS",
    "CAMPAIGNS",
    "TOPICS",
    "WEB_COLUMNS",
    "add_generate_arguments",
    "config_text",
    "generate",
    "generate_from_args",
]
