"""NIR parsing: examples for every error code and hypothesis properties (DOMAIN.md §2)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.domain.identity import (
    INS_NIA_OID,
    INS_NIR_OID,
    NirError,
    Sex,
    check_nir_against,
    nir_key,
    parse_nir,
)


def with_key(body: str) -> str:
    return f"{body}{nir_key(body):02d}"


def test_key_formula_on_a_known_number():
    # 1 84 12 75 056 123: 1841275056123 mod 97 = 42 -> key 55
    assert nir_key("1841275056123") == 97 - 1841275056123 % 97 == 55


def test_parse_accepts_spaces_tabs_and_lower_case():
    nir = parse_nir(" 1 84 12\t75 056 123 55 ")
    assert str(nir) == "184127505612355"
    assert nir.sex is Sex.MALE
    assert (nir.birth_year, nir.birth_month, nir.department, nir.commune) == ("84", 12, "75", "056")
    assert (nir.order, nir.key, nir.is_temporary, nir.ins_oid) == ("123", "55", False, INS_NIR_OID)
    assert nir.formatted() == "1 84 12 75 056 123 55"
    assert "75" not in nir.masked().replace("1 84", "") and nir.masked().endswith("55")
    assert "184127505612355" not in repr(nir)


@pytest.mark.parametrize(("dept", "digits"), [("2A", "19"), ("2B", "18")])
def test_corsica_key_uses_19_and_18(dept, digits):
    body = f"29201{dept}004321"
    key = 97 - int(f"29201{digits}004321") % 97
    nir = parse_nir(f"{body}{key:02d}".lower())
    assert nir.department == dept and nir.sex is Sex.FEMALE


def test_overseas_and_abroad_places():
    dom = parse_nir(with_key("2750397123045"))
    assert (dom.department, dom.commune, dom.born_abroad) == ("971", "23", False)
    abroad = parse_nir(with_key("1690599352007"))
    assert (abroad.department, abroad.commune, abroad.born_abroad) == ("99", "352", True)


def test_temporary_numbers_are_flagged():
    nia = parse_nir(with_key("7840599123001"))
    assert nia.is_temporary and nia.ins_oid == INS_NIA_OID and nia.sex is Sex.MALE
    assert parse_nir(with_key("8840599123001")).sex is Sex.FEMALE


@pytest.mark.parametrize("month", ["20", "42", "50", "99"])
def test_incomplete_civil_record_months_are_accepted(month):
    assert parse_nir(with_key(f"184{month}75056123")).birth_month is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "nir.empty"),
        ("   ", "nir.empty"),
        ("18412750561235", "nir.length"),
        ("1841275056123555", "nir.length"),
        ("18412750X612355", "nir.characters"),
        ("18412_7505612355", "nir.length"),
        ("1841227A0561235", "nir.characters"),
        ("١٨٤١٢٧٥٠٥٦١٢٣٥٥", "nir.characters"),  # Arabic-Indic digits are not NIR digits
        (with_key("5841275056123"), "nir.sex"),
        (with_key("1840075056123"), "nir.month"),
        (with_key("1841375056123"), "nir.month"),
        (with_key("1844375056123"), "nir.month"),
        (with_key("1841275056000"), "nir.order"),
        ("184127505612356", "nir.key_mismatch"),
    ],
)
def test_every_error_has_a_code_and_two_messages(text, code):
    with pytest.raises(NirError) as info:
        parse_nir(text)
    err = info.value
    assert err.code == code and err.field == "nir"
    assert str(err) == err.message_fr and err.message_en and err.message_fr != err.message_en
    assert isinstance(err, ValueError)


def test_key_mismatch_message_is_the_specified_one():
    with pytest.raises(NirError) as info:
        parse_nir("184127505612356")
    assert info.value.message_fr == (
        "La clé du NIR ne correspond pas : vérifiez les deux derniers chiffres"
    )
    assert info.value.message("en") == "NIR key does not match: check the last two digits"


def test_cross_checks_are_warnings():
    nir = parse_nir("184127505612355")
    assert check_nir_against(nir, Sex.MALE, date(1984, 12, 3)) == []
    codes = [w.code for w in check_nir_against(nir, "F", date(1985, 11, 3))]
    assert codes == ["nir.sex_mismatch", "nir.year_mismatch", "nir.month_mismatch"]
    assert check_nir_against(nir, Sex.INDETERMINATE, None) == []
    unknown_month = parse_nir(with_key("1845075056123"))
    assert check_nir_against(unknown_month, "M", date(1984, 7, 1)) == []


# --- properties ------------------------------------------------------------------------------

_month = st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)).map(
    lambda m: f"{m:02d}"
)
_metropole = st.tuples(
    st.integers(1, 95).filter(lambda d: d != 20).map(lambda d: f"{d:02d}")
    | st.sampled_from(["2A", "2B"]),
    st.integers(1, 999).map(lambda c: f"{c:03d}"),
).map("".join)
_overseas = st.tuples(
    st.sampled_from(["971", "972", "973", "974", "976", "987"]),
    st.integers(1, 99).map(lambda c: f"{c:02d}"),
).map("".join)
_abroad = st.integers(100, 999).map(lambda c: f"99{c}")
bodies = st.tuples(
    st.sampled_from("123478"),
    st.integers(0, 99).map(lambda y: f"{y:02d}"),
    _month,
    _metropole | _overseas | _abroad,
    st.integers(1, 999).map(lambda o: f"{o:03d}"),
).map("".join)


@given(bodies)
def test_any_valid_body_gets_a_key_that_validates(body):
    key = nir_key(body)
    assert 1 <= key <= 97
    nir = parse_nir(f"{body}{key:02d}")
    assert str(nir) == f"{body}{key:02d}"


@given(bodies, st.data())
def test_any_single_changed_character_is_caught(body, data):
    text = f"{body}{nir_key(body):02d}"
    pos = data.draw(st.integers(0, 14))
    alphabet = "0123456789AB" if pos in (5, 6) else "0123456789"
    new = data.draw(st.sampled_from(alphabet).filter(lambda c: c != text[pos]))
    with pytest.raises(NirError):
        parse_nir(text[:pos] + new + text[pos + 1 :])


@given(bodies, st.sampled_from(["", " ", "\t"]))
def test_round_trip(body, sep):
    text = f"{body}{nir_key(body):02d}"
    spaced = sep.join(text)
    assert str(parse_nir(str(parse_nir(spaced)))) == text


@given(st.text(max_size=40))
def test_random_text_raises_only_nir_error(text):
    try:
        nir = parse_nir(text)
    except NirError:
        return
    assert len(str(nir)) == 15
