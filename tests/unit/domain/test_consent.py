"""Consent: who, what, when, after which text; refusal closes the encounter and is kept."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from telecabine.domain.consent import (
    INFORMATION_TEXTS,
    ConsentDecision,
    ConsentError,
    ConsentGiver,
    UnknownInformationText,
    apply_consent,
    current_information_text,
    information_text,
    information_text_by_ref,
    record_consent,
)
from telecabine.domain.encounter import (
    CONSENT_REFUSED,
    Encounter,
    EncounterState,
    IllegalTransition,
)

AT = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)


def identified():
    return Encounter.start("e-1", AT).advance(EncounterState.IDENTIFIED, at=AT)


def test_current_text_is_bilingual_and_mentions_hds_and_refusal():
    text = current_information_text(date(2026, 3, 2))
    assert text.version >= 1
    assert "HDS" in text.body("fr") and "HDS" in text.body("en")
    assert "refuser" in text.body_fr and "refuse" in text.body_en
    assert text.title("en") != text.title("fr")
    assert information_text(text.text_id, text.version) is text


def test_no_text_before_teleconsultation_existed():
    with pytest.raises(UnknownInformationText):
        current_information_text(date(2018, 1, 1))
    with pytest.raises(UnknownInformationText):
        information_text("teleconsultation_info", 999)


def test_given_consent_moves_to_consented():
    consent = record_consent(
        "given", given_by="patient", recorded_by="staff-7", at=AT, text=INFORMATION_TEXTS[0]
    )
    assert consent.is_given and consent.giver_name is None
    assert (consent.information_text_id, consent.information_text_version) == (
        "teleconsultation_info",
        1,
    )
    assert apply_consent(identified(), consent).state is EncounterState.CONSENTED


def test_refusal_abandons_and_is_kept():
    consent = record_consent(
        ConsentDecision.REFUSED,
        given_by=ConsentGiver.LEGAL_REPRESENTATIVE,
        giver_name="  Claire   Martin ",
        recorded_by="staff-7",
        at=AT,
        text=current_information_text(),
    )
    enc = apply_consent(identified(), consent)
    assert enc.state is EncounterState.ABANDONED and enc.abandon_reason == CONSENT_REFUSED
    assert consent.giver_name == "Claire Martin" and not consent.is_given


@pytest.mark.parametrize("giver", ["legal_representative", "trusted_person"])
def test_representative_must_be_named(giver):
    with pytest.raises(ConsentError) as info:
        record_consent("given", given_by=giver, recorded_by="s", at=AT, text=INFORMATION_TEXTS[0])
    assert info.value.field == "giver_name" and info.value.message_en.startswith("Enter")


def test_staff_and_published_text_required():
    with pytest.raises(ConsentError):
        record_consent(
            "given", given_by="patient", recorded_by=" ", at=AT, text=INFORMATION_TEXTS[0]
        )
    forged = replace(INFORMATION_TEXTS[0], version=42)
    with pytest.raises(UnknownInformationText):
        record_consent("given", given_by="patient", recorded_by="s", at=AT, text=forged)
    with pytest.raises(ValueError):
        record_consent(
            "maybe", given_by="patient", recorded_by="s", at=AT, text=INFORMATION_TEXTS[0]
        )


def test_consent_only_after_identification():
    consent = record_consent(
        "given", given_by="patient", recorded_by="s", at=AT, text=INFORMATION_TEXTS[0]
    )
    with pytest.raises(IllegalTransition):
        apply_consent(Encounter.start("e-2", AT), consent)


def test_text_reference_round_trips_for_storage():
    text = current_information_text()
    consent = record_consent("given", given_by="patient", recorded_by="s", at=AT, text=text)
    assert consent.text_ref == text.ref == "teleconsultation_info@v1"
    assert information_text_by_ref(consent.text_ref) is text
    for bad in ("teleconsultation_info", "@v1", "teleconsultation_info@vx", "x@v1"):
        with pytest.raises(UnknownInformationText):
            information_text_by_ref(bad)
