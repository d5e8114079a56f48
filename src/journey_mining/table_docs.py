"""What every published table and column means: the one source of truth behind
``docs/tables.md`` (generated: ``make docs``) and the DuckDB comments every build writes
(``COMMENT ON TABLE`` / ``COMMENT ON COLUMN``), so the DuckDB CLI (or any client) shows
the meaning: ``select column_name, data_type, comment from duckdb_columns() where
table_name = 'events'`` and ``select table_name, comment from duckdb_tables()``. (DuckDB
2.0's ``describe`` result has no comment column; its catalog functions do.)

Meanings are short; the definitions behind them are in docs/definitions.md, docs/metrics.md,
docs/pain-points.md, docs/emotions.md, docs/attribution.md and docs/operations.md.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("create table stage_funnel (stage varchar, customers bigint)")
    >>> apply_comments(con)
    ['stage_funnel']
    >>> con.sql("select comment from duckdb_columns() where column_name = 'customers'").fetchall()[0][0][:40]
    'customers whose furthest stage is this s'
"""

from __future__ import annotations

from pathlib import Path

import duckdb

__all__ = [
    "TABLES", "COLUMNS", "TABLE_GROUPS", "table_description", "apply_comments", "render_markdown",
    "write_markdown", "sql_string", "sql_ident",
]

# --------------------------------------------------------------------------- tables

# table -> (one row per ..., what it is for). Grouped as docs/tables.md lists them.
TABLES: dict[str, tuple[str, str]] = {
    # journey tables
    "events": ("canonical event", "Every loaded event of every source with its customer, session, touchpoint and stage (CONTRACT.md sections 3-4; docs/definitions.md)."),
    "customers": ("customer", "Stitched customers: first and last seen, activity, furthest stage, conversion and profile attributes."),
    "sessions": ("session", "Consecutive events of one customer, across channels, with no gap longer than sessions.timeout_minutes."),
    "identity_links": ("distinct link between two identifiers", "Why identifiers were merged into one customer: the first event or profile row asserting each link (audit of identity stitching)."),
    # metrics marts
    "stage_funnel": ("stage", "The stage funnel: customers who reached each stage (furthest stage at or past it) and the conversion between stages (docs/metrics.md)."),
    "stage_funnel_breakdown": ("dimension, group value and stage", "The stage funnel within each group of a dimension (customer attribute, first-touch channel, acquisition week), long format."),
    "stage_durations": ("adjacent stage pair", "Time from first reaching a stage to first reaching the next one: median, p90 and mean seconds."),
    "stage_transitions": ("stage pair", "Moves between stages in each customer's collapsed stage sequence, framed by (start) and (end)."),
    "touchpoint_transitions": ("touchpoint pair", "Moves between touchpoints in each customer's collapsed touchpoint sequence, framed by (start) and (end)."),
    "drop_off": ("level and exit point", "Where journeys end without converting: per stage and per touchpoint of the last event."),
    "exit_paths": ("level, exit point and path", "The most frequent last three touchpoints of customers who did not convert, per exit point."),
    "journey_variants": ("level, grain and variant", "The most frequent whole paths (collapsed sequences) per customer or per session, with conversion."),
    "touchpoint_loops": ("touchpoint", "Repeats (A>A), loops (A>B>A) and steps back to an earlier stage, per touchpoint."),
    "emotions": ("level and stage or touchpoint", "How customers feel: the mean of text, score and behaviour emotion signals (-1..1) per stage and touchpoint (docs/emotions.md)."),
    "pain_points": ("touchpoint or touchpoint segment", "Ranked pain points: every signal, its baseline and its points, the score and the reason in words (docs/pain-points.md)."),
    "attribution": ("level, touchpoint or channel, and model", "Conversion credit per touchpoint or channel under first-touch, last-touch, linear, position-based and Markov models (docs/attribution.md)."),
    # run history and data quality
    "quarantine": ("rejected input row", "Rows that could not be loaded, with where they came from, their raw text and why (nothing is lost)."),
    "runs": ("run", "The audit log: every run with its status and row counts (appended; failed and killed runs included)."),
    "run_sources": ("source and run", "Per run and source: files and rows read = loaded + quarantined + duplicate (appended); rows of erased people are counted apart, as suppressed."),
    "run_steps": ("step or model of a run", "Per run: each ingested file, the load, every SQL model and Python producer of the build, the history and the Parquet export, timed (appended; docs/benchmarks.md)."),
    "input_files": ("input file", "The manifest: every input file of the latest run (read or reused): size, modification time, sha256, the first run that saw it; it decides what the next run reads."),
    "suppressions": ("suppressed identifier", "The suppression list of `journey forget`: keyed hashes (sha256(key || identifier)) of every identifier of erased people; staging drops input rows carrying one (docs/privacy.md)."),
    "erasures": ("erasure", "The audit of erasures (`journey forget`): when, the hash of the identifier given, how many identifiers were suppressed and the rows removed per table; never the identifier (docs/privacy.md)."),
    "metric_history": ("run and headline figure", "Each successful run's headline figures (funnel, conversion, top pain points, emotion per stage), appended: what `journey diff`, the report and the Prefect artifact compare (docs/metrics.md, Drift)."),
    # internal: stored per-customer partials of the metrics stages (tables.STORED_PARTIALS), not exported
    "partial_customer_stage_reach": ("customer and stage up to its furthest", "Internal: per-customer partial, not exported. When each customer first reached each stage (a skipped stage with the later one): the funnel and stage_durations reduce it."),
    "partial_path_runs": ("customer, level and run of its collapsed sequence", "Internal: per-customer partial, not exported. Each run of a customer's collapsed stage / touchpoint sequence: the transitions and drop_off reduce it."),
    "partial_path_customers": ("customer", "Internal: per-customer partial, not exported. Each customer's collapsed sequences, first channel and conversion: journey_variants, exit_paths and the funnel breakdown reduce it."),
    "partial_path_sessions": ("session", "Internal: per-customer partial, not exported. Each session's collapsed sequences and conversion: journey_variants (session grain) reduces it."),
    "partial_touchpoint_loops": ("customer and touchpoint it has events at", "Internal: per-customer partial, not exported. Per customer and touchpoint: events, repeats, loops, back steps; touchpoint_loops sums it."),
    "partial_touchpoint_events": ("customer and (touchpoint, stage, channel, event type)", "Internal: per-customer partial, not exported. The customer's events per touchpoint, stage, channel and event type (a touchpoint's usual stage, channel and kind are reduced from it)."),
    "partial_pain_units": ("customer and pain-point unit", "Internal: per-customer partial, not exported. The customer's counts behind every pain-point signal (sessions, exits, repeats, followed contacts, texts, scores, tickets), summed into pain_points."),
    "partial_pain_dwell": ("customer, pain-point unit and time to the next event", "Internal: per-customer partial, not exported. How many of the customer's events in the unit have each (non-NULL) time to the session's next event; pain_points takes exact medians of the summed counts."),
    "partial_emotion_signals": ("customer, touchpoint, stage and signal kind", "Internal: per-customer partial, not exported. Count, sum and negatives of the customer's emotion signals, summed into emotions."),
    "partial_attribution_transitions": ("customer, level and state pair", "Internal: per-customer partial, not exported. The transitions of the customer's attribution path, summed into the Markov chain of attribution."),
    "partial_attribution_credits": ("converted customer, level and name", "Internal: per-customer partial, not exported. The rule-based credits (first touch, last touch, linear, position-based) the customer's conversion gives each name on its path, summed into attribution."),
    # config tables
    "cfg_stages": ("stage", "stages.order of the config: each stage's position and whether it is at or past stages.conversion."),
    "cfg_stage_rules": ("stage rule", "The [[stages.rules]] of the config, in file order."),
    "cfg_stage_rule_conditions": ("value of a stage-rule condition", "The conditions of each stage rule (channel, event_type, match, min, max), one row per value."),
    "cfg_touchpoint_rules": ("touchpoint rule", "The [[touchpoints.rules]] of the config (rename or group raw touchpoints), in file order."),
    "cfg_pain_segments": ("segment dimension", "[metrics] segment_by: the dimensions pain points are also ranked by (campaign, properties.topic, ...)."),
}

