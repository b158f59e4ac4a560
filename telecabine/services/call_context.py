"""What the doctor who took the call is told about the patient (``patient_context``).

Read from the station's store for one encounter when the data channel opens (and again on every
reconnection): INS identity, the reason, the parcours verdict recomputed from the intake
answers, every vital already measured with its flag, and the accompanying professional.

INS rules (ANS "Référentiel INS", as the record PDF applies them in ``wrapup_record``): the five
traits always; the INS matricule and its OID only for a *qualified* identity; otherwise the NIR
masked (``1 84 •• •• ••• ••• 35``). Nothing here is logged.
"""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from telecabine.domain.eligibility import ParcoursRules
from telecabine.domain.ins import InsStatus
from telecabine.domain.nir import NirError, parse_nir
from telecabine.domain.vitals import SIGNS_BY_CODE
from telecabine.protocol import datachannel as dc
from telecabine.services.wrapup_hints import eligibility_hints

_ROLES = {"pharmacist", "nurse", "care_assistant", "admin"}


def context_identity(patient: Any) -> dc.ContextIdentity:
    """The patient's traits with the matricule shown according to the INS status."""
    try:
        status = InsStatus(patient.ins_status or "provisoire")
    except ValueError:
        status = InsStatus.PROVISOIRE
    try:
        nir = parse_nir(patient.nir) if patient.nir else None
    except NirError:
        nir = None
    qualified = nir is not None and status is InsStatus.QUALIFIEE
    sex = patient.sex if patient.sex in ("M", "F", "I") else None
    return dc.ContextIdentity(
        birth_name=patient.birth_name, first_names=patient.first_names,
        used_name=patient.used_name or None, birth_date=patient.birth_date, sex=sex,
        ins_status=status.value,
        matricule=nir.formatted() if qualified else None,
        ins_oid=nir.ins_oid if qualified else None,
        nir_masked=nir.masked() if nir is not None and not qualified else None,
        no_nir_reason=patient.no_nir_reason or None,
    )  # fmt: skip


def context_vital(obs: Any) -> dc.Vital:
    """A stored observation as a ``vital`` (labels from the LOINC table)."""
    sign = SIGNS_BY_CODE.get(obs.code)
    return dc.Vital(
        code=obs.code, label_fr=sign.label_fr if sign else obs.code,
        label_en=sign.label_en if sign else obs.code, value=obs.value, unit=obs.unit,
        method=obs.method, measured_at=obs.measured_at,
        flag=obs.flag if obs.flag in ("normal", "low", "high", "critical") else None,
    )  # fmt: skip


class CallContextReader:
    """Builds ``patient_context`` for an encounter from the store's repositories.

    ``store`` needs ``encounters`` (get, load_draft, observations), ``patients.get`` and
    ``staff.get`` (``telecabine.store.Store`` has them); ``parcours`` is the station's rules
    (operator copy) or None for the packaged ones; ``tz`` the cabin's time zone for the act day.
    """

    def __init__(
        self, store: Any, parcours: ParcoursRules | None = None, tz: tzinfo | None = None
    ) -> None:
        self._store = store
        self._parcours = parcours
        self._tz = tz

    def read(self, encounter_id: str) -> dc.PatientContext:
        """The context message for ``encounter_id`` (raises the store's NotFoundError)."""
        encounters = self._store.encounters
        enc = encounters.get(encounter_id)
        draft = encounters.load_draft(encounter_id).data or {}
        patient = self._store.patients.get(enc.patient_id) if enc.patient_id else None
        on: date = enc.created_at.astimezone(self._tz).date()
        hints = eligibility_hints(
            draft, patient.birth_date if patient else None, on, self._parcours
        )
        eligibility = None
        if hints.in_parcours is not None or hints.explanation_fr:
            eligibility = dc.ContextEligibility(
                in_parcours=hints.in_parcours,
                explanation_fr=hints.explanation_fr[:2000],
                explanation_en=hints.explanation_en[:2000],
            )
        staff = None
        if enc.staff_id is not None:
            member = self._store.staff.get(enc.staff_id)
            staff = dc.ContextStaff(
                name=member.display_name[:120],
                role=member.role if member.role in _ROLES else "other",
            )
        vitals = [context_vital(o) for o in encounters.observations(encounter_id)]
        return dc.PatientContext(
            encounter_id=encounter_id,
            identity=context_identity(patient) if patient is not None else None,
            reason=str(draft.get("reason") or "")[:2000],
            eligibility=eligibility,
            vitals=vitals[-64:],
            staff=staff,
        )
