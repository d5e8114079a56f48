"""Every table a run writes, declared once: what produces it, what it reads, whether it is
temporary, and how it behaves on a re-run (like dlt's ``write_disposition``).

- ``model``: an SQL model ``layer/name`` under ``sql/`` (its dependencies are the declared
  tables its SQL reads, found in the text like dbt's ``ref``), or
- ``function``: a Python producer ``function(con, config, temp)`` (rules loaded from the
  config, label propagation, sentiment scoring, a Markov model); its ``depends_on`` is
  declared here.
- ``temporary``: an intermediate table, dropped as soon as every table reading it is built
  (kept, as a regular table, with ``keep_intermediate``).
- ``write``: ``replace`` (rebuilt from the inputs every run), ``append`` (rows of earlier
  runs are carried over from the published warehouse, this run adds its own), ``history``
  (rebuilt, with first-seen run ids carried from the published warehouse).
- ``stage``: who writes it: ``load`` (:func:`journey_mining.warehouse.load_staged`);
  ``journeys``, ``signals``, ``paths`` (:func:`journey_mining.inference.build_journeys`,
  each stage in dependency order); ``record`` (:func:`journey_mining.warehouse.carry_history`
  and ``record_run``).

Adding a table is one entry here (plus its SQL file or function). The build order, the
clean-up of temporaries and the tables carried from the previous warehouse come from this
registry. A published table's ``description`` is its analyst documentation
(:mod:`journey_mining.table_docs`, written once there); temporaries describe themselves here::

    >>> [t.name for t in build_order()][:3]
    ['cfg_stages', 'cfg_stage_rules', 'cfg_stage_rule_conditions']
    >>> TABLES["events"].depends_on[:2]
    ('int_events', 'int_event_customers')
    >>> sorted(t.name for t in TABLES.values() if t.write == "append")
    ['erasures', 'metric_history', 'run_sources', 'run_steps', 'runs']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import duckdb

from .table_docs import table_description

__all__ = ["Table", "TABLES", "BUILD_STAGES", "build_order", "build_tables", "names", "temporary_tables", "carried_tables",
           "PER_CUSTOMER", "STORED_PARTIALS", "partial_plan"]

Producer = Callable[[duckdb.DuckDBPyConnection, object, bool], None]
WRITES = ("replace", "append", "history")
STAGES = ("load", "journeys", "signals", "paths", "record")
BUILD_STAGES = ("journeys", "signals", "paths")  # built by inference.build_journeys, in this order


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    model: str | None = None  # "layer/name" of an SQL model
    function: Producer | None = None  # or a Python producer (con, config, temp)
    declared_depends_on: tuple[str, ...] = ()  # Python producers only
    temporary: bool = False
    write: str = "replace"
    stage: str = "journeys"

    def __post_init__(self) -> None:
        if self.write not in WRITES or self.stage not in STAGES:
            raise ValueError(f"table {self.name}: write {self.write!r} / stage {self.stage!r}")
        if self.stage in BUILD_STAGES and (self.model is None) == (self.function is None):
            raise ValueError(f"table {self.name}: needs exactly one of model / function")

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The declared tables this one reads (for a model: named in its SQL)."""
        if self.model is None:
            return self.declared_depends_on
        return _model_reads(self.model, self.name)


# --------------------------------------------------------------------------- producers
# (imported lazily: the registry is imported by code that must not pull in everything)


def _stage_rules(con, config, temp):  # noqa: ANN001, ARG001
    from .stages import load_stage_rules

    load_stage_rules(con, config.stages)


def _touchpoint_rules(con, config, temp):  # noqa: ANN001, ARG001
    from .touchpoints import load_touchpoint_rules

    load_touchpoint_rules(con, config.touchpoint_rules)


def _identity_labels(con, config, temp):  # noqa: ANN001, ARG001
    from .identity import propagate_labels

    propagate_labels(con, temp=temp)


def _pain_segments(con, config, temp):  # noqa: ANN001, ARG001
    from .metrics.signals import load_pain_segments

    load_pain_segments(con, config)


