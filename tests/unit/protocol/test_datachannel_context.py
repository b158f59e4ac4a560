"""Data channel v1 additions: patient_context (INS rules enforced), ack, ids on requests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from telecabine.protocol import datachannel as dc
from telecabine.protocol.envelope import ProtocolError

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
VITAL = dc.Vital(code="8310-5", label_fr="Température", label_en="Body temperature", value=38.6,
                 unit="Cel", method="manual", measured_at=NOW, flag="high")  # fmt: skip


def _context(**identity) -> dict:
    ident = {
        "birth_name": "DUPONT",
        "first_names": "Jeanne Marie",
        "birth_date": "1950-03-02",
        "sex": "F",
        "ins_status": "validee",
        "nir_masked": "2 50 •• •• ••• ••• 42",
    } | identity
    return {"v": 1, "type": "patient_context", "encounter_id": "enc-1", "identity": ident,
            "reason": "Fièvre", "eligibility": {"in_parcours": True, "explanation_fr": "ok"},
            "vitals": [json.loads(dc.encode(VITAL))], "staff": {"name": "A. Pharma",
            "role": "pharmacist"}}  # fmt: skip


def test_patient_context_round_trip_from_station():
    msg = dc.parse(json.dumps(_context()), dc.STATION_TO_DOCTOR)
    assert isinstance(msg, dc.PatientContext)
    assert msg.identity.birth_date == date(1950, 3, 2) and msg.identity.matricule is None
    assert msg.vitals == [VITAL] and msg.staff.role == "pharmacist"
    assert dc.parse(dc.encode(msg), dc.STATION_TO_DOCTOR) == msg


def test_matricule_only_for_a_qualified_identity():
    raw = _context(matricule="2 50 03 75 056 123 42", ins_oid="1.2.250.1.213.1.4.8")
    with pytest.raises(ProtocolError) as err:
        dc.parse(json.dumps(raw), dc.STATION_TO_DOCTOR)
    assert err.value.code == "invalid" and "patient_context.identity" in err.value.message
    ok = _context(ins_status="qualifiee", matricule="2 50 03 75 056 123 42", nir_masked=None)
    assert dc.parse(json.dumps(ok)).identity.matricule == "2 50 03 75 056 123 42"


@pytest.mark.parametrize(
    "change",
    [
        {"identity": {"birth_name": "", "first_names": "X"}},
        {"identity": {"birth_name": "X", "first_names": "Y", "ins_status": "certifiee"}},
        {"identity": {"birth_name": "X", "first_names": "Y", "sex": "Z"}},
        {"staff": {"name": "A", "role": "chef"}},
        {"vitals": [{"code": "x"}]},
        {"encounter_id": "no spaces allowed"},
    ],
)
def test_bad_context_is_a_typed_error(change):
    with pytest.raises(ProtocolError) as err:
        dc.parse(json.dumps(_context() | change), dc.STATION_TO_DOCTOR)
    assert err.value.code == "invalid" and err.value.ref_type == "patient_context"


def test_too_many_vitals_refused():
    raw = _context() | {"vitals": [json.loads(dc.encode(VITAL))] * 65}
    with pytest.raises(ProtocolError, match="invalid"):
        dc.parse(json.dumps(raw))


def test_doctor_cannot_send_a_patient_context():
    with pytest.raises(ProtocolError) as err:
        dc.parse(json.dumps(_context()), dc.DOCTOR_TO_STATION)
    assert err.value.code == "not_allowed"


def test_ack_both_ways_and_ids_on_requests():
    ack = dc.parse('{"v": 1, "type": "ack", "id": "m-1"}', dc.DOCTOR_TO_STATION)
    assert ack == dc.Ack(id="m-1")
    assert dc.parse(dc.encode(ack), dc.STATION_TO_DOCTOR) == ack
    req = dc.parse('{"v":1,"type":"request_measurement","kind":"spo2","id":"m-2"}',
                   dc.DOCTOR_TO_STATION)  # fmt: skip
    assert req.id == "m-2"
    assert dc.parse('{"v":1,"type":"request_measurement","kind":"spo2"}').id is None  # v1 peers
    vital = dc.Vital(**{**VITAL.model_dump(), "id": "v-1"})
    assert dc.parse(dc.encode(vital), dc.STATION_TO_DOCTOR).id == "v-1"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"v": 1, "type": "ack"}', "invalid"),
        ('{"v": 1, "type": "ack", "id": ""}', "invalid"),
        ('{"v": 1, "type": "ack", "id": "a b"}', "invalid"),
        ('{"v": 2, "type": "ack", "id": "a"}', "bad_version"),
        ('{"v": 1, "type": "switch_camera", "role": "room", "id": "x/y"}', "invalid"),
    ],
)
def test_bad_ack_or_id_is_a_typed_error(raw, code):
    with pytest.raises(ProtocolError) as err:
        dc.parse(raw, dc.DOCTOR_TO_STATION)
    assert err.value.code == code
