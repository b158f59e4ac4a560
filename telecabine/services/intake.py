"""The intake use-case: encounter, crash-safe draft, identity, consent, eligibility, resume.

The UI hands raw form values to :class:`IntakeService`; every change is saved as the
encounter's draft (debounced, :data:`DRAFT_DEBOUNCE_S`) and every step at once, so a station
killed mid-intake offers the encounter back with everything typed (issue 3 item 9). Validation
is the domain's (``domain.identity``, ``domain.consent``, ``domain.eligibility``); errors come
back as values carrying French and English messages, and nothing is half-saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Protocol

from telecabine.domain.consent import (
    ConsentDecision,
    ConsentGiver,
    current_information_text,
    record_consent,
)
from telecabine.domain.eligibility import EligibilityResult, PatientSituation, evaluate
from telecabine.domain.encounter import CONSENT_REFUSED, EncounterState, can_transition
from telecabine.domain.errors import DomainError
from telecabine.domain.identity import (
    IdentityInputError,
    IdentityWarning,
    ManualEntry,
    PatientIdentity,
    acknowledge,
    age_band,
    pending_warnings,
    validate_manual_entry,
)

DRAFT_DEBOUNCE_S = 0.3
IDENTITY_FIELDS = (
    "birth_name",
    "first_names",
    "used_name",
    "birth_date",
    "sex",
    "birth_place_insee",
    "nir",
    "no_nir_reason",
)
SITUATION_FIELDS = tuple(
    f.name for f in fields(PatientSituation) if f.name not in ("birth_date", "age")
)


class EncounterStore(Protocol):
    """What intake needs from ``store.repositories.encounters.EncounterRepository``."""

    def create(self, station_id: str, staff_id: int | None = None) -> Any: ...
    def get(self, encounter_id: str) -> Any: ...
    def set_state(self, encounter_id: str, state: str, *, abandon_reason: str | None = None,
                  expected_from: str | None = None) -> Any: ...  # fmt: skip
    def attach_patient(self, encounter_id: str, patient_id: int) -> Any: ...
    def save_draft(self, encounter_id: str, step: str, data: dict[str, Any]) -> None: ...
    def load_draft(self, encounter_id: str) -> Any: ...
    def find_resumable(self, station_id: str | None = None) -> list[Any]: ...
    def add_consent(self, encounter_id: str, **kw: Any) -> Any: ...


class PatientStore(Protocol):
    """What intake needs from ``store.repositories.patients.PatientRepository``."""

    def create(self, **kw: Any) -> Any: ...
    def update(self, patient_id: int, **kw: Any) -> Any: ...


class IntakeAudit(Protocol):
    """The audit events intake writes (``services.audit.AuditTrail``)."""

    def patient_created(self, staff_id: int | None, patient_id: int) -> Any: ...
    def patient_viewed(self, staff_id: int | None, patient_id: int) -> Any: ...
    def consent_recorded(self, staff_id: int | None, encounter_id: str, granted: bool) -> Any: ...


@dataclass
class IntakeContext(Mapping):
    """The current encounter as screens see it (attributes, or keys like a mapping)."""

    encounter_id: str | None = None
    lang: str = "fr"
    step: str = "home"
    state: str = "created"
    form: dict[str, str] = field(default_factory=dict)
    situation: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    consent: dict[str, Any] | None = None
    patient_id: int | None = None
    identity: PatientIdentity | None = None
    eligibility: EligibilityResult | None = None
    reason: str = ""
    age_band: str = "?"
    flagged_vitals: list[str] = field(default_factory=list)
    staff_id: int | None = None
    staff_name: str = ""
    staff_role: str | None = None
    staff_rpps: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:  # no patient data in logs
        return f"IntakeContext(encounter_id={self.encounter_id}, step={self.step})"

    @staticmethod
    def _keys() -> tuple[str, ...]:
        return tuple(f.name for f in fields(IntakeContext))

    def draft(self) -> dict[str, Any]:
        """What the draft stores (JSON-safe): raw form, situation, overrides, consent, reason."""
        return {
            "form": dict(self.form),
            "situation": dict(self.situation),
            "overrides": dict(self.overrides),
            "consent": self.consent,
            "patient_id": self.patient_id,
            "reason": self.reason,
            "lang": self.lang,
        }


@dataclass(frozen=True)
class FormCheck:
    """The result of checking the identity form: per-field errors, cross-check warnings."""

    identity: PatientIdentity | None
    errors: dict[str, DomainError]
    warnings: list[IdentityWarning]

    @property
    def ok(self) -> bool:
        """No error and every warning overridden."""
        return self.identity is not None and not self.errors and not self.warnings


@dataclass(frozen=True)
class ResumeOffer:
    """An encounter left open (crash, power cut) that the station can resume."""

    encounter_id: str
    step: str | None
    state: str
    created_at: datetime


class IntakeError(DomainError):
    """An intake step that cannot go ahead as entered (message fit for the screen)."""


def _entry(form: Mapping[str, str]) -> ManualEntry:
    return ManualEntry(
        birth_name=form.get("birth_name", ""),
        birth_first_names=form.get("first_names", ""),
        birth_date=form.get("birth_date", ""),
        sex=form.get("sex", ""),
        birth_place_insee=form.get("birth_place_insee", ""),
        nir=form.get("nir", ""),
        no_nir_reason=form.get("no_nir_reason") or None,
    )


def check_form(form: Mapping[str, str], overrides: Mapping[str, str], today: date) -> FormCheck:
    """Validate the identity form; warnings already overridden (code → reason) are applied."""
    try:
        identity = validate_manual_entry(_entry(form), today=today)
    except IdentityInputError as exc:
        by_field: dict[str, DomainError] = {}
        for error in exc.errors:
            by_field.setdefault(error.field or "form", error)
        return FormCheck(None, by_field, [])
    acked = tuple(
        acknowledge(w, overrides[w.code], "staff")
        for w in pending_warnings(identity)
        if overrides.get(w.code, "").strip()
    )
    if acked:
        identity = PatientIdentity(
            identity.traits, identity.nir, identity.status, identity.source,
            identity.no_nir_reason, acked,
        )  # fmt: skip
    return FormCheck(identity, {}, pending_warnings(identity))


def situation_of(values: Mapping[str, Any], birth_date: date | None) -> PatientSituation:
    """The eligibility answers as the domain wants them (unknown stays ``None``)."""
    known = {k: v for k, v in values.items() if k in SITUATION_FIELDS and v is not None}
    return PatientSituation(birth_date=birth_date, **known)


class IntakeService:
    """Runs one patient's intake at a time and keeps its draft saved (see module docstring)."""

    def __init__(
        self,
        encounters: EncounterStore,
        patients: PatientStore,
        station_id: str,
        *,
        today: Callable[[], date] = date.today,
        rules: Any = None,
        on_error: Callable[[BaseException], None] | None = None,
        audit: IntakeAudit | None = None,
    ) -> None:
        self._encounters = encounters
        self._patients = patients
        self._station_id = station_id
        self._today = today
        self._rules = rules
        self._on_error = on_error
        self._audit = audit
        self._pending: asyncio.TimerHandle | None = None
        self._pending_ctx: IntakeContext | None = None

    def today(self) -> date:
        """The station's date (injected clock, for tests around rule changes)."""
        return self._today()

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, ctx: IntakeContext) -> IntakeContext:
        """Create the encounter for the patient being received; the draft exists from now on."""
        enc = self._encounters.create(self._station_id, staff_id=ctx.staff_id)
        ctx.encounter_id, ctx.state, ctx.step = enc.id, "created", "patient"
        self.save_now(ctx)
        return ctx

    def find_resumable(self) -> list[ResumeOffer]:
        """Encounters of this station left in the middle of intake or a call, newest first."""
        return [
            ResumeOffer(e.id, e.draft_step, e.state, e.created_at)
            for e in self._encounters.find_resumable(self._station_id)
        ]

    def resume(self, encounter_id: str, ctx: IntakeContext) -> IntakeContext:
        """Fill ``ctx`` with the saved draft of ``encounter_id`` (everything entered so far)."""
        draft = self._encounters.load_draft(encounter_id)
        enc = self._encounters.get(encounter_id)
        data = draft.data
        ctx.encounter_id, ctx.state = encounter_id, enc.state
        ctx.step = draft.step or "patient"
        ctx.form = dict(data.get("form") or {})
        ctx.situation = dict(data.get("situation") or {})
        ctx.overrides = dict(data.get("overrides") or {})
        ctx.consent = data.get("consent")
        ctx.patient_id = data.get("patient_id") or enc.patient_id
        ctx.reason = data.get("reason") or ""
        if ctx.patient_id is not None and self._audit is not None:  # identity shown again
            self._audit.patient_viewed(ctx.staff_id, ctx.patient_id)
        check = check_form(ctx.form, ctx.overrides, self._today())
        ctx.identity = check.identity if check.ok else None
        if ctx.identity is not None:
            ctx.age_band = age_band(ctx.identity.traits.birth_date, self._today())
        return ctx

    def abandon(self, ctx: IntakeContext, reason: str) -> None:
        """Close the encounter as abandoned (kept, with its reason); nothing else is lost."""
        self.cancel_pending()
        if ctx.encounter_id is None:
            return
        enc = self._encounters.get(ctx.encounter_id)
        if not EncounterState(enc.state).is_terminal:
            self._encounters.set_state(ctx.encounter_id, "abandoned", abandon_reason=reason)
        ctx.state = "abandoned"

    # --- draft ---------------------------------------------------------------------------------
    def update(self, ctx: IntakeContext, section: str, name: str, value: Any) -> None:
        """One field changed (``section`` "form", "situation", "overrides" or "reason")."""
        if section == "reason":
            ctx.reason = str(value)
        else:
            target = getattr(ctx, section)
            if value in (None, ""):
                target.pop(name, None)
            else:
                target[name] = value
        self.schedule_save(ctx)

    def schedule_save(self, ctx: IntakeContext) -> None:
        """Save the draft in :data:`DRAFT_DEBOUNCE_S` unless another change comes first."""
        if ctx.encounter_id is None:
            return
        self.cancel_pending()
        self._pending_ctx = ctx
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save_now(ctx)  # no loop (scripts, some tests): save at once
            return
        self._pending = loop.call_later(DRAFT_DEBOUNCE_S, self._flush)

    def flush(self) -> None:
        """Save a pending debounced draft now (before a step change, lock or exit)."""
        if self._pending is not None:
            self._pending.cancel()
            self._flush()

    def cancel_pending(self) -> None:
        """Drop a pending debounced save."""
        if self._pending is not None:
            self._pending.cancel()
        self._pending, self._pending_ctx = None, None

    def _flush(self) -> None:
        ctx, self._pending, self._pending_ctx = self._pending_ctx, None, None
        if ctx is not None:
            try:
                self.save_now(ctx)
            except Exception as exc:  # a timer callback: report, never lose the loop
                if self._on_error is None:
                    raise
                self._on_error(exc)

    def save_now(self, ctx: IntakeContext, step: str | None = None) -> None:
        """Write the draft and the step reached at once."""
        if ctx.encounter_id is None:
            return
        if step is not None:
            ctx.step = step
        self._encounters.save_draft(ctx.encounter_id, ctx.step, ctx.draft())

    # --- identity ------------------------------------------------------------------------------
    def check(self, ctx: IntakeContext) -> FormCheck:
        """Validate the form as it is now (used as the user types)."""
        return check_form(ctx.form, ctx.overrides, self._today())

    def identify(self, ctx: IntakeContext) -> PatientIdentity:
        """Store the validated identity and move the encounter to ``identified``."""
        self.flush()
        result = self.check(ctx)
        if not result.ok or result.identity is None:
            raise IntakeError(
                "intake.identity_incomplete",
                "Identité incomplète : corrigez les champs signalés.",
                "Identity incomplete: fix the fields shown.",
            )
        identity = result.identity
        traits = identity.traits
        fields_ = {
            "birth_name": traits.birth_name,
            "first_names": " ".join(traits.birth_first_names),
            "birth_date": traits.birth_date,
            "sex": traits.sex.value,
            "nir": str(identity.nir) if identity.nir else None,
            "no_nir_reason": identity.no_nir_reason.value if identity.no_nir_reason else None,
            "birth_place_insee": traits.birth_place_insee,
            "used_name": ctx.form.get("used_name") or None,
            "ins_status": identity.status.value,
        }
        if ctx.patient_id is not None:  # resumed or came back: same patient row, updated
            self._patients.update(ctx.patient_id, **fields_)
        else:
            ctx.patient_id = self._patients.create(**fields_).id
            if self._audit is not None:
                self._audit.patient_created(ctx.staff_id, ctx.patient_id)
        assert ctx.encounter_id is not None
        self._encounters.attach_patient(ctx.encounter_id, ctx.patient_id)
        self._advance(ctx, EncounterState.IDENTIFIED)
        ctx.identity = identity
        ctx.age_band = age_band(traits.birth_date, self._today())
        ctx.eligibility = self.eligibility(ctx)
        self.save_now(ctx, "consent")
        return identity

    def eligibility(self, ctx: IntakeContext) -> EligibilityResult:
        """Parcours de soins decision for today's act, with its one-sentence explanation."""
        birth = ctx.identity.traits.birth_date if ctx.identity else None
        today = self._today()
        return evaluate(situation_of(ctx.situation, birth), today, self._rules)

    # --- consent -------------------------------------------------------------------------------
    def information_text(self):
        """The information text in force today (versioned, domain ``consent.py``)."""
        return current_information_text(self._today())

    def record_consent(
        self, ctx: IntakeContext, decision: str, given_by: str, giver_name: str | None = None
    ) -> bool:
        """Record the answer (a refusal too); a refusal abandons the encounter. True if given."""
        self.flush()
        text = self.information_text()
        consent = record_consent(
            ConsentDecision(decision),
            given_by=ConsentGiver(given_by),
            recorded_by=ctx.staff_name or f"staff:{ctx.staff_id or 'station'}",
            at=datetime.now().astimezone(),
            text=text,
            giver_name=giver_name,
        )
        assert ctx.encounter_id is not None
        self._encounters.add_consent(
            ctx.encounter_id,
            kind="teleconsultation",
            granted=consent.is_given,
            text_version=consent.text_ref,
            given_by=consent.given_by.value,
            representative_name=consent.giver_name,
            staff_id=ctx.staff_id,
        )
        if self._audit is not None:  # CSP R6316: consent or refusal, who recorded it, when
            self._audit.consent_recorded(ctx.staff_id, ctx.encounter_id, consent.is_given)
        ctx.consent = {"decision": consent.decision.value, "given_by": consent.given_by.value,
                       "giver_name": consent.giver_name, "text": consent.text_ref}  # fmt: skip
        if not consent.is_given:
            self.save_now(ctx, "refused")
            self._encounters.set_state(
                ctx.encounter_id, "abandoned", abandon_reason=CONSENT_REFUSED
            )
            ctx.state = "abandoned"
            return False
        self._advance(ctx, EncounterState.CONSENTED)
        self.save_now(ctx, "summary")
        return True

    def _advance(self, ctx: IntakeContext, to: EncounterState) -> None:
        assert ctx.encounter_id is not None
        current = EncounterState(self._encounters.get(ctx.encounter_id).state)
        if current is to:
            return  # resumed after this step was already stored
        if not can_transition(current, to):
            raise IntakeError(
                "intake.state",
                "Cette consultation ne peut plus être modifiée.",
                "This encounter can no longer be changed.",
            )
        self._encounters.set_state(ctx.encounter_id, to.value, expected_from=current.value)
        ctx.state = to.value