def _sentiment_texts(con, config, temp):  # noqa: ANN001, ARG001
    from .metrics.emotions import score_texts

    score_texts(con, temp=temp)


def _markov_credits(con, config, temp):  # noqa: ANN001, ARG001
    from .metrics.attribution import build_markov_credits

    build_markov_credits(con, temp=temp)


def _published(name: str) -> str:
    """A published table's description: its meaning for analysts, kept once in
    :mod:`journey_mining.table_docs` (docs/tables.md and the DuckDB comments)."""
    return table_description(name)


def _t(name: str, description: str | None = None, model: str | None = None, **kw) -> Table:  # noqa: ANN003
    return Table(name, description or _published(name), model, **kw)


def _int(name: str, description: str, **kw) -> Table:  # noqa: ANN003
    return Table(name, description, f"intermediate/{name}", temporary=True, **kw)


def _partial(name: str, **kw) -> Table:  # noqa: ANN003
    """A stored per-customer partial (:data:`STORED_PARTIALS`): an intermediate model that is
    kept in the warehouse (documented in table_docs, never exported)."""
    return Table(name, _published(name), f"intermediate/{name}", **kw)


def _mart(name: str, description: str | None = None, **kw) -> Table:  # noqa: ANN003
    return Table(name, description or _published(name), f"marts/{name}", **kw)



