"""Property: a value a device encodes comes out as the right observation (decode + convert)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from telecabine.devices.ble import adapters as a
from telecabine.devices.ble import frames
from telecabine.domain.vitals import VitalError, default_ranges, make_observation

RANGES = default_ranges()
NOW = datetime(2026, 11, 23, tzinfo=UTC)
THERMO, BP, SCALE = (
    a.build_registry().get(i) for i in ("sig.thermometer", "sig.blood_pressure", "sig.weight_scale")
)


def observe(reading):
    return {
        sign: make_observation(sign, v, u, method="device:X", measured_at=NOW, ranges=RANGES)
        for sign, (v, u) in reading.values.items()
    }


@given(st.integers(250, 450), st.booleans())
def test_thermometer_celsius_or_fahrenheit(tenths_c, fahrenheit):
    celsius = tenths_c / 10
    sent = round(celsius * 9 / 5 + 32, 1) if fahrenheit else celsius
    frame = frames.temperature_frame(sent, fahrenheit=fahrenheit)
    obs = observe(THERMO.decode(a.TEMPERATURE_MEASUREMENT, frame))["temperature"]
    assert obs.unit == "Cel"
    # °F with one decimal is 1/18 °C resolution: the °C value is within 0.05 of the truth
    assert abs(obs.value - celsius) <= (0.051 if fahrenheit else 1e-9)


@given(st.integers(60, 250), st.integers(30, 150), st.booleans())
def test_blood_pressure_mmhg_or_kpa(sys_mmhg, dia_mmhg, kpa):
    to_kpa = 101.325 / 760
    values = (sys_mmhg, dia_mmhg, (sys_mmhg + 2 * dia_mmhg) / 3)
    sent = [round(v * to_kpa, 1) for v in values] if kpa else [round(v) for v in values]
    frame = frames.blood_pressure_frame(*sent, kpa=kpa)
    reading = BP.decode(a.BLOOD_PRESSURE_MEASUREMENT, frame)
    try:
        obs = observe(reading)
    except VitalError as exc:
        assert exc.code == "implausible"
        return
    # 0.1 kPa is 0.75 mmHg: after conversion and rounding to whole mmHg, within 1 mmHg
    assert abs(obs["systolic"].value - sys_mmhg) <= (1 if kpa else 0)
    assert obs["systolic"].unit == "mm[Hg]"


@given(st.integers(1, 0xFFFE))
def test_scale_resolution(raw):
    kg = raw * 0.005
    frame = frames.weight_frame(kg)
    reading = SCALE.decode(a.WEIGHT_MEASUREMENT, frame)
    assert abs(reading.values["weight"][0] - kg) < 1e-9
    try:
        obs = observe(reading)["weight"]
    except VitalError as exc:
        assert exc.code == "implausible" and not 0.5 <= kg <= 400.05
        return
    exact = Decimal(raw) * Decimal("0.005")  # the scale's resolution, no float error
    assert obs.value == float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
