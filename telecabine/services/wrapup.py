"""Wrap-up use-case: doctor's act and outcome, accompanying act, documents printed, cabin
disinfection confirmed, then the encounter is closed with its billing record and outbox row in
ONE transaction (``EncounterRepository.close_consultation``), and the sync worker is woken.

The doctor's act comes from the end-of-call summary (data channel ``end_call``) or is entered by
hand. Amounts come from ``telecabine.domain.billing`` (effective-dated NGAP tariffs). The record
is validated with the hub's own model (``protocol.billing.BillingRecord``) before it is stored,
so a record the hub would refuse never enters the outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pydantic import ValidationError

from telecabine.domain.billing import (
    AccompanyingAct,
    AccompanyingRole,
    Coverage,
    TariffTable,
    accompanying_act,
    compute_coverage,
)
from telecabine.domain.encounter import EncounterState, transition
from telecabine.domain.errors import DomainError
from telecabine.domain.ins import age_on
from telecabine.protocol.billing import BillingRecord
from telecabine.services.billing_ledger import pharmacist_year_to_date, tally_row
from telecabine.services.billing_rules import StationRules
from telecabine.services.wrapup_hints import eligibility_hints
from telecabine.services.wrapup_record import ConsultationRecord, build_record

log = logging.getLogger(__name__)
OUTCOMES = ("prescription", "advice", "referral", "emergency", "other")
# The cabin checklist (key, French, English); every item must be ticked before closing.
DISINFECTION_CHECKLIST: tuple[tuple[str, str, str], ...] = (
    ("surfaces", "Surfaces et accoudoirs désinfectés", "Surfaces and armrests disinfected"),
    ("devices", "Capteurs (tensiomètre, oxymètre, thermomètre) désinfectés",
     "Sensors (cuff, oximeter, thermometer) disinfected"),
    ("scopes", "Otoscope et dermatoscope : embouts changés",
     "Otoscope and dermatoscope: tips replaced"),
    ("screen", "Écran et clavier nettoyés", "Screen and keyboard cleaned"),
)  # fmt: skip


class WrapUpError(DomainError):
    """Something to fix on the wrap-up screen (bilingual, names the field)."""


@dataclass(frozen=True)
class DoctorAct:
    """The teleconsulting doctor and what was billed and decided."""

    name: str
    rpps: str
    specialty: str
    act_code: str
    outcome: str
    note: str | None = None
    from_summary: bool = False  # True when it came from the doctor's end-of-call summary


@dataclass(frozen=True)
class Disinfection:
    """Cabin disinfection confirmed: which checklist items, when, by whom."""

    items: tuple[str, ...]
    at: datetime
    by: str


@dataclass
class WrapUpForm:
    """Everything the staff confirms on the wrap-up screen."""

    doctor: DoctorAct | None
    accompanying_role: str
    staff_name: str
    staff_rpps: str | None = None
    staff_am_number: str | None = None
    nurse_setting: str | None = None
    in_parcours: bool = True
    exoneration: str | None = None
    has_complementary: bool = True
    printed_document_ids: list[str] = field(default_factory=list)
    disinfection: Disinfection | None = None


@dataclass(frozen=True)
class DocumentLine:
    """A document of the encounter as the wrap-up screen lists it."""

    id: str
    kind: str
    filename: str
    printed: bool


@dataclass(frozen=True)
class WrapUpContext:
    """What the screen shows when it opens: the doctor's summary, documents, act date."""

    encounter_id: str
    summary_act: DoctorAct | None
    documents: tuple[DocumentLine, ...]
    act_date: date
    in_parcours_hint: bool | None
    exoneration_hint: str | None = None  # "ald" / "maternity" / "ehpad" from the intake answers
    eligibility_fr: str = ""  # the parcours decision in one sentence (intake answers, act date)
    eligibility_en: str = ""


@dataclass(frozen=True)
class Closed:
    """The encounter is closed: its billing record (uuid = Idempotency-Key) and body."""

    record_uuid: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Preview:
    """The split the wrap-up screen shows before closing."""

    coverage: Coverage
    accompanying: AccompanyingAct
    # TLM already used this year and where the figure comes from: "hub" (every cabin of the
    # pharmacy) or "station" (this cabin's own count, hub unreachable). None: not a pharmacist.
    tlm_used: Any = None
    tlm_source: str | None = None


