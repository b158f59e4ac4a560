"""Every act of the tariff table on both sides of every tariff change, and property tests over
the real acts: shares always add up to the tariff and are never negative.

Changes (shared/design/DOMAIN.md §1): TE1/TE2 reform 2022-04-01 (avenant 9: TE1 gone, RQD
created), participation forfaitaire 1 -> 2 EUR on 2024-05-15, TE2 20 -> 23 EUR on 2026-01-01.
Plus the data's own dates: pharmacist TLM paid from 2022-05-07, CS + MPC 25 -> 30 EUR on
2024-12-22 (TC of "specialist").
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from telecabine.domain.billing import (
    EXONERATIONS,
    UnknownAct,
    compute_coverage,
    load_tariffs,
    participation_forfaitaire,
    specialty_code,
    tariff,
)

D = Decimal
DAY = timedelta(days=1)
REFORM, PF_RAISE, TE2_RAISE = date(2022, 4, 1), date(2024, 5, 15), date(2026, 1, 1)
TLM_PAID, CS_RAISE = date(2022, 5, 7), date(2024, 12, 22)
CHANGES = (REFORM, PF_RAISE, TE2_RAISE)
X = None  # UnknownAct: the act does not exist / is not reimbursable that day

# act -> {change date: (amount the day before, amount on the day)}; "TC:<specialty>" = TC.
EXPECTED: dict[str, dict[date, tuple[str | None, str | None]]] = {
    "TCG": {REFORM: ("25.00", "25.00"), PF_RAISE: ("25.00", "25.00"),
            TE2_RAISE: ("25.00", "25.00"), CS_RAISE: ("25.00", "25.00")},
    "TE1": {REFORM: ("12.00", X), PF_RAISE: (X, X), TE2_RAISE: (X, X)},
    "TE2": {REFORM: ("20.00", "20.00"), PF_RAISE: ("20.00", "20.00"),
            TE2_RAISE: ("20.00", "23.00")},
    "RQD": {REFORM: (X, "10.00"), PF_RAISE: ("10.00", "10.00"), TE2_RAISE: ("10.00", "10.00")},
    "TLS": {REFORM: ("10.00", "10.00"), PF_RAISE: ("10.00", "10.00"),
            TE2_RAISE: ("10.00", "10.00")},
    "TLL": {REFORM: ("12.00", "12.00"), PF_RAISE: ("12.00", "12.00"),
            TE2_RAISE: ("12.00", "12.00")},
    "TLD": {REFORM: ("15.00", "15.00"), PF_RAISE: ("15.00", "15.00"),
            TE2_RAISE: ("15.00", "15.00")},
    "TLM": {REFORM: ("0.00", "0.00"), TLM_PAID: ("0.00", "5.00"), PF_RAISE: ("5.00", "5.00"),
            TE2_RAISE: ("5.00", "5.00")},
    "TC:general_practice": {d: ("23.00", "23.00") for d in CHANGES},
    "TC:specialist": {REFORM: ("25.00", "25.00"), PF_RAISE: ("25.00", "25.00"),
                      CS_RAISE: ("25.00", "30.00"), TE2_RAISE: ("30.00", "30.00")},
    "TC:pediatrics": {d: ("25.00", "25.00") for d in CHANGES},
    "TC:cardiology": {d: ("47.73", "47.73") for d in CHANGES},
    "TC:psychiatry": {d: ("41.70", "41.70") for d in CHANGES},
    "TC:neuropsychiatry": {d: ("41.70", "41.70") for d in CHANGES},
    "TC:consultant_opinion": {d: ("58.50", "58.50") for d in CHANGES},
}  # fmt: skip

CASES = [
    (act, day, value)
    for act, changes in EXPECTED.items()
    for change, pair in changes.items()
    for day, value in zip((change - DAY, change), pair, strict=True)
]


def _split(act: str) -> tuple[str, str | None]:
    code, _, specialty = act.partition(":")
    return code, specialty or None


def test_the_matrix_covers_every_act_and_specialty_of_the_table():
    table = load_tariffs()
    acts = {_split(a)[0] for a in EXPECTED}
    specialties = {_split(a)[1] for a in EXPECTED if a.startswith("TC:")}
    assert acts == set(table.acts)
    assert specialties == set(table.specialties)
    for act, changes in EXPECTED.items():
        assert set(CHANGES) <= set(changes), act  # every act, every change of DOMAIN.md


@pytest.mark.parametrize(("act", "on", "expected"), CASES, ids=lambda v: str(v))
def test_every_act_on_both_sides_of_every_change(act, on, expected):
    code, specialty = _split(act)
    if expected is None:
        with pytest.raises(UnknownAct) as err:
            tariff(code, on, specialty=specialty)
        assert err.value.act_code == code and on.strftime("%d/%m/%Y") in err.value.message_fr
        return
    assert tariff(code, on, specialty=specialty) == D(expected)


@pytest.mark.parametrize(("act", "on", "expected"), [c for c in CASES if c[2] is not None],
                         ids=lambda v: str(v))  # fmt: skip
@pytest.mark.parametrize("in_parcours", [True, False])
def test_coverage_of_every_act_on_both_sides_adds_up(act, on, expected, in_parcours):
    code, specialty = _split(act)
    c = compute_coverage(code, on, eligibility=in_parcours, specialty=specialty, patient_age=40)
    assert c.tariff == D(expected) and c.amo + c.amc + c.patient == c.tariff
    assert min(c.amo, c.amc, c.patient) >= 0
    if load_tariffs().acts[code].payer == "doctor":  # PF only on doctor acts, at its rate then
        assert c.participation_forfaitaire == participation_forfaitaire(on)
    else:
        assert c.participation_forfaitaire == 0


@pytest.mark.parametrize(
    ("on", "pf"),
    [(PF_RAISE - DAY, "1.00"), (PF_RAISE, "2.00"), (REFORM - DAY, "1.00"), (REFORM, "1.00"),
     (TE2_RAISE - DAY, "2.00"), (TE2_RAISE, "2.00")],
)  # fmt: skip
def test_tcg_adult_in_parcours_on_both_sides_of_each_change(on, pf):
    c = compute_coverage("TCG", on, eligibility=True, patient_age=40)
    assert (c.amo, c.amc, c.patient, c.participation_forfaitaire) == (
        D("17.50") - D(pf), D("7.50"), D(pf), D(pf),
    )  # fmt: skip


ACTS = st.sampled_from(sorted(EXPECTED))
DATES = st.dates(date(2018, 9, 15), date(2032, 12, 31))


@given(
    ACTS,
    DATES,
    st.booleans(),
    st.sampled_from([None, *EXONERATIONS]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 110)),
    st.booleans(),
)
def test_real_acts_shares_sum_to_the_tariff_and_are_never_negative(
    act, on, in_parcours, exoneration, has_amc, age, css
):
    code, specialty = _split(act)
    try:
        amount = tariff(code, on, specialty=specialty)
    except UnknownAct:
        assume(False)
    c = compute_coverage(
        code, on, eligibility=in_parcours, exoneration=exoneration, specialty=specialty,
        has_complementary=has_amc, patient_age=age, css_or_ame=css,
    )  # fmt: skip
    assert c.tariff == amount
    assert c.amo + c.amc + c.patient == amount
    assert min(c.amo, c.amc, c.patient, c.participation_forfaitaire) >= 0
    assert c.participation_forfaitaire <= c.patient
    for share in (c.amo, c.amc, c.patient, c.participation_forfaitaire):
        assert share == share.quantize(D("0.01"))
    if exoneration == "ehpad":  # ARS-funded: nothing left for the resident
        assert c.patient == 0
    if not has_amc:
        assert c.amc == 0


@pytest.mark.parametrize(
    ("sent", "code"),
    [("cardiology", "cardiology"), ("Cardiologie", "cardiology"), ("PSYCHIATRIE", "psychiatry"),
     ("Psychiatry", "psychiatry"), ("Pediatrie", "pediatrics"), ("Médecine générale",
     "general_practice"), ("Dermatologie", None), ("", None)],
)  # fmt: skip
def test_tc_takes_the_specialty_as_the_console_sends_it(sent, code):
    assert specialty_code(sent) == code
    if code is None:
        with pytest.raises(UnknownAct, match="TC"):
            tariff("TC", TE2_RAISE, specialty=sent)
    else:
        assert tariff("TC", TE2_RAISE, specialty=sent) == tariff("TC", TE2_RAISE, specialty=code)
