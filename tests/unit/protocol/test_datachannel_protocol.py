"""Data-channel protocol v1: round trips, direction filter, typed errors for bad input."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.protocol import datachannel as dc
from telecabine.protocol.envelope import ProtocolError

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_vital_round_trip_keeps_loinc_and_ucum():
    msg = dc.Vital(
        code="8310-5", label_fr="Température", label_en="Body temperature", value=38.4,
        unit="Cel", method="device:thermo-1", measured_at=NOW, flag="high",
    )  # fmt: skip
    back = dc.parse(dc.encode(msg), dc.STATION_TO_DOCTOR)
    assert back == msg
    assert json.loads(dc.encode(msg))["v"] == 1


def test_chat_uses_from_on_the_wire():
    msg = dc.Chat(id="c1", text="Bonjour", at=NOW, **{"from": "doctor"})
    wire = json.loads(dc.encode(msg))
    assert wire["from"] == "doctor" and "from_" not in wire
    assert dc.parse(json.dumps(wire), dc.DOCTOR_TO_STATION).from_ == "doctor"


def test_station_refuses_station_only_types_from_doctor():
    raw = dc.encode(dc.CameraChanged(role="otoscope"))
    with pytest.raises(ProtocolError) as err:
        dc.parse(raw, dc.DOCTOR_TO_STATION)
    assert err.value.code == "not_allowed"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", "bad_json"),
        ('{"v": 2, "type": "chat"}', "bad_version"),
        ('{"v": 1, "type": "teleport"}', "unknown_type"),
        ('{"v": 1, "type": "switch_camera", "role": "kitchen"}', "invalid"),
        ('{"v": 1, "type": "end_call", "act_code": "TCG", "outcome": "advice",'
         ' "doctor": {"name": "Dr A", "rpps": "123"}}', "invalid"),
        ('{"v": 1, "type": "document_chunk", "id": "d", "index": 0, "data": "!!"}', "invalid"),
        ("x" * (64 * 1024 + 1), "too_large"),
    ],
)  # fmt: skip
def test_bad_input_is_a_typed_error(raw, code):
    with pytest.raises(ProtocolError) as err:
        dc.parse(raw)
    assert err.value.code == code
    assert "/" in err.value.message  # bilingual, French first


def test_full_chunk_fits_in_one_message():
    data = base64.b64encode(b"\xff" * dc.MAX_CHUNK_BYTES).decode()
    msg = dc.DocumentChunk(id="doc-1", index=3, data=data)
    assert len(dc.encode(msg)) < 64 * 1024
    assert dc.parse(dc.encode(msg)).data == data


def test_filename_cannot_escape_a_directory():
    with pytest.raises(ProtocolError):
        dc.parse(json.dumps({"v": 1, "type": "document_begin", "id": "d", "kind": "report",
                             "filename": "../x.pdf/..", "size": 10, "sha256": "a" * 64,
                             "chunks": 1}))  # fmt: skip


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_parse_never_raises_anything_else(raw):
    with contextlib.suppress(ProtocolError):
        dc.parse(raw)


@given(
    st.dictionaries(
        st.sampled_from(["v", "type", "id", "on", "role", "kind", "text"]),
        st.one_of(st.integers(), st.text(max_size=20), st.booleans(), st.none()),
    )
)
def test_parse_random_objects_only_protocol_errors(obj):
    with contextlib.suppress(ProtocolError):
        dc.parse(json.dumps(obj))