_REGISTRY: tuple[Table, ...] = (
    # ---- load: the staged input files, after duplicates across files are marked
    _t("stg_events", "Loaded events of every source (canonical columns, source file and line).",
       temporary=True, stage="load"),
    _t("stg_profiles", "Loaded profile rows of every `customers` source.", temporary=True, stage="load"),
    _t("stg_quarantine", "Rejected rows of this run's inputs (file, line, raw text, reason).",
       temporary=True, stage="load"),
    # ---- load, incremental runs only (journey_mining.incremental.build_incremental)
    _t("int_incremental_delta_events", "Incremental runs: event rows that may differ from the published warehouse.",
       "intermediate/int_incremental_delta_events", temporary=True, stage="load"),
    _t("int_incremental_prev_clusters", "Incremental runs: the published identity clusters as memberships.",
       "intermediate/int_incremental_prev_clusters", temporary=True, stage="load"),
    _t("int_incremental_affected_identifiers", "Incremental runs: identifiers whose events are rebuilt "
       "(the delta's, closed over published clusters; int_incremental_affected_init/_step until stable).",
       "intermediate/int_incremental_affected_init", temporary=True, stage="load"),
    # ---- journeys: rules from the config
    _t("cfg_stages", function=_stage_rules),
    _t("cfg_stage_rules", function=_stage_rules),
    _t("cfg_stage_rule_conditions", function=_stage_rules),
    _t("cfg_touchpoint_rules", function=_touchpoint_rules),
    # ---- journeys: identities, touchpoints, sessions, stages, the journey marts
    _int("int_events", "Loaded events with an integer event_key for joins."),
    _int("int_profiles", "Profile rows with a stable key (a larger key is a later row)."),
    _int("int_identity_link_evidence", "Pairs of identifiers asserted together by one event or profile row."),
    _int("int_identity_nodes", "The non-user identifiers (anonymous_id, email) seen."),
    _int("int_identity_edges", "Links between non-user identifiers."),
    _t("int_identity_labels", "Each identifier labelled with the smallest identifier of its cluster "
       "(min-label propagation, int_identity_labels_init/_step repeated until stable).",
       function=_identity_labels, declared_depends_on=("int_identity_nodes", "int_identity_edges"), temporary=True),
    _int("int_identity_clusters", "Each non-user identifier with its cluster and the users seen on it."),
    _int("int_event_customers", "The customer of every event."),
    _int("int_event_touchpoints", "The raw and the named touchpoint of every event."),
    _int("int_event_sessions", "Every event's session (gap > sessions.timeout_minutes starts one)."),
    _int("int_stage_condition_checks", "Per event: the stage rules (with conditions) whose condition groups it meets, all of them."),
    _int("int_event_rule_matches", "The stage rules each event matches, in file order."),
    _int("int_stage_levels", "Per customer, the furthest stage before each event."),
    _int("int_event_stages", "The stage of every event (first matching rule, else carried forward)."),
    _int("int_customer_identifiers", "The identifiers of every customer."),
    _int("int_customer_profiles", "Which profile rows describe which customer."),
    _int("int_customer_attributes", "Profile attributes merged per customer (the latest value wins)."),
    _mart("events"),
    _mart("sessions"),
    _mart("customers"),
    _mart("identity_links"),
    # ---- signals: emotions, pain points, attribution (journey_mining.metrics.signals) (emotions, pain points, attribution)
    _t("cfg_pain_segments", function=_pain_segments, stage="signals"),
    _t("int_sentiment_texts", "Each distinct event text scored once (compound sentiment).",
       function=_sentiment_texts, declared_depends_on=("events",), temporary=True, stage="signals"),
    _int("int_sentiment_signals", "One emotion signal per event, normalised to -1..1.", stage="signals"),
    _int("int_pain_event_flow", "Where each event sits in its session and its customer's path.", stage="signals"),
    _int("int_pain_touchpoints", "Each touchpoint's usual stage and channel.", stage="signals"),
    _int("int_pain_event_segments", "Each event's value of every segment dimension.", stage="signals"),
    _int("int_pain_unit_events", "Each event's pain-point units (touchpoint, touchpoint segment).", stage="signals"),
    _int("int_pain_support_contacts", "Support contacts (ticket_created events on the support channel).", stage="signals"),
    _int("int_pain_session_units", "Per session and pain-point unit: exits, repeats, contacts.", stage="signals"),
    _partial("partial_touchpoint_events", stage="signals"),
    _partial("partial_pain_units", stage="signals"),
    _partial("partial_pain_dwell", stage="signals"),
    _partial("partial_emotion_signals", stage="signals"),
    _int("int_pain_unit_signals", "The raw counts behind every pain-point signal (a reduce of the partials).",
         stage="signals"),
    _int("int_pain_unit_scores", "Every pain-point signal's rate, baseline, lift and points.", stage="signals"),
    _mart("emotions", stage="signals"),
    _mart("pain_points", stage="signals"),
    _int("int_attribution_paths", "Each customer's path steps at touchpoint and channel level.", stage="signals"),
    _partial("partial_attribution_transitions", stage="signals"),
    _partial("partial_attribution_credits", stage="signals"),
    _int("int_attribution_transitions", "State-pair counts of the attribution Markov chain.", stage="signals"),
    _t("int_attribution_markov", "Markov credits and removal effects per touchpoint / channel (Python).",
       function=_markov_credits, declared_depends_on=("int_attribution_transitions",), temporary=True,
       stage="signals"),
    _mart("attribution", stage="signals"),
    # ---- paths: funnels, transitions, variants (journey_mining.metrics.paths)
    # map (per customer, kept: STORED_PARTIALS) ...
    _partial("partial_customer_stage_reach", stage="paths"),
    _int("int_path_events", "A customer's events in order with their path flags.", stage="paths"),
    _int("int_path_runs", "Runs of a customer's collapsed stage / touchpoint sequence.", stage="paths"),
    _partial("partial_path_runs", stage="paths"),
    _partial("partial_path_customers", stage="paths"),
    _partial("partial_path_sessions", stage="paths"),
    _partial("partial_touchpoint_loops", stage="paths"),
    # ... and reduce (over the partials)
    _int("int_customer_funnel", "Per customer: the last stage it counts at in the funnel.", stage="paths"),
    _int("int_customer_groups", "Per customer and breakdown dimension: its group.", stage="paths"),
    _int("int_path_transition_counts", "Transition counts per level and node pair.", stage="paths"),
    _mart("stage_funnel", stage="paths"),
    _mart("stage_funnel_breakdown", stage="paths"),
    _mart("stage_durations", stage="paths"),
    _mart("stage_transitions", stage="paths"),
    _mart("touchpoint_transitions", stage="paths"),
    _mart("drop_off", stage="paths"),
    _mart("exit_paths", stage="paths"),
    _mart("journey_variants", stage="paths"),
    _mart("touchpoint_loops", stage="paths"),
    # ---- record: history carried from the published warehouse
    _t("quarantine", write="history", stage="record"),
    _t("input_files", write="history", stage="record"),
    _t("runs", write="append", stage="record"),
    _t("run_sources", write="append", stage="record"),
    _t("run_steps", write="append", stage="record"),
    _t("metric_history", write="append", stage="record"),
    _t("suppressions", write="history", stage="record"),
    _t("erasures", write="append", stage="record"),
    _t("int_metric_history_run", "This run's headline figures, appended to metric_history.",
       "intermediate/int_metric_history_run", temporary=True, stage="record"),
)

