"""Content of the consultation record (CSP R6316): identities, professionals, date and time,
acts, prescriptions, technical incidents, consent. Plain data; the Qt renderer is
``telecabine.ui.record_pdf``.

Patient identity follows the INS referential (ANS, "Référentiel INS"): the five traits are
always printed; the INS matricule (the NIR) and its OID only when the identity is *qualified*
(an unqualified identity must not carry the INS), otherwise the NIR is printed masked. The
full NIR stays on the billing record, which is where the Assurance Maladie needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import select

from telecabine.domain.billing import act_info
from telecabine.domain.identity import InsStatus
from telecabine.domain.nir import NirError, parse_nir
from telecabine.store.tables import BillingRecordRow


@dataclass(frozen=True)
class RecordLine:
    """One dated line of the record (consent, incident, document, vital sign)."""

    at: datetime | None
    text_fr: str
    text_en: str


@dataclass(frozen=True)
class PatientBlock:
    """The patient's INS traits and how the matricule is shown (FR, EN)."""

    birth_name: str
    first_names: str
    used_name: str | None
    birth_date: date | None
    sex: str | None
    birth_place_insee: str | None
    ins_status: str | None
    matricule_fr: str
    matricule_en: str


@dataclass(frozen=True)
class ConsultationRecord:
    """Everything the PDF prints, in display order."""

    encounter_id: str
    station_id: str
    started_at: datetime
    closed_at: datetime | None
    patient: PatientBlock | None
    doctor: dict[str, Any] | None  # name, rpps, specialty, act_code, outcome, note
    doctor_act_label: tuple[str, str] | None
    doctor_amount: str | None
    accompanying: dict[str, Any] | None  # role, staff_name, rpps, nurse_setting
    accompanying_act: tuple[str, str] | None  # (code, amount) from the billing record
    consents: tuple[RecordLine, ...]
    vitals: tuple[RecordLine, ...]
    prescriptions: tuple[RecordLine, ...]
    incidents: tuple[RecordLine, ...]
    disinfection: dict[str, Any] | None

    @property
    def patient_name(self) -> str:
        """Birth name and birth first names ("—" when no patient)."""
        p = self.patient
        return f"{p.birth_name} {p.first_names}" if p else "—"


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
_ROLE = {
    "pharmacist": ("Pharmacien(ne)", "Pharmacist"),
    "nurse": ("Infirmier(e)", "Nurse"),
    "doctor": ("Médecin", "Doctor"),
    "other": ("Autre professionnel", "Other professional"),
}
# Technical incidents stored by the call session and the consultation (code -> words).
_INCIDENT = {
    "video_frozen": ("Image figée", "Frozen picture"),
    "device_lost": ("Appareil perdu", "Device lost"),
    "reconnect": ("Reconnexion", "Reconnection"),
    "poor_quality": ("Qualité dégradée", "Poor quality"),
    "call_failed": ("Échec de l'appel", "Call failed"),
    "hub_unreachable": ("Serveur injoignable", "Server unreachable"),
    "document_rejected": ("Document refusé", "Document rejected"),
    "print_failed": ("Échec d'impression", "Printing failed"),
    "encounter_not_callable": (
        "Appel refusé (consultation close)",
        "Call refused (encounter over)",
    ),
}


def outcome_words(outcome: str | None) -> tuple[str, str]:
    """(French, English) words for an ``end_call`` outcome."""
    return _OUTCOME.get(outcome or "", (outcome or "—", outcome or "—"))


def role_words(role: str | None) -> tuple[str, str]:
    """(French, English) words for an accompanying role."""
    return _ROLE.get(role or "", (role or "—", role or "—"))


def _matricule(nir: str | None, status: str | None) -> tuple[str, str]:
    """How the NIR is printed: full INS matricule + OID if qualified, else masked."""
    try:
        parsed = parse_nir(nir) if nir else None
    except NirError:
        parsed = None
    try:
        st = InsStatus(status or "provisoire")
    except ValueError:
        st = InsStatus.PROVISOIRE
    label = (st.label_fr, st.label_en)
    if parsed is None:
        return f"NIR : non renseigné — {label[0]}", f"NIR: not given — {label[1]}"
    if st is InsStatus.QUALIFIEE:
        full = parsed.formatted()
        return (f"Matricule INS {full} (OID {parsed.ins_oid}) — {label[0]}",
                f"INS number {full} (OID {parsed.ins_oid}) — {label[1]}")  # fmt: skip
    return (f"NIR {parsed.masked()} — {label[0]} : matricule INS non communiqué",
            f"NIR {parsed.masked()} — {label[1]}: INS number not shown")  # fmt: skip


def _patient(patient: Any) -> PatientBlock | None:
    if patient is None:
        return None
    fr, en = _matricule(patient.nir, patient.ins_status)
    return PatientBlock(
        patient.birth_name, patient.first_names, patient.used_name, patient.birth_date,
        patient.sex, patient.birth_place_insee, patient.ins_status, fr, en,
    )  # fmt: skip


def _billing(store: Any, encounter_id: str) -> dict[str, Any]:
    """The encounter's stored billing record body (empty before closing)."""
    with store.read() as session:
        raw = session.exec(
            select(BillingRecordRow.payload_json).where(
                BillingRecordRow.encounter_id == encounter_id
            )
        ).first()
    return json.loads(raw) if raw else {}


def _incident_line(i: Any) -> RecordLine:
    fr, en = _INCIDENT.get(i.kind, (i.kind, i.kind))
    detail = f" ({i.detail})" if i.detail else ""
    return RecordLine(i.at, f"{fr}{detail}", f"{en}{detail}")


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
    billing = _billing(store, encounter_id)
    acc_billed = billing.get("accompanying") or {}
    consents = tuple(
        RecordLine(
            c.recorded_at,
            f"{'Consentement donné' if c.granted else 'Refus'} ({c.kind}, texte d'information"
            f" version {c.text_version}) par {_GIVEN_BY.get(c.given_by, (c.given_by,))[0]}",
            f"{'Consent given' if c.granted else 'Refusal'} ({c.kind}, information text"
            f" version {c.text_version}) by {_GIVEN_BY.get(c.given_by, (c.given_by,) * 2)[1]}",
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
    return ConsultationRecord(
        encounter_id=encounter_id,
        station_id=enc.station_id,
        started_at=enc.created_at,
        closed_at=enc.closed_at,
        patient=_patient(patient),
        doctor=doctor,
        doctor_act_label=label,
        doctor_amount=(billing.get("doctor") or {}).get("amount"),
        accompanying=wrap.get("accompanying"),
        accompanying_act=(acc_billed["act_code"], acc_billed.get("amount", ""))
        if acc_billed.get("act_code")
        else None,
        consents=consents,
        vitals=vitals,
        prescriptions=prescriptions,
        incidents=tuple(_incident_line(i) for i in repo.incidents(encounter_id)),
        disinfection=wrap.get("disinfection"),
    )
