"""Content of the consultation record (CSP R6316): identities, professionals, date and time,
acts, prescriptions, technical incidents, consent. Plain data; the Qt renderer is
``telecabine.ui.record_pdf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from telecabine.domain.billing import act_info


@dataclass(frozen=True)
class RecordLine:
    """One dated line of the record (consent, incident, document, vital sign)."""

    at: datetime | None
    text_fr: str
    text_en: str


@dataclass(frozen=True)
class ConsultationRecord:
    """Everything the PDF prints, in display order."""

    encounter_id: str
    station_id: str
    started_at: datetime
    closed_at: datetime | None
    patient_name: str
    patient_birth_date: date | None
    patient_nir: str | None
    ins_status: str | None
    doctor: dict[str, Any] | None  # name, rpps, specialty, act_code, outcome, note
    doctor_act_label: tuple[str, str] | None
    accompanying: dict[str, Any] | None  # role, staff_name, rpps, act_code
    consents: tuple[RecordLine, ...]
    vitals: tuple[RecordLine, ...]
    prescriptions: tuple[RecordLine, ...]
    incidents: tuple[RecordLine, ...]
    disinfection: dict[str, Any] | None


_OUTCOME = {
    "prescription": ("Ordonnance", "Prescription"),
    "advice": ("Conseils", "Advice"),
    "referral": ("Orientation vers un confrère", "Referral"),
    "emergency": ("Urgence", "Emergency"),
    "other": ("Autre", "Other"),
}
_GIVEN_BY = {
    "patient": ("le patient", "the patient"),
    "legal_representative": ("le représentant légal", "the legal representative"),
    "trusted_person": ("la personne de confiance", "the trusted person"),
}


def outcome_words(outcome: str | None) -> tuple[str, str]:
    """(French, English) words for an ``end_call`` outcome."""
    return _OUTCOME.get(outcome or "", (outcome or "—", outcome or "—"))


def build_record(store: Any, encounter_id: str, table: Any = None) -> ConsultationRecord:
    """Gather the record of one encounter from the store (repository calls only).

    ``table`` is the station's tariff table (operator copy) for the act labels.
    """
    repo = store.encounters
    enc = repo.get(encounter_id)
    patient = store.patients.get(enc.patient_id) if enc.patient_id is not None else None
    draft = repo.load_draft(encounter_id).data
    wrap = draft.get("wrap_up") or {}
    doctor = wrap.get("doctor") or None
    if doctor is None and draft.get("doctor_summary"):
        s = draft["doctor_summary"]
        doctor = {**(s.get("doctor") or {}), "act_code": s.get("act_code"),
                  "outcome": s.get("outcome"), "note": s.get("note")}  # fmt: skip
    label = None
    if doctor and doctor.get("act_code"):
        info = act_info(doctor["act_code"], table)
        label = (info.label_fr, info.label_en) if info else (doctor["act_code"],) * 2
    consents = tuple(
        RecordLine(
            c.recorded_at,
            f"{'Consentement donné' if c.granted else 'Refus'} ({c.kind}, texte {c.text_version})"
            f" par {_GIVEN_BY.get(c.given_by, (c.given_by,))[0]}",
            f"{'Consent given' if c.granted else 'Refusal'} ({c.kind}, text {c.text_version})"
            f" by {_GIVEN_BY.get(c.given_by, (c.given_by,) * 2)[1]}",
        )
        for c in repo.consents(encounter_id)
    )
    vitals = tuple(
        RecordLine(
            o.measured_at,
            f"{o.code} : {o.value:g} {o.unit} ({o.method})",
            f"{o.code}: {o.value:g} {o.unit} ({o.method})",
        )
        for o in repo.observations(encounter_id)
    )
    prescriptions = tuple(
        RecordLine(
            d.received_at,
            f"{'Ordonnance' if d.kind == 'prescription' else 'Compte rendu'} « {d.filename} »"
            f" ({'imprimé' if d.printed_at else 'non imprimé'}) — SHA-256 {d.sha256[:16]}…",
            f"{'Prescription' if d.kind == 'prescription' else 'Report'} '{d.filename}'"
            f" ({'printed' if d.printed_at else 'not printed'}) — SHA-256 {d.sha256[:16]}…",
        )
        for d in repo.documents(encounter_id)
        if d.kind != "record"
    )
    incidents = tuple(
        RecordLine(i.at, f"{i.kind} {i.detail}".strip(), f"{i.kind} {i.detail}".strip())
        for i in repo.incidents(encounter_id)
    )
    return ConsultationRecord(
        encounter_id=encounter_id,
        station_id=enc.station_id,
        started_at=enc.created_at,
        closed_at=enc.closed_at,
        patient_name=(f"{patient.birth_name} {patient.first_names}" if patient else "—"),
        patient_birth_date=patient.birth_date if patient else None,
        patient_nir=patient.nir if patient else None,
        ins_status=patient.ins_status if patient else None,
        doctor=doctor,
        doctor_act_label=label,
        accompanying=wrap.get("accompanying"),
        consents=consents,
        vitals=vitals,
        prescriptions=prescriptions,
        incidents=incidents,
        disinfection=wrap.get("disinfection"),
    )