TABLES: dict[str, Table] = {t.name: t for t in _REGISTRY}
if len(TABLES) != len(_REGISTRY):
    raise RuntimeError("a table is declared twice")

# The per-customer tables: every row depends only on the events (and rules) of ONE customer,
# so with ``[execution] shards`` they are built per shard of customers (journey_mining.shards,
# docs/scale.md) and the shards' outputs are unioned. Everything else (identity stitching, the
# metrics marts) is built once over all customers. A model listed here must partition by
# customer_id (windows, groups) or work per event.
PER_CUSTOMER: tuple[str, ...] = (
    "int_event_touchpoints", "int_event_sessions", "int_stage_condition_checks", "int_event_rule_matches",
    "int_stage_levels", "int_event_stages", "events", "sessions", "customers",
)

# Stored per-customer partials of the metrics stages (issues 10 and 11): tables KEPT in the
# warehouse (named ``partial_*``, every row carrying ``customer_id``) whose rows for one
# customer depend only on that customer's rows of ``events`` / ``sessions`` / ``customers``
# (and the cfg_* rules). A stage's *map* (:func:`partial_plan`) builds them, with the
# temporaries they read; its *reduce* builds the marts from them (plus cfg_* and
# ``customers``) without reading ``events`` or ``sessions``. An incremental night rebuilds the
# map for the affected customers only and replaces their rows
# (journey_mining.incremental.build_stage_incremental), then runs the reduce. Not exported
# to Parquet; ``journey forget`` rebuilds them without the erased person.
# tests/test_stored_partials.py checks the per-customer property of each.
STORED_PARTIALS: tuple[str, ...] = (
    # signals (emotions, pain points, attribution)
    "partial_touchpoint_events", "partial_pain_units", "partial_pain_dwell", "partial_emotion_signals",
    "partial_attribution_transitions", "partial_attribution_credits",
    # paths (funnels, durations, transitions, variants, loops)
    "partial_customer_stage_reach", "partial_path_runs", "partial_path_customers", "partial_path_sessions",
    "partial_touchpoint_loops",
)


def partial_plan(stage: str) -> tuple[list[str], list[str]]:
    """``(map, reduce)``: the tables of ``stage`` in build order, split into the stored partials
    with every table of the stage they (transitively) read, and the rest.

    >>> partial_plan("paths")[0][:3]
    ['partial_customer_stage_reach', 'int_path_events', 'int_path_runs']
    >>> partial_plan("paths")[1][-1]
    'touchpoint_loops'
    """
    order = build_order(stage)
    in_stage = {t.name for t in order}
    needed = {n for n in STORED_PARTIALS if n in in_stage}
    for t in reversed(order):
        if t.name in needed:
            needed.update(d for d in t.depends_on if d in in_stage)
    return [t.name for t in order if t.name in needed], [t.name for t in order if t.name not in needed]


# --------------------------------------------------------------------------- derived