TABLE_GROUPS: dict[str, tuple[str, ...]] = {
    "Journey tables": ("events", "customers", "sessions", "identity_links"),
    "Metrics marts": (
        "stage_funnel", "stage_funnel_breakdown", "stage_durations", "stage_transitions", "touchpoint_transitions",
        "drop_off", "exit_paths", "journey_variants", "touchpoint_loops", "emotions", "pain_points", "attribution",
    ),
    "Run history and data quality": ("quarantine", "runs", "run_sources", "run_steps", "input_files",
                                     "metric_history", "suppressions", "erasures"),
    "Internal: per-customer partials (not exported)": (
        "partial_customer_stage_reach", "partial_path_runs", "partial_path_customers", "partial_path_sessions",
        "partial_touchpoint_loops",
        "partial_touchpoint_events", "partial_pain_units", "partial_pain_dwell", "partial_emotion_signals",
        "partial_attribution_transitions", "partial_attribution_credits",
    ),
    "Config tables": ("cfg_stages", "cfg_stage_rules", "cfg_stage_rule_conditions", "cfg_touchpoint_rules", "cfg_pain_segments"),
}

# --------------------------------------------------------------------------- columns

_STAGE = "stage name (stages.order of the config)"
_STAGE_INDEX = "0-based position of the stage in stages.order"
_LEVEL = "'stage' or 'touchpoint': which sequence the row is about"


def _transitions(node: str) -> dict[str, str]:
    return {
        f"from_{node}": f"the {node} left; '(start)' for the first {node} of a customer",
        f"to_{node}": f"the next {node}; '(end)' after the customer's last {node}",
        "transitions": "how many times customers went from -> to (a customer may count several times)",
        "customers": "distinct customers with this transition",
        "probability": "transitions of the pair / all transitions leaving from (sums to 1 per from)",
        "median_seconds": "median seconds spent in from (its first event to the first event of to; to the last event for (end)); NULL for (start)",
    }


