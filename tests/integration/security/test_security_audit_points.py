"""Audit emit points outside the call: patient viewed on resume, billing export (issue 9)."""

from __future__ import annotations

from datetime import date

from telecabine.cli import main
from telecabine.config import load_settings
from telecabine.services.audit import AuditTrail
from telecabine.services.intake import IntakeContext, IntakeService
from telecabine.store import open_store

FORM = {"birth_name": "DUPONT", "first_names": "Jean", "birth_date": "12/05/1984", "sex": "M",
        "birth_place_insee": "75123", "nir": "184057512345625"}  # fmt: skip


def test_resuming_an_identified_draft_records_patient_viewed(station_store):
    s = station_store
    svc = IntakeService(s.encounters, s.patients, "cab", today=lambda: date(2026, 11, 23),
                        audit=AuditTrail(s))  # fmt: skip
    ctx = svc.start(IntakeContext(staff_id=None))
    for name, value in FORM.items():
        svc.update(ctx, "form", name, value)
    svc.identify(ctx)
    fresh = svc.resume(ctx.encounter_id, IntakeContext(staff_id=None))
    assert fresh.patient_id == ctx.patient_id
    actions = [(e.action, e.object_id) for e in s.audit.entries()]
    assert actions == [("patient_created", str(ctx.patient_id)),
                       ("patient_viewed", str(ctx.patient_id))]  # fmt: skip
    svc.resume(svc.start(IntakeContext()).encounter_id, IntakeContext())  # no patient yet
    assert len(s.audit.entries()) == 2


def test_billing_export_is_audited_with_its_count(data_dir, capsys):
    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True)
    store = open_store(settings)
    try:
        e = store.encounters.create("cab")
        store.encounters.close_with_billing(e.id, {"record_uuid": "u-1"}, "u-1")
    finally:
        store.close()
    assert main(["--data-dir", str(data_dir), "export", "billing"]) == 0
    capsys.readouterr()
    store = open_store(settings)
    try:
        last = store.audit.entries()[-1]
        assert last.action == "export" and '"count":1' in last.details_json
        assert store.audit.verify_chain() is None
    finally:
        store.close()