_FROM = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_CTE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\(", re.IGNORECASE)


@cache
def _model_reads(model: str, own: str) -> tuple[str, ...]:
    """The declared tables an SQL model reads: names after ``from`` / ``join`` that are not
    one of its CTEs in scope there (an import CTE ``events as (select * from events)``
    reads the table ``events`` inside its own body)."""
    from .models import model_sql

    layer, name = model.split("/")
    text = "\n".join(line.split("--", 1)[0] for line in model_sql(layer, name).splitlines())
    ctes: list[tuple[str, int, int]] = []  # name, body start, body end
    for m in _CTE.finditer(text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        ctes.append((m.group(1).lower(), m.end(), i))
    reads: dict[str, None] = {}
    for m in _FROM.finditer(text):
        ref, pos = m.group(1).lower(), m.start()
        if any(n == ref and end < pos for n, _start, end in ctes):
            continue  # a CTE defined above
        if ref in TABLES and ref != own:
            reads[ref] = None
    return tuple(reads)


def build_order(stage: str = "journeys") -> list[Table]:
    """The tables of ``stage`` in dependency order (declaration order among the ready ones);
    tables of earlier stages count as present."""
    todo = [t for t in _REGISTRY if t.stage == stage]
    names = {t.name for t in todo}
    done: set[str] = set()
    order: list[Table] = []
    while todo:
        ready = [t for t in todo if all(d in done or d not in names for d in t.depends_on)]
        if not ready:
            raise RuntimeError(f"tables depend on each other in a cycle: {sorted(t.name for t in todo)}")
        order.append(ready[0])
        done.add(ready[0].name)
        todo.remove(ready[0])
    return order


def temporary_tables(stage: str | None = None) -> list[str]:
    return [t.name for t in _REGISTRY if t.temporary and (stage is None or t.stage == stage)]


def carried_tables(write: str = "append") -> list[str]:
    """The tables whose rows of earlier runs are carried from the published warehouse."""
    return [t.name for t in _REGISTRY if t.write == write]


def _drop(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    for name in names:
        con.execute(f'drop table if exists "{name}"')


def names(stage: str, *, temporary: bool | None = None) -> tuple[str, ...]:
    """The tables of one stage (all, only the temporary or only the kept ones)."""
    return tuple(t.name for t in _REGISTRY if t.stage == stage and (temporary is None or t.temporary == temporary))


def build_tables(
    con: duckdb.DuckDBPyConnection,
    config: object,
    stage: str,
    params: dict[str, object],
    *,
    keep_intermediate: bool = False,
    only: Iterable[str] | None = None,
    partials_temp: bool = False,
) -> list[str]:
    """Build every table of one build ``stage`` in dependency order: models through
    :func:`journey_mining.models.build_table` (each gets the parameters it names from
    ``params``), Python producers once each. A temporary table is dropped as soon as every
    table of the stage reading it is built (with ``keep_intermediate`` it is a regular table
    and stays). ``only``: build just these tables of the stage (a map or a reduce of
    :func:`partial_plan`); ``partials_temp``: build the :data:`STORED_PARTIALS` as temp
    tables (shadowing the stored ones; an incremental map). Returns the names built."""
    from .models import build_table, timed

    order = build_order(stage)
    if only is not None:
        wanted = set(only)
        order = [t for t in order if t.name in wanted]
    temp = not keep_intermediate
    readers: dict[str, int] = {}
    for t in order:
        for d in t.depends_on:
            readers[d] = readers.get(d, 0) + 1
    called: set[int] = set()
    built: list[str] = []
    for t in order:
        if t.model is not None:
            layer, name = t.model.split("/")
            build_table(con, layer, name, params, target=t.name,
                        temp=(temp and t.temporary) or (partials_temp and t.name in STORED_PARTIALS))
        elif id(t.function) not in called:  # one producer may write several tables
            called.add(id(t.function))
            with timed("build", t.name, detail="python"):  # run_steps (models.TIMER)
                t.function(con, config, temp)
        built.append(t.name)
        if keep_intermediate:
            continue
        for d in t.depends_on:
            readers[d] -= 1
            if readers[d] == 0 and TABLES[d].temporary and TABLES[d].stage == stage:
                _drop(con, [d])
    if not keep_intermediate:
        _drop(con, names(stage, temporary=True))
    return built
