"""Identity stitching (CONTRACT.md section 4): which customer each event belongs to.

Identifiers are typed: ``user_id``, ``anonymous_id``, ``email``. Two identifiers on one event
or one profile row are linked (``int_identity_link_evidence``). The non-user identifiers
form *clusters*: connected components of anonymous_id/email links, found in SQL by min-label
propagation (``int_identity_labels_step``, repeated until no label changes). Then:

- an event with a user_id belongs to that user;
- otherwise its cluster decides: with no user_id seen on the cluster, an anonymous customer
  ``'anon:' || left(md5(<smallest 'type:value' of the cluster>), 16)``; with one, that user;
  with several (a shared device or inbox; the cluster is *ambiguous* and bridges nobody), the
  user last seen on an event of the cluster before this one, else the first one after.

So two different user_ids are never merged. ``customer_id`` is the user_id when there is one::

    >>> import duckdb
    >>> duckdb.sql("select 'anon:' || left(md5('anonymous_id:c1'), 16)").fetchall()[0][0]
    'anon:22154871a4702dca'
"""

from __future__ import annotations

import duckdb

from .models import build_table

__all__ = ["propagate_labels"]

def propagate_labels(con: duckdb.DuckDBPyConnection, *, temp: bool = True) -> int:
    """Label every identifier with the smallest identifier of its cluster; return the rounds.

    Each round is one set-based SQL statement; labels only decrease, so it terminates, and
    it stops at the first round that changes nothing.
    """
    build_table(con, "intermediate", "int_identity_labels_init", target="int_identity_labels", temp=temp)
    rounds = 0
    while True:
        rounds += 1
        build_table(
            con, "intermediate", "int_identity_labels_step", target="int_identity_labels_next", temp=temp
        )
        changed = con.execute(
            "select count(*) from int_identity_labels_next where is_changed"
        ).fetchone()[0]
        con.execute("drop table int_identity_labels")
        con.execute("alter table int_identity_labels_next rename to int_identity_labels")
        if not changed:
            return rounds
