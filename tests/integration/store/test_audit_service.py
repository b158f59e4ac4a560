"""The named audit events write fixed action names and ids only, and keep the chain valid."""

from __future__ import annotations

from telecabine.services.audit import AuditTrail


def test_named_events_chain_and_carry_no_patient_data(patient_encounter, t0) -> None:
    store, p, e = patient_encounter
    trail = AuditTrail(store)
    trail.patient_created(1, p.id, now=t0)
    trail.patient_viewed(1, p.id, now=t0)
    trail.consent_recorded(1, e.id, granted=True, now=t0)
    trail.call_started(1, e.id, now=t0)
    trail.document_received(e.id, "doc-1", "prescription", now=t0)
    trail.document_printed(1, "doc-1", now=t0)
    trail.call_ended(1, e.id, by="doctor", now=t0)
    trail.export(None, "billing_csv", 3, now=t0)
    trail.settings_changed(1, ["retention_days"], now=t0)
    entries = store.audit.entries()
    assert [x.action for x in entries] == [
        "patient_created", "patient_viewed", "consent_recorded", "call_started",
        "document_received", "document_printed", "call_ended", "export", "settings_changed",
    ]  # fmt: skip
    assert entries[-2].actor == "system"
    assert not any("Zyxquorbelin" in (x.details_json + (x.object_id or "")) for x in entries)
    assert trail.verify() is None
