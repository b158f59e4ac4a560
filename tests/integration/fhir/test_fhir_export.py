"""FHIR R4 export of an encounter: the Bundle parses with fhir.resources (R4B models, the R4
family in fhir.resources 8; pure R4 lives only in the pydantic-v1 6.x line), round-trips, codes
every vital the station can measure with the right LOINC / UCUM, and carries the INS only for a
qualified identity."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from wrapup_testlib import encounter_in_wrap_up

from telecabine.cli import main
from telecabine.domain.fhir import (
    INS_NIR_OID,
    EncounterFacts,
    PatientFacts,
    VitalFacts,
    encounter_bundle,
)
from telecabine.domain.vitals import VITAL_SIGNS
from telecabine.services.fhir_export import export_bundle
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpForm,
    WrapUpService,
)

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
T = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _closed_encounter(store) -> str:
    eid = encounter_in_wrap_up(store)
    for code, value, unit in (
        ("8480-6", 142, "mm[Hg]"), ("8462-4", 91, "mm[Hg]"), ("8478-0", 108, "mm[Hg]"),
        ("59408-5", 97, "%"), ("29463-7", 71.5, "kg"),
    ):  # fmt: skip
        store.encounters.add_observation(
            eid, code=code, value=value, unit=unit, method="device:bp-1", measured_at=T
        )
    svc = WrapUpService(store, station_id="cabine-test", clock=lambda: NOW)
    ctx = svc.load(eid)
    form = WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "C"),
        in_parcours=bool(ctx.in_parcours_hint),
    )  # fmt: skip
    svc.close(eid, form)
    return eid


def test_exported_bundle_validates_round_trips_and_groups_blood_pressure(station_store) -> None:
    eid = _closed_encounter(station_store)
    data = export_bundle(station_store, eid, now=NOW)
    bundle = Bundle.model_validate(data)  # raises on any invalid element
    again = json.loads(bundle.model_dump_json())
    assert Bundle.model_validate(again).model_dump() == bundle.model_dump()
    kinds = sorted({e["resource"]["resourceType"] for e in data["entry"]})
    assert kinds == sorted(
        ["Patient", "Practitioner", "Encounter", "Device", "Observation", "Consent",
         "DocumentReference"]
    )  # fmt: skip
    enc = _resources(data, "Encounter")[0]
    assert enc["class"]["code"] == "VR" and enc["status"] == "finished"
    observations = _resources(data, "Observation")
    bp = [o for o in observations if o["code"]["coding"][0]["code"] == "85354-9"]
    assert len(bp) == 1
    assert [c["code"]["coding"][0]["code"] for c in bp[0]["component"]] == [
        "8480-6", "8462-4", "8478-0"
    ]  # fmt: skip
    assert all("device" in o for o in observations)  # all measured by connected devices here
    spo2 = next(o for o in observations if o["code"]["coding"][0]["code"] == "59408-5")
    assert "note" in spo2
    practitioners = _resources(data, "Practitioner")
    assert {"system": "http://rpps.fr", "value": "10000000001"} in practitioners[0]["identifier"]
    doc = _resources(data, "DocumentReference")[0]
    assert doc["content"][0]["attachment"]["contentType"] == "application/pdf"
    # Unqualified identity (provisoire): no INS identifier anywhere in the Bundle.
    assert INS_NIR_OID not in json.dumps(data)
    assert "248057512345690" not in json.dumps(data)


def test_ins_identifier_only_for_a_qualified_identity() -> None:
    def bundle(status: str) -> dict:
        p = PatientFacts("MARTIN", "Jeanne Marie", date(1948, 5, 12), "F",
                         nir="248057512345690", ins_status=status)  # fmt: skip
        facts = EncounterFacts("e1", "cab", "closed", T, NOW, p)
        return encounter_bundle(facts, now=NOW)

    qualified = _resources(bundle("qualifiee"), "Patient")[0]
    assert qualified["identifier"][0]["system"] == INS_NIR_OID
    assert qualified["identifier"][0]["value"] == "248057512345690"
    assert qualified["meta"]["profile"][0].endswith("fr-core-patient-ins")
    Bundle.model_validate(bundle("qualifiee"))
    for status in ("provisoire", "recuperee", "validee"):
        patient = _resources(bundle(status), "Patient")[0]
        assert "identifier" not in patient, status


@pytest.mark.parametrize("sign", sorted(VITAL_SIGNS))
def test_every_vital_the_station_measures_has_loinc_and_ucum(sign: str) -> None:
    vs = VITAL_SIGNS[sign]
    facts = EncounterFacts(
        "e1", "cab", "closed", T, NOW, None,
        vitals=[VitalFacts(vs.code, 42.0, vs.unit, "manual", T, "normal")],
    )  # fmt: skip
    data = encounter_bundle(facts, now=NOW)
    Bundle.model_validate(data)
    obs = _resources(data, "Observation")[0]
    quantity = obs.get("valueQuantity") or obs["component"][0]["valueQuantity"]
    assert quantity["system"] == "http://unitsofmeasure.org" and quantity["code"] == vs.unit
    codings = obs["code"]["coding"] + [
        c for comp in obs.get("component", []) for c in comp["code"]["coding"]
    ]
    assert all(c["system"] == "http://loinc.org" for c in codings)
    assert vs.code in {c["code"] for c in codings}
    expected = {"heart_rate": "8867-4", "temperature": "8310-5", "weight": "29463-7"}
    if sign in expected:
        assert obs["code"]["coding"][0]["code"] == expected[sign]


def test_cli_exports_a_file_and_refuses_an_unknown_encounter(
    station_store, data_dir, tmp_path, capsys
) -> None:
    eid = _closed_encounter(station_store)
    station_store.close()
    out = tmp_path / "bundle.json"
    assert main(["--data-dir", str(data_dir), "export", "fhir", "--encounter", eid,
                 "--output", str(out)]) == 0  # fmt: skip
    assert out.stat().st_mode & 0o077 == 0
    Bundle.model_validate_json(out.read_text("utf-8"))
    assert main(["--data-dir", str(data_dir), "export", "fhir", "--encounter", "nope"]) == 2
    assert "Unknown encounter" in capsys.readouterr().err
    assert main(["--data-dir", str(data_dir), "export", "fhir"]) == 2
