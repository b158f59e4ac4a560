"""FHIR R4 Bundle of one teleconsultation: Patient, Encounter, Observations, Device, Consent,
Practitioners, DocumentReferences.

Pure mapping from plain facts to FHIR JSON (dicts); no I/O, no clock (``now`` is passed in).
Profiles and codes followed (shared/design/DOMAIN.md §2, §4, §7):

- Patient: FR Core. The INS identifier (NIR, OID ``urn:oid:1.2.250.1.213.1.4.8``) is written
  **only for a qualified identity** (``fr-core-patient-ins``); otherwise the patient carries no
  national identifier at all (an unqualified INS must not label shared data).
- Encounter: class ``VR`` (virtual) from ``v3-ActCode``.
- Observations: vital-signs profile codes; LOINC + UCUM as in the ANS "Mesures de santé" guide
  (weight 29463-7, height 8302-2, heart rate 8867-4, temperature 8310-5, BMI 39156-5, blood
  pressure 85354-9 with systolic 8480-6 / diastolic 8462-4 / mean 8478-0 components). SpO2 uses
  59408-5 (pulse oximetry, FR Core) with 2708-6 as a second coding and a note that the guide
  does not list it yet. A measurement made by a connected device references a Device resource
  (the guide requires it).
- Practitioner with RPPS (``http://rpps.fr``), Consent (given or refused), DocumentReference
  for the report / prescription / télé-expertise answer (PDF attached as base64).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

FHIR_VERSION = "4.0.1"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
INS_NIR_OID = "urn:oid:1.2.250.1.213.1.4.8"
RPPS_SYSTEM = "http://rpps.fr"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBS_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
FR_CORE_PATIENT = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient"
FR_CORE_PATIENT_INS = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
BP_PANEL = "85354-9"
BP_COMPONENTS = ("8480-6", "8462-4", "8478-0")
SPO2_CODES = ("59408-5", "2708-6")
SPO2_NOTE = (
    "SpO2 codée 59408-5 (oxymétrie de pouls, FR Core) ; le guide ANS « Mesures de santé » ne la "
    "liste pas encore. / SpO2 coded 59408-5; not yet listed by the ANS guide."
)

# LOINC display names (English, as LOINC publishes them).
LOINC_DISPLAY = {
    "8310-5": "Body temperature",
    "8867-4": "Heart rate",
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "2708-6": "Oxygen saturation in Arterial blood",
    "9279-1": "Respiratory rate",
    "8480-6": "Systolic blood pressure",
    "8462-4": "Diastolic blood pressure",
    "8478-0": "Mean blood pressure",
    "85354-9": "Blood pressure panel with all children optional",
    "29463-7": "Body weight",
    "8302-2": "Body height",
    "39156-5": "Body mass index (BMI) [Ratio]",
}
_FLAG_TO_INTERPRETATION = {"normal": "N", "low": "L", "high": "H", "critical": "AA"}
_SEX = {"M": "male", "F": "female"}
_DOC_LOINC = {  # DocumentReference.type
    "report": ("11488-4", "Consult note"),
    "prescription": ("57833-6", "Prescription for medication"),
    "record": ("34133-9", "Summary of episode note"),
    "expertise": ("11488-4", "Consult note"),
}


@dataclass(frozen=True)
class PatientFacts:
    """Identity traits as stored at the station."""

    birth_name: str
    first_names: str
    birth_date: date
    sex: str  # "M" / "F" / other
    used_name: str | None = None
    nir: str | None = None
    ins_status: str = "provisoire"
    birth_place_insee: str | None = None

    def __repr__(self) -> str:  # no patient data in logs
        return "PatientFacts(<redacted>)"


@dataclass(frozen=True)
class VitalFacts:
    """One stored observation (LOINC code, canonical UCUM unit)."""

    code: str
    value: float
    unit: str
    method: str  # "manual" or "device:<id>"
    measured_at: datetime
    flag: str | None = None


@dataclass(frozen=True)
class ProfessionalFacts:
    """A professional involved: the teleconsulting doctor or the accompanying one."""

    name: str
    role: str  # "doctor" | "pharmacist" | "nurse" | ...
    rpps: str | None = None
    specialty: str | None = None


@dataclass(frozen=True)
class ConsentFacts:
    """Consent or refusal recorded before the act."""

    kind: str
    granted: bool
    given_by: str
    recorded_at: datetime
    text_version: str


@dataclass(frozen=True)
class DocumentFacts:
    """A PDF kept with the encounter."""

    id: str
    kind: str  # "prescription" | "report" | "record" | "expertise"
    filename: str
    sha256: str
    content: bytes
    received_at: datetime


@dataclass(frozen=True)
class EncounterFacts:
    """Everything the Bundle is made of, read from the station's store."""

    encounter_id: str
    station_id: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    patient: PatientFacts | None
    vitals: Sequence[VitalFacts] = ()
    professionals: Sequence[ProfessionalFacts] = ()
    consents: Sequence[ConsentFacts] = ()
    documents: Sequence[DocumentFacts] = ()
    reason: str | None = None
    incidents: Sequence[str] = field(default_factory=tuple)


