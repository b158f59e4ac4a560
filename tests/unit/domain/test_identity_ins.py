"""INS traits, status, patients without NIR, manual entry source and warning overrides."""

import asyncio
from datetime import date

import pytest

from telecabine.domain.identity import (
    IdentityError,
    IdentityInputError,
    IdentitySource,
    InsStatus,
    InsTraits,
    ManualEntry,
    ManualEntrySource,
    NoNirReason,
    PatientIdentity,
    Sex,
    acknowledge,
    age_band,
    age_on,
    check_identity,
    parse_nir,
    pending_warnings,
    validate_manual_entry,
)

TODAY = date(2026, 3, 2)


def entry(**kw):
    base = dict(
        birth_name="Dupont-Léger",
        birth_first_names="Jean, Marie  Anne",
        birth_date="03/12/1984",
        sex="m",
        birth_place_insee="75056",
        nir="1 84 12 75 056 123 55",
    )
    base.update(kw)
    return ManualEntry(**base)


def test_manual_entry_builds_a_provisional_identity():
    ident = asyncio.run(ManualEntrySource(entry(), today=TODAY).read())
    assert ident.traits.birth_first_names == ("Jean", "Marie Anne")
    assert ident.traits.birth_date == date(1984, 12, 3) and ident.traits.sex is Sex.MALE
    assert ident.status is InsStatus.PROVISOIRE and ident.source == "manual"
    assert str(ident.nir) == "184127505612355" and pending_warnings(ident) == []
    assert isinstance(ManualEntrySource(entry(), today=TODAY), IdentitySource)


def test_document_checked_gives_validee_never_qualifiee():
    ident = validate_manual_entry(entry(document_checked=True), today=TODAY)
    assert ident.status is InsStatus.VALIDEE
    assert InsStatus.QUALIFIEE.label_fr == "Identité qualifiée"
    assert InsStatus.RECUPEREE.label_en == "Retrieved identity"


def test_all_bad_fields_are_reported_at_once():
    bad = entry(
        birth_name="Dupont3",
        birth_first_names=" , ",
        birth_date="31/02/1984",
        sex="X",
        birth_place_insee="2C123",
        nir="184127505612356",
    )
    with pytest.raises(IdentityInputError) as info:
        validate_manual_entry(bad, today=TODAY)
    fields = set(info.value.by_field())
    assert fields == {
        "birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee", "nir",
    }  # fmt: skip
    assert info.value.by_field()["nir"].code == "nir.key_mismatch"
    assert all(e.message_fr and e.message_en for e in info.value.errors)


def test_future_birth_date_and_iso_format():
    with pytest.raises(IdentityInputError) as info:
        validate_manual_entry(entry(birth_date="2026-03-03"), today=TODAY)
    assert list(info.value.by_field()) == ["birth_date"]
    assert validate_manual_entry(entry(birth_date="1984-12-03"), today=TODAY).traits.birth_date


@pytest.mark.parametrize("code", ["2A004", "2B033", "97105", "99352", "01001"])
def test_insee_codes_accepted(code):
    traits = InsTraits("O'Brien", ("Zoé",), date(1990, 1, 1), Sex.FEMALE, code)
    assert traits.born_abroad is code.startswith("99")


@pytest.mark.parametrize("code", ["7500", "750011", "00123", "2C004", "75 01", "75OO1"])
def test_insee_codes_refused(code):
    with pytest.raises(IdentityInputError) as info:
        InsTraits("Martin", ("Léa",), date(1990, 1, 1), Sex.FEMALE, code)
    assert info.value.errors[0].field == "birth_place_insee"
    assert "code postal" in str(info.value)


def test_patient_without_nir_needs_a_reason():
    with pytest.raises(IdentityInputError) as info:
        validate_manual_entry(entry(nir=""), today=TODAY)
    assert list(info.value.by_field()) == ["no_nir_reason"]
    tourist = validate_manual_entry(entry(nir="", no_nir_reason="tourist"), today=TODAY)
    assert tourist.nir is None and tourist.no_nir_reason is NoNirReason.TOURIST
    assert check_identity(tourist) == []
    assert NoNirReason.AME.label_fr == "AME"


def test_retrieved_status_requires_a_nir():
    traits = InsTraits("Martin", ("Léa",), date(1990, 1, 1), Sex.FEMALE, "75056")
    with pytest.raises(IdentityInputError):
        PatientIdentity(traits, None, InsStatus.QUALIFIEE, "insi", NoNirReason.UNKNOWN)


def test_warnings_can_be_overridden_with_a_reason():
    ident = validate_manual_entry(entry(sex="F", birth_place_insee="99352"), today=TODAY)
    codes = [w.code for w in pending_warnings(ident)]
    assert codes == ["nir.sex_mismatch", "nir.place_mismatch"]
    with pytest.raises(IdentityError):
        acknowledge(pending_warnings(ident)[0], "  ", "staff-1")
    acks = tuple(acknowledge(w, "carte vitale vérifiée", "staff-1") for w in ident.warnings)
    ident = PatientIdentity(ident.traits, ident.nir, ident.status, ident.source, acknowledged=acks)
    assert pending_warnings(ident) == [] and len(check_identity(ident)) == 2


def test_age_on_birthdays():
    assert age_on(date(2010, 3, 2), TODAY) == 16
    assert age_on(date(2010, 3, 3), TODAY) == 15
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_parse_nir_is_reexported():
    assert str(parse_nir("184127505612355")) == "184127505612355"


def test_no_patient_data_in_reprs():
    e = entry()
    ident = validate_manual_entry(e, today=TODAY)
    for obj in (e, ident, ident.traits, ident.nir):
        text = repr(obj)
        assert "Dupont" not in text and "184127505612355" not in text and "1984" not in text
    assert "Dupont" not in repr([ident]) and "Jean" not in f"{ident!r}"


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2025, 3, 3), "0-1"),
        (date(2024, 3, 3), "0-1"),
        (date(2024, 3, 2), "2-15"),
        (date(2010, 3, 3), "2-15"),
        (date(2010, 3, 2), "16-17"),
        (date(2008, 3, 2), "18-39"),
        (date(1961, 3, 2), "65-74"),
        (date(1951, 3, 3), "65-74"),
        (date(1951, 3, 2), "75+"),
    ],
)
def test_age_band_for_the_waiting_room(born, band):
    assert age_band(born, TODAY) == band and len(band) <= 16
