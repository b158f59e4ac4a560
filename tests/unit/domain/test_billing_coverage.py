"""Coverage split and accompanying acts; property: shares sum to the tariff, never negative."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.domain.billing import (
    EXONERATIONS,
    UnknownAct,
    accompanying_act,
    compute_coverage,
    pharmacist_accompaniment,
    pharmacist_annual_forfait,
    split_amount,
)
from telecabine.domain.eligibility import PatientSituation, evaluate
from telecabine.domain.errors import DomainError

D = Decimal
ON = date(2026, 3, 2)
PF_RAISE = date(2024, 5, 15)


def shares(c):
    return (c.amo, c.amc, c.patient, c.participation_forfaitaire)


def test_tcg_in_parcours_with_participation_forfaitaire_both_sides_of_2024_05_15():
    before = compute_coverage("TCG", PF_RAISE - timedelta(days=1), eligibility=True)
    after = compute_coverage("TCG", PF_RAISE, eligibility=True)
    assert shares(before) == (D("16.50"), D("7.50"), D("1.00"), D("1.00"))
    assert shares(after) == (D("15.50"), D("7.50"), D("2.00"), D("2.00"))
    assert after.as_record() == {
        "amo": "15.50", "amc": "7.50", "patient": "2.00", "participation_forfaitaire": "2.00",
    }  # fmt: skip


def test_out_of_parcours_penalty_is_not_covered_by_the_complementaire():
    out = compute_coverage("TCG", ON, eligibility=False)
    assert shares(out) == (D("5.50"), D("7.50"), D("12.00"), D("2.00"))
    assert out.to_confirm and "out_of_parcours" in out.basis
    alone = compute_coverage("TCG", ON, eligibility=False, has_complementary=False)
    assert (alone.amc, alone.patient) == (D("0.00"), D("19.50"))


def test_eligibility_result_is_accepted_and_before_2018_refused():
    result = evaluate(PatientSituation(ehpad_resident=True), ON)
    assert compute_coverage("TCG", ON, eligibility=result).amo == D("15.50")
    with pytest.raises(UnknownAct):
        compute_coverage(
            "TCG", date(2018, 1, 1), eligibility=evaluate(PatientSituation(), date(2018, 1, 1))
        )


@pytest.mark.parametrize("exo", ["ald", "other"])
def test_ald_is_100_percent_but_participation_still_due(exo):
    c = compute_coverage("TCG", ON, eligibility=True, exoneration=exo)
    assert shares(c) == (D("23.00"), D("0.00"), D("2.00"), D("2.00"))


def test_maternity_and_ehpad_leave_nothing_to_the_patient():
    m = compute_coverage(
        "TC", ON, eligibility=True, exoneration="maternity", specialty="psychiatry"
    )
    assert shares(m) == (D("41.70"), D("0.00"), D("0.00"), D("0.00"))
    e = compute_coverage("TCG", ON, eligibility=False, exoneration="ehpad")
    assert e.patient == D("0.00") and "ehpad_ars_funded" in e.basis


def test_minors_and_css_ame_are_exempt_from_participation():
    assert compute_coverage("TCG", ON, eligibility=True, patient_age=17).patient == D("0.00")
    assert compute_coverage("TCG", ON, eligibility=True, patient_age=18).patient == D("2.00")
    assert compute_coverage("TCG", ON, eligibility=True, css_or_ame=True).patient == D("0.00")


def test_tele_expertise_and_nurse_acts():
    te = compute_coverage("TE2", ON, eligibility=False)
    assert shares(te) == (D("23.00"), D("0.00"), D("0.00"), D("0.00"))
    nurse = compute_coverage("TLL", ON, eligibility=True)
    assert shares(nurse) == (D("7.20"), D("4.80"), D("0.00"), D("0.00"))


def test_rounding_to_the_cent_keeps_the_sum():
    c = compute_coverage("TC", ON, eligibility=True, specialty="cardiology")  # 47.73 * 0.7
    assert c.amo + c.participation_forfaitaire == D("33.41")
    assert c.amo + c.amc + c.patient == D("47.73")


def test_bad_amount_or_exoneration():
    with pytest.raises(DomainError):
        split_amount(D("1.001"), payer="doctor", on=ON, in_parcours=True)
    with pytest.raises(DomainError):
        split_amount(D("-1"), payer="doctor", on=ON, in_parcours=True)
    with pytest.raises(DomainError, match="inconnue"):
        split_amount(D("1"), payer="doctor", on=ON, in_parcours=True, exoneration="cmu")  # type: ignore[arg-type]


cents = st.integers(0, 100_000).map(lambda c: D(c) / 100)
dates = st.dates(date(2018, 9, 15), date(2035, 12, 31))


@given(
    cents,
    st.sampled_from(["doctor", "paramedical", "full"]),
    dates,
    st.booleans(),
    st.sampled_from([None, *EXONERATIONS]),
    st.booleans(),
    st.booleans(),
)
def test_shares_always_sum_to_the_tariff_and_are_never_negative(
    amount, payer, on, in_parcours, exo, has_amc, pf
):
    c = split_amount(
        amount,
        payer=payer,
        on=on,
        in_parcours=in_parcours,
        exoneration=exo,
        has_complementary=has_amc,
        participation_applies=pf,
    )
    assert c.amo + c.amc + c.patient == amount == c.tariff
    assert min(c.amo, c.amc, c.patient, c.participation_forfaitaire) >= 0
    assert c.participation_forfaitaire <= c.patient
    for value in shares(c):
        assert value == value.quantize(D("0.01"))


# --- accompanying professional --------------------------------------------------------------


def test_pharmacist_tlm_cap():
    first = pharmacist_accompaniment(ON, D("0"))
    assert (first.act_code, first.amount, first.cap_reached) == ("TLM", D("5.00"), False)
    last_full = pharmacist_accompaniment(ON, D("745.00"))
    assert last_full.amount == D("5.00") and last_full.cap_reached and last_full.note is None
    partial = pharmacist_accompaniment(ON, D("747.00"))
    assert (partial.amount, partial.year_to_date_after, partial.note) == (
        D("3.00"),
        D("750.00"),
        "annual_cap_reached",
    )
    over = pharmacist_accompaniment(ON, D("750.00"))
    assert over.amount == D("0.00") and over.cap_reached
    with pytest.raises(DomainError):
        pharmacist_accompaniment(ON, D("-5"))


def test_pharmacist_before_2022_05_07_and_2019_forfait():
    old = pharmacist_accompaniment(date(2022, 5, 6), D("0"))
    assert old.amount == D("0.00") and old.note == "annual_forfait_2019"
    assert pharmacist_accompaniment(date(2022, 5, 7), D("0")).amount == D("5.00")
    with pytest.raises(UnknownAct):
        pharmacist_accompaniment(date(2018, 12, 31), D("0"))
    assert [pharmacist_annual_forfait(n, 2020) for n in (0, 1, 20, 21, 30, 31)] == [
        D("0.00"), D("200.00"), D("200.00"), D("300.00"), D("300.00"), D("400.00"),
    ]  # fmt: skip
    assert pharmacist_annual_forfait(40, 2023) == D("0.00")


@given(st.integers(0, 80_000).map(lambda c: D(c) / 100))
def test_pharmacist_never_exceeds_the_cap(ytd):
    act = pharmacist_accompaniment(ON, ytd)
    assert D("0") <= act.amount <= D("5.00")
    assert act.year_to_date_after == ytd + act.amount
    assert act.year_to_date_after <= max(ytd, D("750.00"))


@pytest.mark.parametrize(
    ("setting", "code", "amount"),
    [
        ("planned_visit", "TLS", "10.00"),
        ("dedicated_place", "TLL", "12.00"),
        ("home_visit", "TLD", "15.00"),
    ],
)
def test_nurse_act_by_setting(setting, code, amount):
    act = accompanying_act("nurse", ON, nurse_setting=setting)
    assert (act.act_code, act.amount) == (code, D(amount))


def test_other_roles_and_missing_nurse_setting():
    assert accompanying_act("doctor", ON).act_code is None
    assert accompanying_act("pharmacist", ON, pharmacist_year_to_date=D("10")).amount == D("5.00")
    with pytest.raises(DomainError) as info:
        accompanying_act("nurse", ON)
    assert info.value.field == "nurse_setting"
    with pytest.raises(ValueError):
        accompanying_act("janitor", ON)
