"""Signaling protocol: every message round-trips; bad input is a ProtocolError, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telecabine.protocol import signaling as s
from telecabine.protocol.envelope import ProtocolError


def test_announce_round_trip():
    msg = s.Announce(
        encounter_id="enc-1",
        reason="Fièvre",
        age_band="40-64",
        flagged_vitals=["8310-5"],
        cabin="C1",
    )
    parsed = s.parse_message(s.encode(msg), s.STATION_TO_HUB)
    assert parsed == msg
    assert json.loads(s.encode(msg))["v"] == 1


def test_doctor_joined_omits_none_fields():
    msg = s.DoctorJoined(
        encounter_id="e",
        doctor=s.DoctorPublic(name="Dr A", specialty="MG"),
        ice_servers=[s.IceServer(urls="stun:127.0.0.1:3478")],
    )
    body = json.loads(s.encode(msg))
    assert body["ice_servers"] == [{"urls": "stun:127.0.0.1:3478"}]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1,2]", "bad_json"),
        ('{"type": "ping"}', "bad_version"),
        ('{"v": 2, "type": "ping"}', "bad_version"),
        ('{"v": true, "type": "ping"}', "bad_version"),
        ('{"v": 1}', "unknown_type"),
        ('{"v": 1, "type": "nope"}', "unknown_type"),
        ('{"v": 1, "type": "announce"}', "invalid"),
        ('{"v": 1, "type": "cancel", "encounter_id": "a b"}', "invalid"),
        ('{"v": 1, "type": "take", "encounter_id": "x"}', "not_allowed"),
        ("x" * (64 * 1024 + 1), "too_large"),
    ],
)
def test_bad_inputs_give_typed_errors(raw, code):
    with pytest.raises(ProtocolError) as info:
        s.parse_message(raw, s.STATION_TO_HUB)
    assert info.value.code == code
    assert " / " in info.value.message  # bilingual
    err = s.error_from(info.value)
    assert s.parse_message(s.encode(err)).code == code


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["v", "type", "encounter_id", "sdp", "position"]),
            st.one_of(
                st.none(), st.integers(), st.text(max_size=20), st.sampled_from(sorted(s.ALL_TYPES))
            ),
        ).map(json.dumps),
    )
)
def test_fuzz_never_raises_anything_but_protocol_error(raw):
    try:
        msg = s.parse_message(raw)
    except ProtocolError as exc:
        assert exc.code in {"bad_json", "bad_version", "unknown_type", "invalid", "too_large"}
    else:
        assert msg.v == 1
