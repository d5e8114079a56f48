"""Erasure and privacy: ``journey forget``, the suppression list, pseudonymised exports.

``journey forget <user_id | email | anonymous_id>`` (:func:`forget`):

1. finds the person in the published warehouse: the customers whose events carry the
   identifier, and every identifier of those customers (their events' user_id,
   anonymous_id and email, and the identity links touching them): the whole stitched
   cluster;
2. hashes each identifier with the warehouse's erasure key (``sha256(key || identifier)``,
   hex; the key is 32 random bytes kept in ``.<warehouse>.erasure-key`` beside the
   warehouse, mode 0600, created by the first erasure) and appends the request (hashes,
   rows found per table, never an identifier) to ``.<warehouse>.erasures-pending.jsonl``;
3. runs the pipeline once (:func:`journey_mining.pipeline.run_pipeline`): the build adds the
   pending hashes to ``suppressions``, staging drops every input row carrying a suppressed
   identifier (counted as ``rows_suppressed``: rows read = loaded + quarantined + duplicate
   + suppressed), every derived table is rebuilt without them, ``erasures`` gets one row,
   and warehouse, Parquet export and report are published atomically like any run.

``suppressions`` is carried from run to run, so later runs keep the person out although
the input files still hold them. A pending request whose run failed is applied by the next
run (requests are idempotent: one ``erasures`` row per ``erasure_id``). See docs/privacy.md.

    >>> identifier_hash("k", "ada@example.com") == hashlib.sha256(b"kada@example.com").hexdigest()
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .errors import ConfigError

__all__ = [
    "identifier_hash", "key_path", "pending_path", "has_unrecorded_requests", "load_key", "prepare_suppressions", "mark_suppressed",
    "record_erasures", "person_identifiers", "forget", "pseudonymize_key", "PSEUDONYMIZE_KEY_ENV",
]

# [export] pseudonymize: the environment variable holding the key (default name)
PSEUDONYMIZE_KEY_ENV = "JOURNEY_PSEUDONYMIZE_KEY"
# what separates the tokens of a quarantined row's raw text that are matched against the
# suppression list (a CSV line, a JSON object)
RAW_TOKEN_SEPARATORS = r"""[\s,;"'{}\[\]()<>|=]+"""
# how many rounds of "identifiers -> customers -> identifiers" forget follows at most
MAX_CLUSTER_ROUNDS = 10


def identifier_hash(key: str, value: str) -> str:
    """The keyed hash of an identifier: hex ``sha256(key || value)`` (UTF-8), the same as
    DuckDB's ``sha256($key || value)``."""
    return hashlib.sha256((key + value).encode("utf-8")).hexdigest()


def key_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.erasure-key")


def pending_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.erasures-pending.jsonl")


def load_key(warehouse: Path, *, create: bool = False) -> str | None:
    """The warehouse's erasure key (None when there is none and ``create`` is false)."""
    path = key_path(warehouse)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key


def _pending(warehouse: Path) -> list[dict]:
    path = pending_path(warehouse)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash mid-write: its forget failed and said so
        if isinstance(rec, dict) and rec.get("erasure_id") and isinstance(rec.get("hashes"), list):
            out.append(rec)
    return out


# --------------------------------------------------------------------------- in a run's build


def prepare_suppressions(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str | None:
    """Create ``suppressions`` (carried from the published warehouse, plus the pending
    requests) and the empty ``erasures`` (its rows are carried like ``runs``) in the build;
    returns the key to match with, None when nothing is suppressed. A suppression list
    without its key cannot be matched: the run fails (one line) rather than let people
    back in."""
    con.execute("create table suppressions (identifier_hash VARCHAR primary key, erasure_id VARCHAR, "
                "suppressed_at TIMESTAMPTZ)")
    con.execute("create table erasures (erasure_id VARCHAR primary key, erased_at TIMESTAMPTZ, "
                "identifier_hash VARCHAR, identifiers BIGINT, run_id VARCHAR, rows_removed JSON)")
    if warehouse.exists():
        con.execute("attach $p as prev_suppressions (read_only)", {"p": str(warehouse)})
        try:
            has = con.execute("select count(*) from duckdb_tables() where database_name = 'prev_suppressions' "
                              "and table_name = 'suppressions'").fetchall()[0][0]
            if has:
                con.execute("insert into suppressions select identifier_hash, erasure_id, suppressed_at "
                            "from prev_suppressions.suppressions")
        finally:
            con.execute("detach prev_suppressions")
    for rec in _pending(warehouse):
        con.executemany(
            "insert into suppressions values (?, ?, ?) on conflict do nothing",
            [[h, rec["erasure_id"], rec["requested_at"]] for h in rec["hashes"]],
        )
    if not con.execute("select count(*) from suppressions").fetchall()[0][0]:
        return None
    key = load_key(warehouse)
    if key is None:
        raise ConfigError(f"the warehouse suppresses erased people but its erasure key {key_path(warehouse)} is "
                          f"missing: restore it from the backup of the warehouse folder (docs/privacy.md)")
    return key


def mark_suppressed(con: duckdb.DuckDBPyConnection, table: str, key: str) -> None:
    """Set ``status = 'suppressed'`` on the staged rows of ``table`` (a temp table of
    staged rows with a ``status`` column) that carry a suppressed identifier: in user_id,
    anonymous_id or email, or, for a quarantined row, as a token of its raw text."""
    columns = " or ".join(f"sha256($k || {c}) in (select identifier_hash from suppressions)"
                          for c in ("user_id", "anonymous_id", "email"))
    con.execute(f"update {table} set status = 'suppressed' where status in ('loaded', 'quarantined') "
                f"and ({columns})", {"k": key})
    con.execute(
        f"""update {table} set status = 'suppressed'
        where status = 'quarantined' and raw is not null and exists (
            select 1 from unnest(regexp_split_to_array(raw, $sep)) t(token)
            where token <> '' and (sha256($k || token) in (select identifier_hash from suppressions)
                or sha256($k || lower(token)) in (select identifier_hash from suppressions))
        )""",
        {"k": key, "sep": RAW_TOKEN_SEPARATORS},
    )


def record_erasures(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str) -> list[str]:
    """One ``erasures`` row per pending request not recorded yet; returns their ids."""
    done = {r[0] for r in con.execute("select erasure_id from erasures").fetchall()}
    new = [r for r in _pending(warehouse) if r["erasure_id"] not in done]
    for rec in new:
        con.execute(
            "insert into erasures values ($id, $at, $h, $n, $run, $rows)",
            {"id": rec["erasure_id"], "at": rec["requested_at"], "h": rec["identifier_hash"],
             "n": len(rec["hashes"]), "run": run_id, "rows": json.dumps(rec.get("rows_removed", {}), sort_keys=True)},
        )
    return [r["erasure_id"] for r in new]


# --------------------------------------------------------------------------- forget


def _normalized(identifier: str) -> list[str]:
    values = [identifier]
    if "@" in identifier and identifier.strip().lower() != identifier:
        values.append(identifier.strip().lower())  # events.email is lower-cased and trimmed
    return values


def person_identifiers(con: duckdb.DuckDBPyConnection, identifier: str) -> tuple[set[str], set[str]]:
    """The person behind ``identifier`` in a published warehouse: (their customer ids,
    every identifier of theirs: the given one, those on their events and those linked to
    them in ``identity_links``), following links until nothing new turns up."""
    ids = set(_normalized(identifier))
    customers: set[str] = set()
    for _ in range(MAX_CLUSTER_ROUNDS):
        before = (len(ids), len(customers))
        found = con.execute(
            """select distinct customer_id from events
               where user_id in (select unnest($ids)) or anonymous_id in (select unnest($ids))
                  or email in (select unnest($ids)) or customer_id in (select unnest($ids))""",
            {"ids": sorted(ids)},
        ).fetchall()
        customers |= {r[0] for r in found if r[0] is not None}
        rows = con.execute(
            """select unnest([user_id, anonymous_id, email]) from events where customer_id in (select unnest($c))
               union select from_value from identity_links
                 where customer_id in (select unnest($c)) or to_value in (select unnest($ids))
               union select to_value from identity_links
                 where customer_id in (select unnest($c)) or from_value in (select unnest($ids))""",
            {"c": sorted(customers) or [""], "ids": sorted(ids)},
        ).fetchall()
        ids |= {r[0] for r in rows if r[0] is not None}
        if (len(ids), len(customers)) == before:
            break
    return customers, ids


def _rows_found(con: duckdb.DuckDBPyConnection, customers: set[str], ids: set[str]) -> dict[str, int]:
    """Rows of the person's in the published warehouse, per table holding people's rows."""
    p = {"c": sorted(customers) or [""], "ids": sorted(ids)}
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where not temporary").fetchall()}
    queries = {
        "events": "select count(*) from events where customer_id in (select unnest($c)) or user_id in "
                  "(select unnest($ids)) or anonymous_id in (select unnest($ids)) or email in (select unnest($ids))",
        "sessions": "select count(*) from sessions where customer_id in (select unnest($c))",
        "customers": "select count(*) from customers where customer_id in (select unnest($c))",
        "identity_links": "select count(*) from identity_links where customer_id in (select unnest($c)) or "
                          "from_value in (select unnest($ids)) or to_value in (select unnest($ids))",
        "quarantine": "select count(*) from quarantine where exists (select 1 from (select unnest($ids)) t(i) "
                      "where contains(raw, i))",
    }
    from .tables import STORED_PARTIALS

    for t in STORED_PARTIALS:  # per-customer partials: rebuilt without the person (full refresh)
        queries[t] = f'select count(*) from "{t}" where customer_id in (select unnest($c))'
    out = {}
    for table, sql in queries.items():
        if table in tables:
            params = {k: v for k, v in p.items() if f"${k}" in sql}
            out[table] = int(con.execute(sql, params).fetchall()[0][0])
    return out


def forget(config, identifier: str, progress=None) -> dict:  # noqa: ANN001 - Config, Progress
    """Erase the person behind ``identifier`` from the warehouse, the Parquet export and the
    report, and keep them out of later runs (see the module docstring); returns the erasure
    record (no identifier in it).

    >>> from journey_mining.config import load_config, sample_config_path
    >>> forget(load_config(sample_config_path()), "   ")
    Traceback (most recent call last):
    ...
    journey_mining.errors.ConfigError: forget: give a user_id, email or anonymous_id
    """
    from .pipeline import run_pipeline

    identifier = identifier.strip()
    if not identifier:
        raise ConfigError("forget: give a user_id, email or anonymous_id")
    warehouse = config.warehouse_path
    customers: set[str] = set()
    ids = set(_normalized(identifier))
    rows: dict[str, int] = {}
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            names = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
            if {"events", "identity_links"} <= names:
                customers, ids = person_identifiers(con, identifier)
                rows = _rows_found(con, customers, ids)
        finally:
            con.close()
    key = load_key(warehouse, create=True)
    record = {
        "erasure_id": uuid.uuid4().hex,
        "requested_at": datetime.now(UTC).isoformat(),
        "identifier_hash": identifier_hash(key, _normalized(identifier)[-1]),
        "hashes": sorted({identifier_hash(key, v) for v in ids}),
        "rows_removed": rows,
    }
    path = pending_path(warehouse)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    result = run_pipeline(config, progress=progress)
    _drop_recorded(warehouse)
    return {"erasure_id": record["erasure_id"], "identifier_hash": record["identifier_hash"],
            "identifiers": len(record["hashes"]), "customers": len(customers), "rows_removed": rows,
            "run_id": result.run_id}


def has_unrecorded_requests(warehouse: Path) -> bool:
    """Whether a ``journey forget`` request waits to be applied: its rows may sit in input
    files that did not change, so the next run must rebuild everything, not only what the
    new files touch (:func:`journey_mining.incremental.full_refresh_reason`)."""
    pending = _pending(warehouse)
    if not pending:
        return False
    if not warehouse.is_file():
        return True
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has = con.execute("select count(*) from duckdb_tables() where table_name = 'erasures'").fetchall()[0][0]
        done = {r[0] for r in con.execute("select erasure_id from erasures").fetchall()} if has else set()
    finally:
        con.close()
    return any(r["erasure_id"] not in done for r in pending)


def _drop_recorded(warehouse: Path) -> None:
    """Remove from the pending file the requests the published warehouse has recorded."""
    pending = _pending(warehouse)
    if not pending:
        return
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        done = {r[0] for r in con.execute("select erasure_id from erasures").fetchall()}
    finally:
        con.close()
    left = [r for r in pending if r["erasure_id"] not in done]
    path = pending_path(warehouse)
    if not left:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in left), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- pseudonymised export


def pseudonymize_key(config) -> str | None:  # noqa: ANN001 - Config
    """The key of ``[export] pseudonymize`` (None when it is off); a missing key is one
    line (exit 2), checked before a run writes anything."""
    if not getattr(config, "pseudonymize", False):
        return None
    env = config.pseudonymize_key_env
    key = os.environ.get(env, "")
    if not key:
        raise ConfigError(f"export.pseudonymize is on but the environment variable {env} (the key) is not set")
    return key