def _urn(kind: str, key: str) -> str:
    """Stable ``urn:uuid`` for a resource of this encounter (same input, same id)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"telecabine/{kind}/{key}"))


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def patient_resource(p: PatientFacts) -> dict:
    """FR Core Patient; the INS identifier only for a qualified identity."""
    name = [{"use": "official", "family": p.birth_name, "given": p.first_names.split()}]
    if p.used_name and p.used_name != p.birth_name:
        name.append({"use": "usual", "family": p.used_name, "given": p.first_names.split()[:1]})
    qualified = p.ins_status == "qualifiee" and p.nir is not None
    resource: dict = {
        "resourceType": "Patient",
        "meta": {"profile": [FR_CORE_PATIENT_INS if qualified else FR_CORE_PATIENT]},
        "name": name,
        "gender": _SEX.get(p.sex, "unknown"),
        "birthDate": p.birth_date.isoformat(),
    }
    if qualified:
        resource["identifier"] = [
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
                            "code": "INS-NIR",
                        }
                    ]
                },
                "system": INS_NIR_OID,
                "value": p.nir,
            }
        ]
    if p.birth_place_insee:
        resource["extension"] = [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {
                    "extension": [
                        {
                            "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                            "valueCoding": {
                                "system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM",
                                "code": p.birth_place_insee,
                            },
                        }
                    ]
                },
            }
        ]
    return resource


def practitioner_resource(pro: ProfessionalFacts) -> dict:
    """Practitioner with RPPS when known."""
    family, _, given = pro.name.rpartition(" ")
    resource: dict = {
        "resourceType": "Practitioner",
        "name": [{"text": pro.name, "family": family or given, "given": [given] if family else []}],
    }
    if pro.rpps:
        resource["identifier"] = [{"system": RPPS_SYSTEM, "value": pro.rpps}]
    if pro.specialty:
        resource["qualification"] = [{"code": {"text": pro.specialty}}]
    return resource


def device_resource(device_id: str) -> dict:
    """The connected device that measured (ANS guide: PhdDevice; identifier = driver's id)."""
    return {
        "resourceType": "Device",
        "identifier": [{"system": "urn:telecabine:device", "value": device_id}],
        "type": {"text": "Personal health device (Bluetooth LE)"},
    }


def _coding(code: str) -> dict:
    return {"system": LOINC, "code": code, "display": LOINC_DISPLAY.get(code, code)}


def _quantity(v: VitalFacts) -> dict:
    return {"value": v.value, "unit": v.unit, "system": UCUM, "code": v.unit}


def _observation_base(
    codings: list[dict], v: VitalFacts, patient_ref: str | None, encounter_ref: str
) -> dict:
    obs: dict = {
        "resourceType": "Observation",
        "meta": {"profile": [VITAL_SIGNS_PROFILE]},
        "status": "final",
        "category": [
            {"coding": [{"system": OBS_CATEGORY_SYSTEM, "code": "vital-signs"}]},
        ],
        "code": {"coding": codings},
        "encounter": {"reference": encounter_ref},
        "effectiveDateTime": _instant(v.measured_at),
    }
    if patient_ref:
        obs["subject"] = {"reference": patient_ref}
    if v.flag in _FLAG_TO_INTERPRETATION:
        obs["interpretation"] = _interpretation(v.flag)
    return obs


def _interpretation(flag: str) -> list[dict]:
    """The station's flag (normal/low/high/critical) as v3 ObservationInterpretation."""
    return [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    "code": _FLAG_TO_INTERPRETATION[flag],
                }
            ]
        }
    ]


def observation_resources(
    vitals: Sequence[VitalFacts], patient_ref: str | None, encounter_ref: str, device_refs: dict
) -> list[dict]:
    """Observations; systolic/diastolic/mean taken together become one 85354-9 panel."""
    out: list[dict] = []
    bp_groups: dict[tuple[datetime, str], list[VitalFacts]] = {}
    for v in vitals:
        if v.code in BP_COMPONENTS:
            bp_groups.setdefault((v.measured_at, v.method), []).append(v)
            continue
        codings = [_coding(c) for c in SPO2_CODES] if v.code in SPO2_CODES else [_coding(v.code)]
        obs = _observation_base(codings, v, patient_ref, encounter_ref)
        obs["valueQuantity"] = _quantity(v)
        if v.code in SPO2_CODES:
            obs["note"] = [{"text": SPO2_NOTE}]
        _device(obs, v, device_refs)
        out.append(obs)
    for (_, _method), parts in bp_groups.items():
        first = parts[0]
        obs = _observation_base([_coding(BP_PANEL)], first, patient_ref, encounter_ref)
        obs["component"] = [
            {"code": {"coding": [_coding(p.code)]}, "valueQuantity": _quantity(p)}
            for p in sorted(parts, key=lambda p: BP_COMPONENTS.index(p.code))
        ]
        flags = [p.flag for p in parts if p.flag in _FLAG_TO_INTERPRETATION]
        worst = max(flags, key=list(_FLAG_TO_INTERPRETATION).index) if flags else None
        obs.pop("interpretation", None)
        if worst:
            obs["interpretation"] = _interpretation(worst)
        _device(obs, first, device_refs)
        out.append(obs)
    return out


