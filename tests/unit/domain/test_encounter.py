"""Encounter state machine: every legal step, every illegal one, abandonment rules."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from telecabine.domain.encounter import (
    CONSENT_REFUSED,
    Encounter,
    EncounterState,
    IllegalTransition,
    allowed_transitions,
    transition,
)

S = EncounterState
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

LEGAL_FORWARD = {
    (S.CREATED, S.IDENTIFIED),
    (S.IDENTIFIED, S.CONSENTED),
    (S.CONSENTED, S.MEASURING),
    (S.CONSENTED, S.IN_CALL),
    (S.MEASURING, S.IN_CALL),
    (S.IN_CALL, S.WRAP_UP),
    (S.WRAP_UP, S.CLOSED),
}


def test_states_are_exactly_the_contract():
    assert [s.value for s in S] == [
        "created", "identified", "consented", "measuring", "in_call", "wrap_up", "closed",
        "abandoned",
    ]  # fmt: skip


@pytest.mark.parametrize(("src", "dst"), list(product(S, S)))
def test_full_transition_matrix(src, dst):
    if dst is S.ABANDONED:
        if src.is_terminal:
            with pytest.raises(IllegalTransition):
                transition(src, dst, reason="patient_left")
        else:
            assert transition(src, dst, reason="patient_left") is S.ABANDONED
    elif (src, dst) in LEGAL_FORWARD:
        assert transition(src, dst) is dst
    else:
        with pytest.raises(IllegalTransition) as info:
            transition(src, dst)
        assert info.value.code == "encounter.illegal_transition"
        assert info.value.from_state is src and info.value.to_state is dst


def test_in_call_cannot_go_back_to_measuring():
    with pytest.raises(IllegalTransition, match="in_call"):
        transition(S.IN_CALL, S.MEASURING)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_abandon_needs_a_reason(reason):
    with pytest.raises(IllegalTransition, match="motif obligatoire"):
        transition(S.MEASURING, S.ABANDONED, reason=reason)


def test_reason_only_for_abandon():
    with pytest.raises(IllegalTransition):
        transition(S.CREATED, S.IDENTIFIED, reason="why")


def test_terminal_states_allow_nothing():
    assert allowed_transitions(S.CLOSED) == frozenset()
    assert allowed_transitions(S.ABANDONED) == frozenset()
    assert allowed_transitions(S.CONSENTED) == {S.MEASURING, S.IN_CALL, S.ABANDONED}


def test_error_message_is_bilingual_and_french_first():
    with pytest.raises(IllegalTransition) as info:
        transition(S.CREATED, S.IN_CALL)
    err = info.value
    assert str(err).startswith("Étape impossible")
    assert err.message("en").startswith("Illegal step")


def test_encounter_full_path_keeps_history():
    enc = Encounter.start("e-1", T0)
    for i, to in enumerate([S.IDENTIFIED, S.CONSENTED, S.MEASURING, S.IN_CALL, S.WRAP_UP]):
        enc = enc.advance(to, at=T0 + timedelta(minutes=i + 1))
    enc = enc.advance(S.CLOSED, at=T0 + timedelta(minutes=30))
    assert enc.state is S.CLOSED and enc.is_terminal
    assert [c.to_state for c in enc.history][-1] is S.CLOSED
    assert len(enc.history) == 6
    assert enc.updated_at == T0 + timedelta(minutes=30)
    assert enc.abandon_reason is None


def test_consent_refused_abandons_and_is_kept():
    enc = Encounter.start("e-2", T0).advance(S.IDENTIFIED, at=T0)
    refused = enc.refuse_consent(at=T0 + timedelta(minutes=2))
    assert refused.state is S.ABANDONED
    assert refused.abandon_reason == CONSENT_REFUSED
    assert refused.history[-1].from_state is S.IDENTIFIED
    with pytest.raises(IllegalTransition):
        refused.advance(S.CONSENTED, at=T0 + timedelta(minutes=3))
    assert enc.state is S.IDENTIFIED  # immutable: the original is untouched


def test_time_cannot_go_backwards():
    enc = Encounter.start("e-3", T0)
    with pytest.raises(ValueError, match="backwards"):
        enc.advance(S.IDENTIFIED, at=T0 - timedelta(seconds=1))


def test_errors_survive_pickling_with_their_attributes():
    import pickle

    with pytest.raises(IllegalTransition) as info:
        transition(S.CLOSED, S.IN_CALL)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is IllegalTransition and copy.code == info.value.code
    assert copy.from_state is S.CLOSED and str(copy) == str(info.value)
