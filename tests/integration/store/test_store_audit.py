"""Audit chain: append-only, and an edited, deleted or reordered row is detected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import DatabaseError

from telecabine.store import IntegrityProblem


def _fill(store, t0, n=5) -> None:
    for i in range(n):
        store.audit.record(
            f"staff:{i}", "sign_in", "staff", str(i), {"i": i}, now=t0 + timedelta(seconds=i)
        )


def _tamper(store, *sql: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        for s in sql:
            conn.exec_driver_sql(s)


def test_intact_chain_verifies(station_store, t0) -> None:
    _fill(station_store, t0)
    assert station_store.audit.verify_chain() is None
    assert [e.seq for e in station_store.audit.entries()] == [1, 2, 3, 4, 5]


def test_database_refuses_update_and_delete(station_store, t0) -> None:
    _fill(station_store, t0, 2)
    for sql in ("UPDATE audit_log SET actor='x' WHERE seq=1", "DELETE FROM audit_log WHERE seq=1"):
        with pytest.raises(DatabaseError, match="append-only"), station_store.engine.begin() as c:
            c.exec_driver_sql(sql)


def test_edited_row_detected(station_store, t0) -> None:
    _fill(station_store, t0)
    _tamper(station_store, "UPDATE audit_log SET details_json='{\"i\":99}' WHERE seq=3")
    assert station_store.audit.verify_chain() == 3


def test_deleted_row_detected(station_store, t0) -> None:
    _fill(station_store, t0)
    _tamper(station_store, "DELETE FROM audit_log WHERE seq=2")
    assert station_store.audit.verify_chain() == 2


def test_deleted_and_renumbered_rows_detected(station_store, t0) -> None:
    _fill(station_store, t0)
    _tamper(
        station_store,
        "DELETE FROM audit_log WHERE seq=2",
        "UPDATE audit_log SET seq=seq-1 WHERE seq>2",
    )
    assert station_store.audit.verify_chain() == 2


def test_reordered_rows_detected(station_store, t0) -> None:
    _fill(station_store, t0)
    # Swap the content of rows 2 and 4 (everything but seq).
    _tamper(
        station_store,
        "UPDATE audit_log SET seq=-2 WHERE seq=2",
        "UPDATE audit_log SET seq=2 WHERE seq=4",
        "UPDATE audit_log SET seq=4 WHERE seq=-2",
    )
    assert station_store.audit.verify_chain() == 2


def test_details_refuse_patient_fields(station_store) -> None:
    with pytest.raises(IntegrityProblem):
        station_store.audit.record("staff:1", "patient_viewed", "patient", "1", {"nir": "1"})
    assert station_store.audit.count() == 0


def test_truncation_detected_against_an_exported_head(station_store, t0) -> None:
    _fill(station_store, t0)
    head = station_store.audit.head()
    assert head[0] == 5
    assert station_store.audit.find_break(known_head=head) is None
    _tamper(station_store, "DELETE FROM audit_log WHERE seq >= 4")
    assert station_store.audit.find_break() is None  # the chain alone cannot tell
    broken = station_store.audit.find_break(known_head=head)
    assert broken is not None and (broken.seq, broken.reason) == (5, "truncated")