@dataclass(frozen=True)
class _Amounts:
    patient: Any
    on: date
    accompanying: AccompanyingAct
    coverage: Coverage
    tlm_used: Any = None
    tlm_source: str | None = None


def act_from_summary(summary: dict[str, Any] | None) -> DoctorAct | None:
    """The doctor's act from the data-channel ``end_call`` summary, None when absent."""
    if not summary or not summary.get("act_code"):
        return None
    doctor = summary.get("doctor") or {}
    return DoctorAct(
        name=str(doctor.get("name", "")),
        rpps=str(doctor.get("rpps", "")),
        specialty=str(doctor.get("specialty", "")),
        act_code=str(summary["act_code"]).upper(),
        outcome=str(summary.get("outcome", "other")),
        note=summary.get("note"),
        from_summary=True,
    )


def _error(code: str, fr: str, en: str, fld: str) -> WrapUpError:
    return WrapUpError(f"wrapup.{code}", fr, en, field=fld)


def _check_form(form: WrapUpForm) -> DoctorAct:
    doctor = form.doctor
    if doctor is None or not doctor.act_code:
        raise _error("doctor_act", "Indiquez l'acte du médecin (ex. TCG).",
                     "Enter the doctor's act (e.g. TCG).", "act_code")  # fmt: skip
    if doctor.outcome not in OUTCOMES:
        raise _error("outcome", "Indiquez l'issue de la consultation.",
                     "Select the outcome of the consultation.", "outcome")  # fmt: skip
    if not form.staff_name.strip():
        raise _error("staff", "Indiquez qui accompagnait le patient.",
                     "Enter who accompanied the patient.", "staff_name")  # fmt: skip
    d = form.disinfection
    missing = [k for k, _, _ in DISINFECTION_CHECKLIST if d is None or k not in d.items]
    if d is None or missing or not d.by.strip():
        raise _error("disinfection", "Confirmez la désinfection de la cabine (toute la liste).",
                     "Confirm the cabin disinfection (the whole checklist).",
                     "disinfection")  # fmt: skip
    return doctor