def _funnel() -> dict[str, str]:
    return {
        "stage": _STAGE,
        "stage_index": _STAGE_INDEX,
        "customers": "customers whose furthest stage is this stage or later (within the [funnel] window_days, when set)",
        "conversion_from_previous": "customers / customers of the previous stage; NULL at the first stage or after an empty one",
        "conversion_from_start": "customers / customers of the first stage",
        "dropped": "customers of this stage - customers of the next stage (those who stopped here)",
    }


# pain_points: each signal's columns follow one pattern (docs/pain-points.md)
_PAIN_SIGNALS = {
    "exit": ("exit_sessions", "sessions whose last event is at it", "exit_rate", "peer_exit_rate",
             "pooled exit rate of the touchpoints with the same main stage and channel"),
    "repeat": ("repeat_sessions", "sessions that leave it and come back at least twice", "repeat_rate",
               "peer_repeat_rate", "pooled repeat rate of the touchpoints of the same channel"),
    "support": ("support_sessions", "sessions followed by a support ticket of the same customer within [metrics] support_window_hours",
                "support_rate", "support_baseline", "pooled support rate over all non-support touchpoints"),
    "behaviour": ("behaviour_sessions", "sessions followed within the window by an unsubscribe, spam report or bounce",
                  "behaviour_rate", "behaviour_baseline", "pooled behaviour rate over all touchpoints"),
}


def _pain_points() -> dict[str, str]:
    cols = {
        "rank": "1 = the worst pain point; NULL when not ranked (too few sessions, no signal, or a segment ranked at another touchpoint)",
        "touchpoint": "the touchpoint (events.touchpoint)",
        "segment": "NULL for the whole touchpoint; else 'dimension=value' of [metrics] segment_by (e.g. campaign=spring_sale)",
        "stage": "main stage of the unit (the stage of most of its events)",
        "stage_index": _STAGE_INDEX,
        "channel": "main channel of the unit (the channel of most of its events)",
        "score": "sum of the eight *_points columns (0 when no signal is worse than its baseline)",
        "is_ranked": "true when the unit has a rank",
        "sessions": "sessions that reach the unit (its volume; ranked only from [metrics] min_touchpoint_volume)",
    }
    for signal, (hits, hits_meaning, rate, base, base_meaning) in _PAIN_SIGNALS.items():
        cols[hits] = hits_meaning
        cols[rate] = f"{hits} / sessions"
        cols[base] = f"baseline: {base_meaning}"
        cols[f"{signal}_points"] = f"points of the {signal} signal: min(4, max(0, log2(shrunk {rate} / {base})))"
    cols.update({
        "median_dwell_seconds": "median seconds from its events to the session's next event",
        "peer_median_dwell_seconds": "baseline: median dwell of the events of the same stage, channel and event type",
        "dwell_points": "points of the dwell signal: min(4, max(0, log2(median_dwell_seconds / peer_median_dwell_seconds)))",
        "followed_tickets": "distinct support tickets that follow it within the support window",
        "rated_tickets": "of those, the tickets with a rating (their last score signal)",
        "bad_rated_tickets": "of those, the tickets whose rating is negative",
        "bad_rating_share": "bad_rated_tickets / rated_tickets",
        "bad_rating_baseline": "baseline: pooled bad-rating share over all non-support touchpoints",
        "bad_rating_points": "points of the bad-rating signal (shrunk share / baseline, log2, capped at 4)",
        "texts": "text emotion signals at the unit",
        "negative_texts": "of those, the negative ones (at or below -0.05)",
        "negative_text_share": "negative_texts / texts",
        "negative_text_baseline": "baseline: pooled negative-text share over all touchpoints",
        "negative_text_points": "points of the negative-text signal (shrunk share / baseline, log2, capped at 4)",
        "scores": "score emotion signals (CSAT, NPS, ratings) at the unit",
        "low_scores": "of those, the negative ones (at or below -0.05 once mapped to -1..1)",
        "low_score_share": "low_scores / scores",
        "low_score_baseline": "baseline: pooled low-score share over all touchpoints",
        "low_score_points": "points of the low-score signal (shrunk share / baseline, log2, capped at 4)",
        "reason": "the strongest signals (at most three, 0.5 points or more) in plain words; why a unit is not ranked",
    })
    # in the mart's column order: each signal's volume, rate, baseline, points together
    order = [*list(cols)[:9], "exit_sessions", "exit_rate", "peer_exit_rate", "exit_points",
             "repeat_sessions", "repeat_rate", "peer_repeat_rate", "repeat_points",
             "median_dwell_seconds", "peer_median_dwell_seconds", "dwell_points",
             "support_sessions", "support_rate", "support_baseline", "support_points",
             "followed_tickets", "rated_tickets", "bad_rated_tickets", "bad_rating_share", "bad_rating_baseline",
             "bad_rating_points", "texts", "negative_texts", "negative_text_share", "negative_text_baseline",
             "negative_text_points", "scores", "low_scores", "low_score_share", "low_score_baseline",
             "low_score_points", "behaviour_sessions", "behaviour_rate", "behaviour_baseline", "behaviour_points",
             "reason"]
    assert sorted(order) == sorted(cols)
    return {c: cols[c] for c in order}


