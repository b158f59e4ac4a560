"""Tariffs on both sides of every change, UnknownAct, TC by specialty, operator copies."""

import json
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

import pytest

from telecabine.domain.billing import (
    UnknownAct,
    act_info,
    amo_rate,
    load_tariffs,
    participation_forfaitaire,
    tariff,
)
from telecabine.domain.datafile import DataFileError

D = Decimal
DAY = timedelta(days=1)
TELECONSULTATION = date(2018, 9, 15)
TE_START = date(2019, 2, 10)
REFORM = date(2022, 4, 1)
TE2_RAISE = date(2026, 1, 1)
PF_RAISE = date(2024, 5, 15)


def packaged_data():
    return json.loads(
        (resources.files("telecabine.domain.billing") / "data/tariffs.json").read_text("utf-8")
    )


@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        ("TCG", TELECONSULTATION, "25.00"),
        ("TCG", date(2024, 12, 22), "25.00"),  # G went to 30, TCG stayed at 25
        ("TCG", TE2_RAISE, "25.00"),
        ("TE1", TE_START, "12.00"),
        ("TE1", REFORM - DAY, "12.00"),
        ("TE2", TE_START, "20.00"),
        ("TE2", REFORM - DAY, "20.00"),
        ("TE2", REFORM, "20.00"),
        ("TE2", TE2_RAISE - DAY, "20.00"),
        ("TE2", TE2_RAISE, "23.00"),
        ("RQD", REFORM, "10.00"),
        ("RQD", TE2_RAISE, "10.00"),
        ("TLS", date(2020, 1, 1), "10.00"),
        ("TLL", date(2020, 1, 1), "12.00"),
        ("TLD", date(2020, 1, 1), "15.00"),
        ("TLM", date(2022, 5, 6), "0.00"),
        ("TLM", date(2022, 5, 7), "5.00"),
        (" tcg ", TE2_RAISE, "25.00"),
    ],
)
def test_tariffs_on_both_sides_of_each_change(code, on, expected):
    amount = tariff(code, on)
    assert amount == D(expected) and isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("code", "on"),
    [
        ("TCG", TELECONSULTATION - DAY),
        ("TE1", TE_START - DAY),
        ("TE2", TE_START - DAY),
        ("TE1", REFORM),  # TE1 abolished by avenant 9
        ("RQD", REFORM - DAY),
        ("TLS", date(2019, 12, 31)),
        ("G", TE2_RAISE),  # face-to-face act: not a teleconsultation act
        ("XYZ", TE2_RAISE),
    ],
)
def test_unknown_or_not_yet_reimbursable_acts(code, on):
    with pytest.raises(UnknownAct) as info:
        tariff(code, on)
    err = info.value
    assert isinstance(err, ValueError) and err.code == "billing.unknown_act"
    assert err.act_code == code.strip().upper() and err.on == on
    assert code in str(err) and f"{on:%d/%m/%Y}" in str(err)
    assert on.isoformat() in err.message_en


def test_tc_takes_the_specialty_tariff():
    assert tariff("TC", TE2_RAISE, specialty="psychiatry") == D("41.70")
    assert tariff("TC", date(2024, 12, 21), specialty="specialist") == D("25.00")
    assert tariff("TC", date(2024, 12, 22), specialty="specialist") == D("30.00")
    amounts = [tariff("TC", TE2_RAISE, specialty=s) for s in load_tariffs().specialties]
    assert min(amounts) == D("23.00") and max(amounts) == D("58.50")  # DOMAIN.md range
    with pytest.raises(UnknownAct, match="TC"):
        tariff("TC", TE2_RAISE)
    with pytest.raises(UnknownAct, match="astrology"):
        tariff("TC", TE2_RAISE, specialty="astrology")
    with pytest.raises(UnknownAct):
        tariff("TC", TELECONSULTATION - DAY, specialty="psychiatry")


def test_participation_forfaitaire_both_sides_of_2024_05_15():
    assert participation_forfaitaire(PF_RAISE - DAY) == D("1.00")
    assert participation_forfaitaire(PF_RAISE) == D("2.00")
    assert participation_forfaitaire(date(2004, 12, 31)) == D("0.00")


def test_amo_rates_and_act_info():
    assert amo_rate("doctor_in_parcours", TE2_RAISE) == D("0.70")
    assert amo_rate("paramedical", TE2_RAISE) == D("0.60")
    assert "doctor_out_of_parcours" in load_tariffs().amo_rates_to_confirm
    info = act_info("te2")
    assert info is not None and info.payer == "full" and info.label_fr == "Télé-expertise"
    assert act_info("nope") is None


def test_operator_copy_corrects_a_figure(tmp_path):
    data = packaged_data()
    data["acts"]["TCG"]["periods"] = [
        {"from": "2018-09-15", "until": "2026-06-30", "amount": "25.00"},
        {"from": "2026-07-01", "until": None, "amount": "30.00"},
    ]
    path = tmp_path / "tariffs.json"
    path.write_text(json.dumps(data), "utf-8")
    table = load_tariffs(path)
    assert tariff("TCG", date(2026, 7, 1), table=table) == D("30.00")
    assert tariff("TCG", date(2026, 7, 1)) == D("25.00")  # packaged copy untouched


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["acts"]["TCG"]["periods"][0].update({"amount": "25.001"}), "montant"),
        (lambda d: d["acts"]["TCG"]["periods"][0].update({"amount": "-1"}), "montant"),
        (lambda d: d["acts"]["TCG"]["periods"][0].update({"amount": "abc"}), "montant"),
        (lambda d: d["acts"]["TE2"]["periods"][1].update({"from": "2022-03-01"}), "chevauchent"),
        (lambda d: d["acts"]["TE2"].update({"payer": "nobody"}), "payer"),
        (lambda d: d["amo_rates"]["paramedical"]["periods"][0].update({"rate": "1.5"}), "montant"),
        (lambda d: d.pop("participation_forfaitaire"), "participation_forfaitaire"),
        (lambda d: d["acts"]["TCG"]["periods"][0].update({"from": "15/09/2018"}), "date"),
    ],
)
def test_broken_operator_copy_is_refused_clearly(mutate, needle):
    data = packaged_data()
    mutate(data)
    with pytest.raises(DataFileError) as info:
        load_tariffs(data)
    assert needle in str(info.value)
