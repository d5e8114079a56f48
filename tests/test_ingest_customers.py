"""The `customers` (profiles) reader: identifiers mapped, the rest kept as attributes."""

from __future__ import annotations

from pathlib import Path

from journey_mining.config import SourceConfig
from journey_mining.ingest import SourcePlan, new_connection, stage_source

from .helpers import GOLDEN

G = GOLDEN / "readers" / "customers"


def test_profiles_golden():
    src = SourceConfig("crm", "crm", "customers", str(G / "crm.csv"), columns={"user_id": "CustomerID", "email": "Email"})
    con = new_connection()
    t = stage_source(con, SourcePlan(src, (Path(src.path),)))
    rows = con.sql(
        f"select status, reason, user_id, email, attributes::varchar, source_line from {t} order by source_line"
    ).fetchall()
    assert rows == [
        ("loaded", None, "u1", "ann@example.com", '{"persona":"researcher","segment":"smb"}', 2),
        ("loaded", None, "u2", None, '{"persona":"loyal_fan"}', 3),
        ("loaded", None, None, "bob@x.org", '{"persona":"bargain_hunter","segment":"consumer"}', 4),
        ("quarantined", "no customer identifier: needs one of user_id, anonymous_id, email", None, None, '{"persona":"orphan"}', 5),
    ]