COLUMNS: dict[str, dict[str, str]] = {
    "events": {
        "event_id": "id of the event, unique within its source (a content hash when the file has none)",
        "source": "name of the source in the config",
        "channel": "channel of the source (web, email, support, ...)",
        "event_type": "what happened (page_view, purchase, email_open, ticket_created, ...)",
        "occurred_at": "when it happened, UTC",
        "user_id": "the known customer id (login, CRM) on the event, if any",
        "anonymous_id": "cookie or device id on the event, if any",
        "email": "email address on the event, lower-cased and trimmed",
        "url": "page URL (web events)",
        "referrer": "referring URL",
        "utm_source": "utm_source of the visit",
        "utm_medium": "utm_medium of the visit",
        "utm_campaign": "utm_campaign of the visit",
        "campaign": "campaign (email and ads events)",
        "touchpoint": "the touchpoint after [[touchpoints.rules]] (renamed or grouped raw_touchpoint)",
        "revenue": "revenue of the event (orders)",
        "score": "CSAT, NPS or rating the event carries",
        "text": "message, comment or review body",
        "properties": "everything else in the input row, as JSON",
        "customer_id": "the stitched customer (the user_id when known, else 'anon:...')",
        "session_id": "the session (md5 of the session's first event key)",
        "session_index": "1-based number of the session within the customer",
        "event_index": "1-based position in the customer's event order (occurred_at, source, event_id)",
        "stage": "the stage of the event (first matching stage rule, else carried from the previous event)",
        "stage_index": _STAGE_INDEX,
        "matched_rule": "0-based index of the stage rule that matched; NULL when the stage was carried forward or defaulted",
        "raw_touchpoint": "the input's touchpoint, else channel:event_type (page views: channel:page_view:<path>)",
        "source_file": "input file the event was read from",
        "source_line": "line (or record) number in that file",
        "identity_rule": "how the event got its customer: user_id, cluster, anonymous, shared_before, shared_after, shared_profile, no_identifier",
    },
    "customers": {
        "customer_id": "the stitched customer: the user_id when known, else 'anon:' and a hash of its identifiers",
        "user_id": "the customer's user_id; NULL for anonymous customers",
        "first_seen_at": "time of the customer's first event, UTC",
        "last_seen_at": "time of the customer's last event, UTC",
        "events": "events of the customer",
        "sessions": "sessions of the customer",
        "channels": "distinct channels of the customer's events, sorted, joined with ','",
        "furthest_stage": "the highest stage (by stages.order) among the customer's events",
        "furthest_stage_index": "0-based position of furthest_stage in stages.order",
        "converted": "furthest stage at or past stages.conversion",
        "identifiers": "distinct identifiers (user_id, anonymous_id, email) of the customer",
        "attributes": "profile attributes (persona, segment, ...) merged from the customers sources, as JSON; {} when none",
    },
    "sessions": {
        "session_id": "md5 of the session's first event key",
        "customer_id": "the customer",
        "session_index": "1-based number of the session within the customer",
        "started_at": "time of the session's first event, UTC",
        "ended_at": "time of the session's last event, UTC",
        "duration_seconds": "ended_at - started_at in seconds (0 for a one-event session)",
        "events": "events in the session",
        "channels": "distinct channels in the session, sorted, joined with ','",
        "entry_touchpoint": "touchpoint of the first event",
        "exit_touchpoint": "touchpoint of the last event",
        "furthest_stage": "the highest stage among the session's events",
        "furthest_stage_index": "0-based position of furthest_stage in stages.order",
        "is_converted": "furthest stage of the session at or past stages.conversion",
        "is_conversion_session": "the session holding the customer's first event at or past the conversion stage (count conversions with this)",
    },
    "identity_links": {
        "from_type": "type of the first identifier (user_id, anonymous_id)",
        "from_value": "value of the first identifier",
        "to_type": "type of the second identifier (anonymous_id, email; never user_id)",
        "to_value": "value of the second identifier",
        "link_source": "'event' if any event asserts the link, else 'profile'",
        "source": "source of the first asserting event or profile row",
        "event_id": "event_id of the first asserting event (NULL for profile-only links)",
        "source_file": "file of the first asserting event or profile row",
        "source_line": "line of the first asserting event or profile row",
        "first_seen_at": "occurred_at of the first asserting event (NULL for profile-only links)",
        "links": "events and profile rows asserting the link",
        "event_links": "events asserting the link",
        "profile_links": "profile rows asserting the link",
        "customer_id": "customer of the first asserting event (NULL for profile-only links)",
        "customers": "distinct customers its events went to (more than 1 only in ambiguous clusters)",
        "cluster_key": "the identifier cluster of the to side, named by its smallest 'type:value'",
        "cluster_users": "user_ids seen with the cluster",
        "is_ambiguous": "cluster_users >= 2: a shared device or inbox that bridges none of its users",
    },
    "stage_funnel": {**_funnel(), "is_conversion": "this stage is at or past stages.conversion"},
    "stage_funnel_breakdown": {
        "dimension_type": "'attribute' (a key of customers.attributes), 'first_touch_channel' or 'acquisition_week'",
        "dimension": "the dimension: the attribute key, or first_touch_channel / acquisition_week",
        "value": "the group: the attribute value as text, the first event's channel, or the Monday of the first_seen_at week (YYYY-MM-DD); NULL for customers without it",
        **_funnel(),
    },
    "stage_durations": {
        "from_stage": "the stage reached first",
        "to_stage": "the next stage in stages.order",
        "from_stage_index": "0-based position of from_stage in stages.order",
        "customers": "customers who reached from_stage and later to_stage",
        "median_seconds": "median seconds from first reaching from_stage to first reaching to_stage (continuous quantile)",
        "p90_seconds": "90th percentile of those seconds",
        "mean_seconds": "mean of those seconds",
    },
    "stage_transitions": _transitions("stage"),
    "touchpoint_transitions": _transitions("touchpoint"),
    "drop_off": {
        "level": _LEVEL,
        "exit_point": "the stage or touchpoint",
        "stage_index": "0-based position of the stage (stage level only; NULL for touchpoints)",
        "journeys": "customers with any event at the exit point",
        "ended": "customers whose last event is at the exit point",
        "dropped": "of those, customers who did not convert",
        "dropped_active": "dropped customers whose last event is within [metrics] inactive_after_days of the latest event in the data",
        "dropped_inactive": "dropped customers quiet for longer than [metrics] inactive_after_days",
        "drop_rate": "dropped / journeys",
    },
    "exit_paths": {
        "level": _LEVEL,
        "exit_point": "the last touchpoint (level touchpoint) or the stage of the last event (level stage)",
        "path_rank": "1 = the most frequent path at this exit point",
        "path": "the last three runs of the customer's collapsed touchpoint sequence, joined with ' > '",
        "customers": "customers who did not convert and left by this path",
        "share": "customers / customers who did not convert at this exit point",
    },
    "journey_variants": {
        "level": _LEVEL,
        "grain": "'customer' (whole journey) or 'session' (within one session)",
        "variant_rank": "1 = the most frequent variant of this level and grain",
        "variant": "the collapsed sequence joined with ' > '",
        "journeys": "customers (or sessions) with exactly this variant",
        "share": "journeys / all customers (sessions)",
        "converted": "of those, converted customers (or conversion sessions)",
        "conversion_rate": "converted / journeys",
    },
    "touchpoint_loops": {
        "touchpoint": "the touchpoint",
        "events": "events at the touchpoint",
        "journeys": "customers with any event at it",
        "repeats": "events of it directly followed by another event of it (A > A)",
        "customers_repeating": "customers with at least one repeat",
        "loops": "runs of it followed by exactly one other touchpoint and then it again (A > B > A)",
        "customers_looping": "customers with at least one loop",
        "back_steps": "events of it directly followed by an event of an earlier stage",
        "customers_stepping_back": "customers with at least one back step",
        "repeat_rate": "customers_repeating / journeys",
        "loop_rate": "customers_looping / journeys",
        "back_step_rate": "customers_stepping_back / journeys",
    },
    "emotions": {
        "level": "'stage' (every stage, in order: the emotion curve) or 'touchpoint' (those with a signal)",
        "name": "the stage or the touchpoint",
        "stage": "the stage (level stage) or the touchpoint's main stage",
        "stage_index": _STAGE_INDEX,
        "signals": "emotion signals (texts, scores, behaviours) at it",
        "mean_emotion": "mean of all signals, -1 (negative) .. 1 (positive); NULL without signals",
        "share_negative": "share of signals at or below -0.05",
        "texts": "text signals (VADER compound score of the customer's words)",
        "mean_text": "mean of the text signals",
        "scores": "score signals (CSAT, NPS, ratings mapped to -1..1)",
        "mean_score": "mean of the score signals",
        "behaviours": "behaviour signals (unsubscribe, spam report, bounce)",
    },
    "pain_points": _pain_points(),
    "attribution": {
        "level": "'touchpoint' or 'channel'",
        "name": "the touchpoint or channel credited",
        "model": "first_touch, last_touch, linear, position_based or markov",
        "credit": "conversions credited to it under the model (credits of a model add up to conversions)",
        "share": "credit / conversions",
        "conversions": "converted customers (one conversion each, the first)",
        "removal_effect": "markov only: share of conversions lost if it were removed; NULL for the other models",
    },
    "quarantine": {
        "source": "name of the source",
        "file": "input file",
        "line": "line number (line-oriented formats) or record number (others) in the file",
        "position_kind": "'line' or 'record': what line counts",
        "raw": "the raw text of the rejected row",
        "reason": "why it was rejected",
        "run_id": "the first run that quarantined this row",
    },
    "runs": {
        "run_id": "id of the run (r<UTC start time>-<random>)",
        "started_at": "when the run started, UTC",
        "finished_at": "when it finished or failed, UTC",
        "status": "'success' or 'failed'",
        "rows_read": "input rows read, all sources (= loaded + quarantined + duplicate; erased people's rows are not read: rows_suppressed)",
        "rows_loaded": "rows loaded",
        "rows_quarantined": "rows rejected into quarantine",
        "rows_duplicate": "rows dropped as duplicates of an already loaded event",
        "events": "events in the warehouse after the run",
        "customers": "customers after the run",
        "sessions": "sessions after the run",
        "config_path": "the config file the run used",
        "error": "why a failed run failed; NULL on success",
        "rows_suppressed": "rows of erased people in the inputs, dropped at staging and not counted as read (journey forget; NULL for runs before erasure support)",
        "files_new": "input files the published manifest did not list (NULL: runs before incremental runs)",
        "files_changed": "input files whose content (sha256) differs from the manifest's",
        "files_unchanged": "input files with the manifest's content: their staged rows were reused",
        "files_deleted": "files the manifest listed that are gone (their rows removed; kept files not counted)",
        "files_read": "input files actually read and staged this run (new, changed, or not in the staged cache)",
        "rows_new": "rows read from the files read this run",
        "refresh": "'incremental' (only affected customers rebuilt) or 'full' (everything rebuilt)",
        "refresh_reason": "why the run rebuilt everything (NULL for an incremental run)",
        "customers_rebuilt": "incremental run: customers whose rows were rebuilt (before and after ids); NULL for a full one",
        "config_fingerprint": "hash of every setting but paths and resources, and of the code; a change means a full rebuild",
    },
    "run_sources": {
        "run_id": "the run",
        "source": "name of the source",
        "format": "format of the source (events, segment, sendgrid, zendesk, xes, customers)",
        "files": "files read",
        "rows_read": "rows read (= loaded + quarantined + duplicate; erased people's rows are not read: rows_suppressed)",
        "rows_loaded": "rows loaded",
        "rows_quarantined": "rows rejected into quarantine",
        "rows_duplicate": "rows dropped as duplicates",
        "seconds": "seconds spent ingesting the source",
        "rows_suppressed": "rows of erased people in the source's files, dropped at staging and not counted as read (journey forget)",
    },
    "suppressions": {
        "identifier_hash": "hex sha256(key || identifier) of a user_id, anonymous_id or email of an erased person (the key: .<warehouse>.erasure-key)",
        "erasure_id": "the erasure that suppressed it",
        "suppressed_at": "when the erasure was requested, UTC",
    },
    "erasures": {
        "erasure_id": "id of the erasure",
        "erased_at": "when it was requested, UTC",
        "identifier_hash": "hex sha256(key || identifier) of the identifier given to journey forget",
        "identifiers": "identifiers of the person (their stitched cluster) added to suppressions",
        "run_id": "the run that removed the rows and published the outputs",
        "rows_removed": "JSON: rows of the person found per table before the erasure (events, sessions, customers, identity_links, quarantine); derived marts were rebuilt",
    },
    "metric_history": {
        "run_id": "the run",
        "recorded_at": "when the run started, UTC",
        "metric": "stage_customers, stage_conversion (from the previous stage), overall_conversion (conversion stage / first stage), pain_score (top-ranked pain points) or stage_emotion (mean emotion)",
        "item": "the stage, or for pain_score the touchpoint (' / segment' when a segment)",
        "item_index": "stage_index, or for pain_score the rank",
        "value": "the figure: customers, a rate 0..1, a pain score or a mean emotion -1..1",
        "successes": "for a proportion: its numerator (customers at the stage); NULL otherwise",
        "trials": "for a conversion: its denominator (customers at the previous / first stage); pain_score: sessions; stage_emotion: signals",
    },
    "run_steps": {
        "run_id": "the run",
        "step": "'ingest' (one row per input file), 'load' (staged files into stg_events), 'build' "
                "(build_journeys: one row for the whole build, one per model), 'record' (history and runs), "
                "'export' (Parquet export); the report is written after publishing and is not in this table",
        "model": "the table a build model or Python producer wrote (int_*, marts, cfg_*); NULL for a whole step",
        "detail": "the SQL model (layer/name), 'python' for a Python producer, the input file of an ingest row, "
                  "or what a whole step covers",
        "started_at": "when it started, UTC (NULL for an ingest row whose start was not seen by this process)",
        "seconds": "wall-clock seconds",
        "cpu_seconds": "CPU seconds of the whole process meanwhile (all threads, DuckDB's included): steadier than "
                       "wall time when other work shares the machine; NULL for ingest rows",
        "rows": "rows it produced: the model's table, the rows read of an ingest row, stg_events for 'load', "
                "tables exported for 'export'; NULL where not counted",
        "peak_rss_mb": "the process's peak resident memory so far when it ended, in MB (ru_maxrss: a high-water "
                       "mark, not the memory of this step alone); NULL for ingest rows",
    },
    "input_files": {
        "source": "name of the source",
        "file": "path of the file",
        "bytes": "size in bytes",
        "modified_at": "the file's modification time, UTC",
        "sha256": "sha256 of the content",
        "first_run_id": "the first run that read this file with this content",
        "is_deleted": "the file is gone from disk but its rows are kept (its source has keep_deleted_files = true)",
    },
    "partial_customer_stage_reach": {
        "customer_id": "the customer (customers.customer_id)",
        "stage_index": _STAGE_INDEX,
        "reached_at": "when the customer first reached the stage: its first event at this stage or a later one",
    },
    "partial_path_runs": {
        "customer_id": "the customer (customers.customer_id)",
        "level": _LEVEL,
        "node": "the run's stage or touchpoint",
        "next_node": "the next run's stage or touchpoint (NULL after the last run)",
        "seconds": "seconds in the run: its first event to the next run's first event (last run: to the customer's last event)",
        "is_first": "the customer's first run at this level",
        "is_last": "the customer's last run at this level",
    },
    "partial_path_customers": {
        "customer_id": "the customer (customers.customer_id)",
        "first_channel": "channel of the customer's first event",
        "is_converted": "customers.converted",
        "stage_nodes": "the customer's collapsed stage sequence, in order (NULL: no stage run)",
        "touchpoint_nodes": "the customer's collapsed touchpoint sequence, in order (NULL: no touchpoint run)",
    },
    "partial_path_sessions": {
        "customer_id": "the session's customer",
        "session_id": "the session (sessions.session_id)",
        "stage_nodes": "the session's collapsed stage sequence, in order (NULL: no stage step)",
        "touchpoint_nodes": "the session's collapsed touchpoint sequence, in order (NULL: no touchpoint step)",
        "is_converted": "sessions.is_conversion_session",
    },
    "partial_touchpoint_loops": {
        "customer_id": "the customer (customers.customer_id)",
        "touchpoint": "a touchpoint the customer has events at",
        "events": "the customer's events at the touchpoint",
        "repeats": "of those, events directly followed (raw order) by another event of the same touchpoint",
        "loops": "runs of the touchpoint coming back to it after exactly one other touchpoint (A > B > A)",
        "back_steps": "events of the touchpoint directly followed by an event of an earlier stage",
    },
    "partial_touchpoint_events": {
        "customer_id": "the customer (customers.customer_id)",
        "touchpoint": "the touchpoint of the events",
        "stage_index": "the stage of the events (events.stage_index)",
        "channel": "the channel of the events",
        "event_type": "the event type of the events",
        "events": "how many of the customer's events have these values",
    },
    "partial_pain_units": {
        "customer_id": "the customer (customers.customer_id)",
        "touchpoint": "the touchpoint of the unit",
        "dimension": "the segment dimension ('' for the whole touchpoint)",
        "segment_value": "the segment value ('' for the whole touchpoint)",
        "sessions": "the customer's sessions that reach the unit",
        "exit_sessions": "of them, those that end there",
        "repeat_sessions": "of them, those with three or more separate runs of it",
        "support_sessions": "of them, those followed by a support contact within the support window",
        "behaviour_sessions": "of them, those followed by an unsubscribe, spam report or bounce within the window",
        "texts": "text signals of the customer's events in the unit",
        "negative_texts": "of them, the negative ones",
        "scores": "score signals of the customer's events in the unit",
        "low_scores": "of them, the negative ones",
        "followed_tickets": "the customer's support tickets that follow the unit within the window",
        "rated_tickets": "of them, the rated ones",
        "bad_rated_tickets": "of them, the ones rated at or below the negative threshold",
    },
    "partial_pain_dwell": {
        "customer_id": "the customer (customers.customer_id)",
        "touchpoint": "the touchpoint of the unit",
        "dimension": "the segment dimension ('' for the whole touchpoint)",
        "segment_value": "the segment value ('' for the whole touchpoint)",
        "dwell_seconds": "a time to the session's next event, seconds",
        "events": "how many of the customer's events in the unit have it",
    },
    "partial_emotion_signals": {
        "customer_id": "the customer (customers.customer_id)",
        "touchpoint": "the touchpoint of the signals' events",
        "stage_index": "the stage of the signals' events",
        "signal_kind": "'text', 'score' or 'behaviour'",
        "signals": "how many signals",
        "value_sum": "the sum of their values (-1..1 each)",
        "negatives": "how many are at or below the negative threshold",
    },
    "partial_attribution_transitions": {
        "customer_id": "the customer (customers.customer_id)",
        "level": "'touchpoint' or 'channel'",
        "from_state": "a step of the path, or (start)",
        "to_state": "the next step, or (conversion) / (null)",
        "transitions": "how often the customer's path has this pair",
    },
    "partial_attribution_credits": {
        "customer_id": "the converted customer (customers.customer_id)",
        "level": "'touchpoint' or 'channel'",
        "name": "a touchpoint or channel on the customer's path",
        "first_touch": "first-touch credit (1 for the first step)",
        "last_touch": "last-touch credit (1 for the last step)",
        "linear": "linear credit (1 / path length per step)",
        "position_based": "position-based credit (40/20/40)",
    },
    "cfg_stages": {
        "stage_index": _STAGE_INDEX,
        "stage": _STAGE,
        "is_conversion": "at or past stages.conversion",
    },
    "cfg_stage_rules": {
        "rule_index": "0-based index of the rule in the config file",
        "stage": "the stage the rule assigns",
        "stage_index": _STAGE_INDEX,
        "after_stage": "after = S: the rule matches only once the customer's furthest stage before the event is S or later",
        "after_index": "0-based position of after_stage",
        "condition_groups": "how many conditions (channel, event_type, each match/min/max column) are ANDed",
    },
    "cfg_stage_rule_conditions": {
        "rule_index": "the rule (cfg_stage_rules.rule_index)",
        "condition_kind": "channel, event_type, match, min or max",
        "column_name": "the column the condition reads (canonical, or properties.<path>)",
        "json_path": "JSON path into properties when the column is properties.<path>",
        "pattern": "the value or glob (channel, event_type, match)",
        "bound": "the inclusive bound (min, max)",
    },
    "cfg_touchpoint_rules": {
        "rule_index": "0-based index of the rule in the config file",
        "kind": "'glob' or 'regex'",
        "glob_pattern": "the glob matched against the whole raw touchpoint (kind glob)",
        "regex_pattern": "the RE2 regex matched against the whole raw touchpoint (kind regex)",
        "name": "the touchpoint it becomes (may use \\1 for regex groups)",
    },
    "cfg_pain_segments": {
        "dimension": "the entry of [metrics] segment_by (campaign, properties.topic, ...)",
        "column_name": "the canonical column it reads",
        "json_path": "JSON path into properties, for properties.<path>",
    },
}