class WrapUpService:
    """What the wrap-up screen calls; ``store`` is the station ``Store``."""

    def __init__(
        self,
        store: Any,
        *,
        station_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_closed: Callable[[Closed], None] | None = None,
        tariffs: TariffTable | None = None,
        rules: StationRules | None = None,
        tz: tzinfo | None = None,
        org_tlm_used: Callable[[int], Any] | None = None,
        on_record_attached: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        # The pharmacy's TLM used this year across its cabins, as last fetched from the hub
        # (services.tlm_allowance.OrgAllowanceCache.get); None when unknown or stale (offline).
        self._org_tlm_used = org_tlm_used
        self._on_record_attached = on_record_attached  # e.g. the report to the médecin traitant
        self._station_id = station_id
        self._clock = clock
        self._on_closed = on_closed  # e.g. SyncWorker.wake
        # Operator copies (settings tariffs_path / parcours_rules_path) when given, validated at
        # start by services.billing_rules; None = packaged data.
        self._tariffs = tariffs or (rules.tariffs if rules else None)
        self._parcours = rules.parcours if rules else None
        # The act's date is the cabin's calendar day (None = the station's local time zone, set
        # to Europe/Paris on a French cabin): a 00:30 consultation on 1 January is billed at the
        # new year's tariff and counts in the new year's TLM cap, not the UTC day before.
        self._tz = tz

    def act_date(self, enc: Any) -> date:
        """The calendar day of the act in the cabin's time zone (encounter start)."""
        return enc.created_at.astimezone(self._tz).date()

    def load(self, encounter_id: str) -> WrapUpContext:
        """Summary from the call, documents received, act date (the encounter's day)."""
        enc = self._store.encounters.get(encounter_id)
        draft = self._store.encounters.load_draft(encounter_id).data
        docs = tuple(
            DocumentLine(d.id, d.kind, d.filename, d.printed_at is not None)
            for d in self._store.encounters.documents(encounter_id)
            if d.kind != "record"
        )
        on = self.act_date(enc)
        patient = self._store.patients.get(enc.patient_id) if enc.patient_id else None
        hints = eligibility_hints(
            draft, patient.birth_date if patient else None, on, self._parcours
        )
        return WrapUpContext(
            encounter_id=encounter_id,
            summary_act=act_from_summary(draft.get("doctor_summary")),
            documents=docs,
            act_date=on,
            in_parcours_hint=hints.in_parcours,
            exoneration_hint=hints.exoneration,
            eligibility_fr=hints.explanation_fr,
            eligibility_en=hints.explanation_en,
        )

    def _amounts(self, encounter_id: str, form: WrapUpForm, doctor: DoctorAct) -> _Amounts:
        enc = self._store.encounters.get(encounter_id)
        if enc.patient_id is None:
            raise _error("patient", "Aucun patient identifié pour cette consultation.",
                         "No patient identified for this encounter.", "patient")  # fmt: skip
        patient = self._store.patients.get(enc.patient_id)
        on = self.act_date(enc)
        try:
            role = AccompanyingRole(form.accompanying_role)
            # The 750 EUR/year TLM cap: what this cabin already billed this calendar year.
            ytd, source = (
                self._tlm_year_to_date(on.year)
                if role is AccompanyingRole.PHARMACIST
                else (None, None)
            )
            acc = accompanying_act(
                role, on, nurse_setting=form.nurse_setting, table=self._tariffs,
                **({"pharmacist_year_to_date": ytd} if ytd is not None else {}),
            )  # fmt: skip
            coverage = compute_coverage(
                doctor.act_code, on, eligibility=form.in_parcours, exoneration=form.exoneration,
                specialty=doctor.specialty or None, has_complementary=form.has_complementary,
                patient_age=age_on(patient.birth_date, on), table=self._tariffs,
            )  # fmt: skip
        except WrapUpError:
            raise
        except DomainError as exc:  # unknown act that day, nurse setting missing...
            raise WrapUpError(
                exc.code, exc.message_fr, exc.message_en, field=exc.field or "act_code"
            ) from None
        return _Amounts(patient, on, acc, coverage, ytd, source)

    def _tlm_year_to_date(self, year: int) -> tuple[Any, str]:
        """(TLM used this year, "hub" | "station"): the pharmacy's figure when the hub gave
        one recently, never below this cabin's own count (records not yet synced)."""
        local = pharmacist_year_to_date(self._store, self._station_id, year)
        org = self._org_tlm_used(year) if self._org_tlm_used is not None else None
        return (max(org, local), "hub") if org is not None else (local, "station")

    def preview(self, encounter_id: str, form: WrapUpForm) -> Preview:
        """Who pays what with the form as it stands (no checklist needed); ``WrapUpError`` if
        the act cannot be priced yet (no act, unknown act that day, nurse setting missing)."""
        doctor = form.doctor
        if doctor is None or not doctor.act_code:
            raise _error("doctor_act", "Indiquez l'acte du médecin (ex. TCG).",
                         "Enter the doctor's act (e.g. TCG).", "act_code")  # fmt: skip
        amounts = self._amounts(encounter_id, form, doctor)
        return Preview(amounts.coverage, amounts.accompanying, amounts.tlm_used, amounts.tlm_source)

    def billing_payload(self, encounter_id: str, form: WrapUpForm, record_uuid: str) -> dict:
        """The billing record body (validated like the hub does); raises ``WrapUpError``."""
        doctor = _check_form(form)
        amounts = self._amounts(encounter_id, form, doctor)
        patient, on, acc, coverage = (
            amounts.patient,
            amounts.on,
            amounts.accompanying,
            amounts.coverage,
        )
        payload = {
            "record_uuid": record_uuid,
            "station_id": self._station_id,
            "encounter_id": encounter_id,
            "created_at": self._clock().isoformat(),
            "act_date": on.isoformat(),
            "patient": {
                "birth_name": patient.birth_name,
                "first_names": patient.first_names,
                "nir": patient.nir,
                "birth_date": patient.birth_date.isoformat(),
                "rang_gemellaire": None,
            },
            "accompanying": {
                "role": acc.role.value,  # values match the billing record
                "staff_name": form.staff_name.strip(),
                "rpps": form.staff_rpps or None,
                "am_number": form.staff_am_number or None,
                "act_code": acc.act_code,
                "amount": f"{acc.amount:.2f}",
            },
            "doctor": {
                "name": doctor.name,
                "rpps": doctor.rpps,
                "specialty": doctor.specialty or "Médecine générale",
                "act_code": doctor.act_code,
                "amount": f"{coverage.tariff:.2f}",
            },
            "coverage": coverage.as_record(),
            "exoneration": form.exoneration,
            "in_parcours": form.in_parcours,
            "currency": "EUR",
        }
        try:
            BillingRecord.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise _error("record_invalid",
                         f"Enregistrement de facturation incomplet ({where}).",
                         f"Billing record incomplete ({where}).", where) from None  # fmt: skip
        return payload

    def close(self, encounter_id: str, form: WrapUpForm, actor: str = "staff") -> Closed:
        """Validate, then close in ONE store transaction: the state machine's check (on the
        row read inside it), documents marked printed, the wrap-up, the billing record and its
        outbox row, the pharmacist's yearly TLM tally. A failure leaves none of it written."""
        record_uuid = str(uuid.uuid4())
        payload = self.billing_payload(encounter_id, form, record_uuid)
        data = dict(self._store.encounters.load_draft(encounter_id).data)
        data["wrap_up"] = _wrap_up_json(form)

        def check_state(state: str) -> None:  # the domain state machine decides
            try:  # only wrap_up -> closed is legal
                transition(EncounterState(state), EncounterState.CLOSED)
            except DomainError as exc:
                raise WrapUpError(exc.code, exc.message_fr, exc.message_en, field="state") from None

        self._store.encounters.close_consultation(
            encounter_id, payload, record_uuid, self._clock(),
            printed_document_ids=tuple(form.printed_document_ids), draft_data=data,
            tally=tally_row(payload), check_state=check_state, actor=actor,
        )  # fmt: skip
        closed = Closed(record_uuid, payload)
        if self._on_closed is not None:
            self._on_closed(closed)
        return closed

    def record(self, encounter_id: str) -> ConsultationRecord:
        """The consultation record's content (CSP R6316) for the PDF renderer."""
        return build_record(self._store, encounter_id, self._tariffs)

    def note_print_failed(self, encounter_id: str, error: str) -> None:
        """A print of the record failed: a technical incident of the encounter (no content)."""
        self._store.encounters.add_incident(encounter_id, "print_failed", error, self._clock())

    def attach_record_pdf(self, encounter_id: str, pdf: bytes) -> str:
        """Keep the rendered consultation record PDF with the encounter; returns its id."""
        doc = self._store.encounters.add_document(
            encounter_id, kind="record", filename="compte-rendu.pdf", content=pdf,
            now=self._clock(),
        )  # fmt: skip
        if self._on_record_attached is not None:
            self._on_record_attached(encounter_id)
        return doc.id


def _wrap_up_json(form: WrapUpForm) -> dict[str, Any]:
    d, doc = form.disinfection, form.doctor
    return {
        "doctor": None if doc is None else {
            "name": doc.name, "rpps": doc.rpps, "specialty": doc.specialty,
            "act_code": doc.act_code, "outcome": doc.outcome, "note": doc.note,
            "from_summary": doc.from_summary,
        },
        "accompanying": {"role": form.accompanying_role, "staff_name": form.staff_name,
                         "rpps": form.staff_rpps, "nurse_setting": form.nurse_setting},
        "coverage": {"in_parcours": form.in_parcours, "exoneration": form.exoneration,
                     "has_complementary": form.has_complementary},
        "printed_document_ids": list(form.printed_document_ids),
        "disinfection": None if d is None else {
            "items": list(d.items), "at": d.at.isoformat(), "by": d.by,
        },
    }  # fmt: skip