def _device(obs: dict, v: VitalFacts, device_refs: dict) -> None:
    if v.method.startswith("device:"):
        obs["device"] = {"reference": device_refs[v.method.removeprefix("device:")]}


def consent_resource(c: ConsentFacts, patient_ref: str | None) -> dict:
    """Consent (R4): the act's prior informed consent, permit or deny."""
    resource: dict = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "treatment",
                }
            ]
        },
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent"}]}],
        "dateTime": _instant(c.recorded_at),
        "policyRule": {"text": f"{c.kind} (texte {c.text_version})"},
        "provision": {"type": "permit" if c.granted else "deny"},
    }
    if patient_ref:
        resource["patient"] = {"reference": patient_ref}
    if c.given_by != "patient":
        resource["provision"]["actor"] = [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                            "code": "GUARD" if c.given_by == "legal_representative" else "NOK",
                        }
                    ]
                },
                "reference": {"display": c.given_by},
            }
        ]
    return resource


def document_resource(d: DocumentFacts, patient_ref: str | None, encounter_ref: str) -> dict:
    """DocumentReference with the PDF attached (base64) and its SHA-256 in the description."""
    code, display = _DOC_LOINC.get(d.kind, ("34133-9", "Summary of episode note"))
    resource: dict = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": d.kind},
        "date": _instant(d.received_at),
        "description": f"sha256:{d.sha256}",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": d.filename,
                    "data": base64.b64encode(d.content).decode("ascii"),
                    "size": len(d.content),
                }
            }
        ],
        "context": {"encounter": [{"reference": encounter_ref}]},
    }
    if patient_ref:
        resource["subject"] = {"reference": patient_ref}
    return resource


def encounter_resource(
    e: EncounterFacts, patient_ref: str | None, practitioner_refs: list[tuple[str, str]]
) -> dict:
    """Encounter of class VR (virtual); participants = the professionals involved."""
    status = {"closed": "finished", "abandoned": "cancelled"}.get(e.state, "in-progress")
    period: dict = {"start": _instant(e.started_at)}
    if e.ended_at is not None:
        period["end"] = _instant(e.ended_at)
    resource: dict = {
        "resourceType": "Encounter",
        "identifier": [{"system": "urn:telecabine:encounter", "value": e.encounter_id}],
        "status": status,
        "class": {"system": ACT_CODE_SYSTEM, "code": "VR", "display": "virtual"},
        "period": period,
        "serviceProvider": {"display": e.station_id},
    }
    if patient_ref:
        resource["subject"] = {"reference": patient_ref}
    if e.reason:
        resource["reasonCode"] = [{"text": e.reason}]
    if practitioner_refs:
        resource["participant"] = [
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "PPRF" if role == "doctor" else "ATND",
                            }
                        ]
                    }
                ],
                "individual": {"reference": ref},
            }
            for ref, role in practitioner_refs
        ]
    return resource


def encounter_bundle(e: EncounterFacts, *, now: datetime) -> dict:
    """A ``collection`` Bundle of the encounter, every resource with a stable ``urn:uuid``."""
    key = e.encounter_id
    entries: list[tuple[str, dict]] = []
    patient_ref = None
    if e.patient is not None:
        patient_ref = _urn("patient", key)
        entries.append((patient_ref, patient_resource(e.patient)))
    pro_refs: list[tuple[str, str]] = []
    for i, pro in enumerate(e.professionals):
        ref = _urn("practitioner", f"{key}/{i}/{pro.rpps or pro.name}")
        pro_refs.append((ref, pro.role))
        entries.append((ref, practitioner_resource(pro)))
    encounter_ref = _urn("encounter", key)
    entries.append((encounter_ref, encounter_resource(e, patient_ref, pro_refs)))
    device_refs: dict[str, str] = {}
    for v in e.vitals:
        if v.method.startswith("device:"):
            dev = v.method.removeprefix("device:")
            if dev not in device_refs:
                device_refs[dev] = _urn("device", f"{key}/{dev}")
                entries.append((device_refs[dev], device_resource(dev)))
    for i, obs in enumerate(
        observation_resources(e.vitals, patient_ref, encounter_ref, device_refs)
    ):
        entries.append((_urn("observation", f"{key}/{i}"), obs))
    for i, c in enumerate(e.consents):
        entries.append((_urn("consent", f"{key}/{i}"), consent_resource(c, patient_ref)))
    for d in e.documents:
        entries.append(
            (_urn("document", f"{key}/{d.id}"), document_resource(d, patient_ref, encounter_ref))
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"telecabine/bundle/{key}")),
        "meta": {"lastUpdated": _instant(now)},
        "type": "collection",
        "timestamp": _instant(now),
        "entry": [{"fullUrl": ref, "resource": res} for ref, res in entries],
    }
