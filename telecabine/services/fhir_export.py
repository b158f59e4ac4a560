"""FHIR R4 export of one encounter (``telecabine export fhir --encounter ID``).

Reads the encounter, its patient, vitals, consents, documents and the professionals of its
billing record from the encrypted store, and maps them with :mod:`telecabine.domain.fhir`.
The export holds patient data: it goes where the user asks (stdout or a file she names) and
every export is written to the audit trail (ids only).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from telecabine.domain.fhir import (
    ConsentFacts,
    DocumentFacts,
    EncounterFacts,
    PatientFacts,
    ProfessionalFacts,
    VitalFacts,
    encounter_bundle,
)

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.store.engine import Store


def encounter_facts(store: Store, encounter_id: str) -> EncounterFacts:
    """Everything the Bundle needs, read through the store's repositories."""
    encounters = store.encounters
    enc = encounters.get(encounter_id)  # NotFoundError for an unknown id
    patient = None
    if enc.patient_id is not None:
        p = store.patients.get(enc.patient_id)
        patient = PatientFacts(
            birth_name=p.birth_name, first_names=p.first_names, birth_date=p.birth_date,
            sex=p.sex, used_name=p.used_name, nir=p.nir, ins_status=p.ins_status,
            birth_place_insee=p.birth_place_insee,
        )  # fmt: skip
    reason = None
    try:
        reason = json.loads(enc.draft_json or "{}").get("reason") or None
    except ValueError:
        reason = None
    return EncounterFacts(
        encounter_id=enc.id,
        station_id=enc.station_id,
        state=enc.state,
        started_at=enc.created_at,
        ended_at=enc.closed_at,
        patient=patient,
        vitals=[
            VitalFacts(o.code, o.value, o.unit, o.method, o.measured_at, o.flag)
            for o in encounters.observations(encounter_id)
        ],
        professionals=_professionals(encounters.billing_payload(encounter_id)),
        consents=[
            ConsentFacts(c.kind, c.granted, c.given_by, c.recorded_at, c.text_version)
            for c in encounters.consents(encounter_id)
        ],
        documents=[
            DocumentFacts(d.id, d.kind, d.filename, d.sha256, d.content, d.received_at)
            for d in encounters.documents(encounter_id)
        ],
        reason=reason,
    )


def _professionals(payload_json: str | None) -> list[ProfessionalFacts]:
    """The doctor and the accompanying professional named on the billing record."""
    if not payload_json:
        return []
    record = json.loads(payload_json)
    pros = []
    doctor = record.get("doctor") or {}
    if doctor.get("name"):
        pros.append(
            ProfessionalFacts(doctor["name"], "doctor", doctor.get("rpps"), doctor.get("specialty"))
        )
    acc = record.get("accompanying") or {}
    if acc.get("staff_name"):
        pros.append(ProfessionalFacts(acc["staff_name"], acc.get("role", "other"), acc.get("rpps")))
    return pros


def export_bundle(store: Store, encounter_id: str, now: datetime | None = None) -> dict:
    """The encounter's FHIR R4 Bundle as a JSON-ready dict."""
    facts = encounter_facts(store, encounter_id)
    return encounter_bundle(facts, now=now or datetime.now(UTC))


def run_fhir_export_command(
    settings: Settings, encounter_id: str, output: Path | None, out: TextIO | None = None
) -> int:
    """Handler of ``telecabine export fhir --encounter ID [--output FILE]``; exit code."""
    from telecabine.services.audit import AuditTrail
    from telecabine.store.engine import open_store
    from telecabine.store.errors import NotFoundError, StoreError

    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        try:
            bundle = export_bundle(store, encounter_id)
        except NotFoundError:
            print(
                f"Consultation inconnue : {encounter_id}\nUnknown encounter: {encounter_id}",
                file=sys.stderr,
            )
            return 2
        text = json.dumps(bundle, ensure_ascii=False, indent=2)
        if output is not None:
            output.write_text(text + "\n", encoding="utf-8")
            output.chmod(0o600)
        else:
            (out or sys.stdout).write(text + "\n")
        AuditTrail(store).export(None, "fhir_bundle", 1)
    finally:
        store.close()
    n = len(bundle["entry"])
    print(f"Bundle FHIR R4 : {n} ressource(s) / FHIR R4 Bundle: {n} resource(s)", file=sys.stderr)
    return 0
