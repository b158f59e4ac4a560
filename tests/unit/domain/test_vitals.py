"""Vitals domain: conversions, plausibility, flags from the range table, observations."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.domain import vitals
from telecabine.domain.vitals import MANUAL, VitalError, make_observation

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ranges() -> vitals.VitalRanges:
    return vitals.default_ranges()


def obs(sign, value, unit, ranges, method="device:AA:BB"):
    return make_observation(sign, value, unit, method=method, measured_at=NOW, ranges=ranges)


def test_conversions_exact():
    assert vitals.convert(98.6, "[degF]", "Cel") == pytest.approx(37.0)
    assert vitals.convert(212, "[degF]", "Cel") == pytest.approx(100.0)
    assert vitals.convert(16.0, "kPa", "mm[Hg]") == pytest.approx(120.01, abs=0.01)
    assert vitals.convert(100, "[lb_av]", "kg") == pytest.approx(45.359237)
    assert vitals.convert(1.75, "m", "cm") == pytest.approx(175.0)
    assert vitals.convert(37.2, "Cel", "Cel") == 37.2


def test_unsupported_unit_is_a_vital_error():
    with pytest.raises(VitalError) as e:
        vitals.convert(1, "mg", "kg")
    assert e.value.code == "unit" and "mg" in e.value.message_fr and "mg" in e.value.message_en


@given(st.floats(-100, 300, allow_nan=False))
def test_fahrenheit_round_trip(c):
    f = c * 9 / 5 + 32
    assert vitals.convert(f, "[degF]", "Cel") == pytest.approx(c, abs=1e-9)


def test_observation_fields_and_loinc(ranges):
    o = obs("temperature", 101.3, "[degF]", ranges)
    assert (o.code, o.unit, o.value, o.flag) == ("8310-5", "Cel", 38.5, "high")
    assert o.method == "device:AA:BB" and not o.is_manual
    fields = o.as_vital_fields()
    assert fields["measured_at"] == "2026-11-23T08:00:00+00:00"
    assert fields["label_fr"] == "Température" and fields["label_en"] == "Body temperature"


@pytest.mark.parametrize(
    ("sign", "value", "unit", "flag"),
    [
        ("temperature", 36.8, "Cel", "normal"),
        ("temperature", 35.5, "Cel", "low"),
        ("temperature", 34.0, "Cel", "critical"),
        ("temperature", 40.5, "Cel", "critical"),
        ("spo2", 98, "%", "normal"),
        ("spo2", 92, "%", "low"),
        ("spo2", 85, "%", "critical"),
        ("heart_rate", 72, "/min", "normal"),
        ("heart_rate", 45, "/min", "low"),
        ("heart_rate", 150, "/min", "critical"),
        ("systolic", 120, "mm[Hg]", "normal"),
        ("systolic", 165, "mm[Hg]", "high"),
        ("systolic", 180, "mm[Hg]", "critical"),
        ("diastolic", 95, "mm[Hg]", "high"),
        ("weight", 72.4, "kg", None),
        ("bmi", 27.0, "kg/m2", "high"),
    ],
)
def test_flags_from_range_table(ranges, sign, value, unit, flag):
    assert obs(sign, value, unit, ranges).flag == flag


def test_kpa_converted_and_rounded(ranges):
    o = obs("systolic", 16.0, "kPa", ranges)
    assert (o.value, o.unit) == (120.0, "mm[Hg]")


def test_pounds_converted(ranges):
    o = obs("weight", 160, "[lb_av]", ranges)
    assert (o.value, o.unit) == (72.6, "kg")


@pytest.mark.parametrize(
    ("sign", "value", "unit"),
    [
        ("temperature", 50, "Cel"),
        ("temperature", 20, "Cel"),
        ("spo2", 101, "%"),
        ("heart_rate", 0, "/min"),
        ("systolic", 400, "mm[Hg]"),
        ("weight", 0, "kg"),
    ],
)
def test_impossible_values_rejected_bilingual(ranges, sign, value, unit):
    with pytest.raises(VitalError) as e:
        obs(sign, value, unit, ranges)
    assert e.value.code == "implausible"
    assert "impossible" in e.value.message("fr") and "not possible" in e.value.message("en")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_device_special_values_rejected(ranges, bad):
    with pytest.raises(VitalError) as e:
        obs("temperature", bad, "Cel", ranges)
    assert e.value.code == "not_a_number"


def test_manual_and_method_validation(ranges):
    assert obs("spo2", 97, "%", ranges, method=MANUAL).is_manual
    with pytest.raises(ValueError):
        obs("spo2", 97, "%", ranges, method="typed")
    with pytest.raises(ValueError):
        make_observation(
            "spo2", 97, "%", method=MANUAL, measured_at=datetime(2026, 1, 1), ranges=ranges
        )
    with pytest.raises(ValueError):
        vitals.device_method("")
    assert vitals.device_method("AA:BB") == "device:AA:BB"


def test_blood_pressure_panel(ranges):
    out = vitals.blood_pressure_observations(
        150, 95, "mm[Hg]", mean=113, method=MANUAL, measured_at=NOW, ranges=ranges
    )
    assert [o.code for o in out] == ["8480-6", "8462-4", "8478-0"]
    assert [o.flag for o in out] == ["high", "high", "high"]


def test_blood_pressure_inconsistent(ranges):
    with pytest.raises(VitalError) as e:
        vitals.blood_pressure_observations(
            80, 90, "mm[Hg]", method=MANUAL, measured_at=NOW, ranges=ranges
        )
    assert e.value.code == "inconsistent"


def test_range_table_is_data(ranges):
    custom = vitals.VitalRanges.from_mapping(
        {
            "ranges": {
                "8310-5": {
                    "unit": "Cel",
                    "plausible": [30, 44],
                    "normal": [36.5, 37.5],
                    "critical": None,
                }
            }
        }
    )
    o = make_observation("temperature", 36.2, "Cel", method=MANUAL, measured_at=NOW, ranges=custom)
    assert o.flag == "low"
    assert obs("temperature", 36.2, "Cel", ranges).flag == "normal"
    with pytest.raises(ValueError):
        vitals.VitalRanges.from_mapping(
            {
                "ranges": {
                    "8310-5": {
                        "unit": "[degF]",
                        "plausible": [1, 2],
                        "normal": None,
                        "critical": None,
                    }
                }
            }
        )


def test_every_kind_has_signs_in_the_table(ranges):
    for kind, signs in vitals.KIND_SIGNS.items():
        assert signs, kind
        for s in signs:
            assert ranges.get(vitals.VITAL_SIGNS[s].code) is not None


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_gives_observation_or_vital_error(ranges, x):
    try:
        o = obs("heart_rate", x, "/min", ranges)
    except VitalError:
        return
    assert 15 <= o.value <= 300 and o.flag in {"normal", "low", "high", "critical"}


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(60.05, 1, 60.1), (36.75, 1, 36.8), (72.5, 0, 73.0), (-0.5, 0, -1.0)],
)
def test_round_half_up(value, decimals, expected):
    assert vitals.round_half_up(value, decimals) == expected


def test_scale_half_values_round_up(ranges):
    assert obs("weight", 60.05, "kg", ranges).value == 60.1
