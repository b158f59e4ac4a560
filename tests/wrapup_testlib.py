"""An encounter ready for wrap-up (patient, consent, vitals, incident, prescription, doctor's
summary) in a real station store; shared by the wrap-up service, PDF and screen tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from telecabine.domain.encounter import EncounterState

SUMMARY = {
    "v": 1, "type": "end_call", "act_code": "TCG", "outcome": "prescription",
    "note": "Angine virale probable, revoir si fièvre > 3 jours.",
    "doctor": {"name": "Dr Paul Lefèvre", "rpps": "10000000001",
               "specialty": "Médecine générale"},
}  # fmt: skip
T_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fake_pdf(text: str = "Ordonnance") -> bytes:
    """Some bytes standing for a received prescription PDF (content is not parsed here)."""
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def encounter_in_wrap_up(store, station_id: str = "cabine-test", summary: dict | None = SUMMARY):
    """Create everything an encounter holds when the doctor hung up; returns its id."""
    p = store.patients.create(
        birth_name="MARTIN", first_names="Jeanne Marie", birth_date=date(1948, 5, 12), sex="F",
        nir="248057512345690", now=T_START,
    )  # fmt: skip
    enc = store.encounters.create(station_id, now=T_START)
    store.encounters.attach_patient(enc.id, p.id, now=T_START)
    store.encounters.add_consent(enc.id, kind="teleconsultation", granted=True,
                                 text_version="2026-01", now=T_START)  # fmt: skip
    store.encounters.add_observation(enc.id, code="8310-5", value=38.4, unit="Cel",
                                     method="device:thermo-1", flag="high",
                                     measured_at=T_START)  # fmt: skip
    store.encounters.add_incident(enc.id, "video_frozen", "caméra otoscope figée 4 s",
                                  now=T_START)  # fmt: skip
    pdf = fake_pdf()
    store.encounters.add_document(enc.id, kind="prescription", filename="ordonnance.pdf",
                                  content=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
                                  now=T_START)  # fmt: skip
    for state in (EncounterState.IDENTIFIED, EncounterState.CONSENTED, EncounterState.IN_CALL,
                  EncounterState.WRAP_UP):  # fmt: skip
        store.encounters.set_state(enc.id, state, now=T_START)
    if summary is not None:
        store.encounters.save_draft(enc.id, "call", {"doctor_summary": summary}, now=T_START)
    return enc.id