def table_description(table: str) -> str:
    """'One row per ...' and what the table is for, as one line."""
    grain, what = TABLES[table]
    return f"One row per {grain}. {what}"


# --------------------------------------------------------------------------- DuckDB comments


def sql_string(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters).

    >>> sql_string("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier.

    >>> sql_ident('a"b')
    '"a""b"'
    """
    return '"' + name.replace('"', '""') + '"'


def apply_comments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``COMMENT ON`` every documented table (and its documented columns) that exists on
    ``con`` (main schema, not temporary); returns the tables commented."""
    present = {
        t: {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where table_name = $t and schema_name = 'main' "
            "and not internal", {"t": t}).fetchall()}
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' and not temporary "
            "and database_name = current_database()"
        ).fetchall()
    }
    done = []
    for table in sorted(present):
        if table not in TABLES:
            continue
        con.execute(f"comment on table {sql_ident(table)} is {sql_string(table_description(table))}")
        for column, meaning in COLUMNS.get(table, {}).items():
            if column in present[table]:
                con.execute(f"comment on column {sql_ident(table)}.{sql_ident(column)} is {sql_string(meaning)}")
        done.append(table)
    return done


# --------------------------------------------------------------------------- docs/tables.md


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(types: dict[str, dict[str, str]] | None = None) -> str:
    """docs/tables.md: every table, grouped, with every column's meaning (and type, from
    ``types`` = table -> column -> DuckDB type, when given)."""
    lines = [
        "# Tables",
        "",
        "<!-- GENERATED by `make docs` from src/journey_mining/table_docs.py: do not edit by hand. -->",
        "",
        "Every table of the warehouse (`out/journeys.duckdb`) and of the Parquet export",
        "(`out/parquet/<table>/`, docs/parquet.md). The same descriptions are DuckDB comments in",
        "the warehouse, so the DuckDB CLI or any client shows them:",
        "",
        "```sql",
        "select table_name, comment from duckdb_tables() order by 1;",
        "select column_name, data_type, comment from duckdb_columns() where table_name = 'events';",
        "```",
        "",
        "Definitions behind the numbers: [definitions.md](definitions.md), [metrics.md](metrics.md),",
        "[pain-points.md](pain-points.md), [emotions.md](emotions.md), [attribution.md](attribution.md);",
        "how each table behaves on a re-run: [operations.md](operations.md).",
        "",
    ]
    for group, tables in TABLE_GROUPS.items():
        lines.append(f"- {group}: " + ", ".join(f"[`{t}`](#{t})" for t in tables))
    for group, tables in TABLE_GROUPS.items():
        lines += ["", f"## {group}"]
        for t in tables:
            lines += ["", f"### {t}", "", table_description(t), ""]
            if types and t in types:
                lines += ["| column | type | meaning |", "|---|---|---|"]
                lines += [f"| `{c}` | {types[t].get(c, '')} | {_md(m)} |" for c, m in COLUMNS[t].items()]
            else:
                lines += ["| column | meaning |", "|---|---|"]
                lines += [f"| `{c}` | {_md(m)} |" for c, m in COLUMNS[t].items()]
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, types: dict[str, dict[str, str]] | None = None) -> Path:
    path.write_text(render_markdown(types), encoding="utf-8")
    return path


if __name__ == "__main__":  # make docs
    import sys

    write_markdown(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/tables.md"))
