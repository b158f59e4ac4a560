"""GATT decoders: known frames, round-trips through an encoder written here, random bytes."""

from __future__ import annotations

import contextlib
import math
import struct
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.devices.ble import gatt
from telecabine.devices.ble.gatt import GattParseError

# --- an independent encoder (kept deliberately naive, written from DOMAIN.md §3) -------------


def enc_sfloat(mantissa: int, exponent: int) -> int:
    return ((exponent & 0xF) << 12) | (mantissa & 0x0FFF)


def enc_float(mantissa: int, exponent: int) -> int:
    return ((exponent & 0xFF) << 24) | (mantissa & 0x00FFFFFF)


def enc_ts(ts: datetime) -> bytes:
    return struct.pack("<HBBBBB", ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second)


def value(m: int, e: int) -> float:
    return m * 10.0**e


sfloat_mantissa = st.integers(-2045, 2045)
sfloat_exponent = st.integers(-8, 7)
float_mantissa = st.integers(-(2**23) + 3, 2**23 - 3)
float_exponent = st.integers(-128, 127)
timestamps = st.one_of(
    st.none(), st.datetimes(min_value=datetime(1582, 1, 1), max_value=datetime(9999, 12, 31))
).map(lambda d: d.replace(microsecond=0) if d else None)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


# --- numbers ----------------------------------------------------------------------------------


def test_sfloat_known_values():
    assert gatt.decode_sfloat(0xF014) == 2.0
    assert gatt.decode_sfloat(0xF16F) == 36.7
    assert gatt.decode_sfloat(0x0078) == 120.0
    assert gatt.decode_sfloat(0x0FFF) == -1.0
    assert gatt.decode_sfloat(0x1002) == 20.0


@pytest.mark.parametrize("exp", [0x0, 0x8, 0xF])
def test_sfloat_specials_ignore_exponent(exp):
    base = exp << 12
    assert math.isnan(gatt.decode_sfloat(base | 0x07FF))
    assert math.isnan(gatt.decode_sfloat(base | 0x0800))
    assert math.isnan(gatt.decode_sfloat(base | 0x0801))
    assert gatt.decode_sfloat(base | 0x07FE) == math.inf
    assert gatt.decode_sfloat(base | 0x0802) == -math.inf


def test_float_specials_and_known_values():
    assert math.isnan(gatt.decode_float(0x007FFFFF))
    assert math.isnan(gatt.decode_float(0x00800000))
    assert math.isnan(gatt.decode_float(0x00800001))
    assert gatt.decode_float(0x007FFFFE) == math.inf
    assert gatt.decode_float(0x00800002) == -math.inf
    assert gatt.decode_float(enc_float(367, -1)) == 36.7
    assert gatt.decode_float(enc_float(-5, 2)) == -500.0


@pytest.mark.parametrize("raw", [-1, 0x10000])
def test_sfloat_out_of_range(raw):
    with pytest.raises(GattParseError):
        gatt.decode_sfloat(raw)


def test_float_out_of_range():
    with pytest.raises(GattParseError):
        gatt.decode_float(1 << 32)


@given(sfloat_mantissa, sfloat_exponent)
def test_sfloat_round_trip(m, e):
    assert close(gatt.decode_sfloat(enc_sfloat(m, e)), value(m, e))


@given(float_mantissa, float_exponent)
def test_float_round_trip(m, e):
    assert close(gatt.decode_float(enc_float(m, e)), value(m, e))


@given(st.integers(0, 0xFFFF))
def test_sfloat_total(raw):
    assert isinstance(gatt.decode_sfloat(raw), float)


# --- temperature ------------------------------------------------------------------------------


def test_temperature_known_frame():
    frame = bytes([0x06]) + struct.pack("<I", enc_float(385, -1))
    frame += enc_ts(datetime(2026, 11, 23, 8, 30, 5)) + bytes([2])
    m = gatt.parse_temperature(frame)
    assert m == gatt.TemperatureMeasurement(38.5, "Cel", datetime(2026, 11, 23, 8, 30, 5), "body")


@given(
    float_mantissa,
    st.integers(-3, 3),
    st.booleans(),
    timestamps,
    st.sampled_from([None, *range(1, 10)]),
)
def test_temperature_round_trip(m, e, fahrenheit, ts, site):
    flags = (0x01 if fahrenheit else 0) | (0x02 if ts else 0) | (0x04 if site else 0)
    frame = bytes([flags]) + struct.pack("<I", enc_float(m, e))
    frame += enc_ts(ts) if ts else b""
    frame += bytes([site]) if site else b""
    got = gatt.parse_temperature(frame)
    assert close(got.value, value(m, e))
    assert got.unit == ("[degF]" if fahrenheit else "Cel")
    assert got.timestamp == ts
    assert got.site == (gatt.TEMPERATURE_SITES[site] if site else None)


def test_temperature_unknown_timestamp_is_none():
    frame = bytes([0x02]) + struct.pack("<I", enc_float(370, -1)) + bytes(7)
    assert gatt.parse_temperature(frame).timestamp is None


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00\x01\x02",  # truncated FLOAT
        b"\x02" + struct.pack("<I", 370) + b"\xea\x07\x0b",  # truncated timestamp
        b"\x00" + struct.pack("<I", 370) + b"\x00",  # trailing byte
        b"\x02" + struct.pack("<I", 370) + struct.pack("<HBBBBB", 2026, 13, 1, 0, 0, 0),
        b"\x04" + struct.pack("<I", 370) + b"\x0a",  # reserved temperature type
    ],
)
def test_temperature_bad_frames(frame):
    with pytest.raises(GattParseError):
        gatt.parse_temperature(frame)


# --- blood pressure ---------------------------------------------------------------------------


@given(
    st.tuples(sfloat_mantissa, sfloat_mantissa, sfloat_mantissa),
    st.booleans(),
    timestamps,
    st.one_of(st.none(), sfloat_mantissa),
    st.one_of(st.none(), st.integers(0, 255)),
    st.one_of(st.none(), st.integers(0, 0xFFFF)),
)
def test_blood_pressure_round_trip(pressures, kpa, ts, pulse, user, status):
    flags = (
        (0x01 if kpa else 0)
        | (0x02 if ts else 0)
        | (0x04 if pulse is not None else 0)
        | (0x08 if user is not None else 0)
        | (0x10 if status is not None else 0)
    )
    frame = bytes([flags]) + b"".join(struct.pack("<H", enc_sfloat(p, 0)) for p in pressures)
    frame += enc_ts(ts) if ts else b""
    frame += struct.pack("<H", enc_sfloat(pulse, 0)) if pulse is not None else b""
    frame += bytes([user]) if user is not None else b""
    frame += struct.pack("<H", status) if status is not None else b""
    got = gatt.parse_blood_pressure(frame)
    assert (got.systolic, got.diastolic, got.mean_arterial_pressure) == tuple(
        float(p) for p in pressures
    )
    assert got.unit == ("kPa" if kpa else "mm[Hg]")
    assert got.timestamp == ts
    assert got.pulse_rate == (float(pulse) if pulse is not None else None)
    assert got.user_id == user
    assert got.measurement_status == status


def test_blood_pressure_known_frame():
    frame = bytes.fromhex("04780050005d004800")
    got = gatt.parse_blood_pressure(frame)
    assert (got.systolic, got.diastolic, got.mean_arterial_pressure) == (120.0, 80.0, 93.0)
    assert got.pulse_rate == 72.0 and got.user_id is None and got.timestamp is None


@pytest.mark.parametrize(
    "frame", [b"\x00\x78\x00\x50\x00", bytes.fromhex("04785000500050"), bytes(8)]
)
def test_blood_pressure_bad_frames(frame):
    with pytest.raises(GattParseError):
        gatt.parse_blood_pressure(frame)


# --- pulse oximetry ---------------------------------------------------------------------------


@given(
    sfloat_mantissa,
    sfloat_mantissa,
    timestamps,
    st.one_of(st.none(), st.integers(0, 0xFFFF)),
    st.one_of(st.none(), st.integers(0, 0xFFFFFF)),
    st.one_of(st.none(), sfloat_mantissa),
    st.booleans(),
)
def test_plx_spot_check_round_trip(spo2, pr, ts, status, dev, pai, clock_not_set):
    flags = (
        (0x01 if ts else 0)
        | (0x02 if status is not None else 0)
        | (0x04 if dev is not None else 0)
        | (0x08 if pai is not None else 0)
        | (0x10 if clock_not_set else 0)
    )
    frame = bytes([flags]) + struct.pack("<HH", enc_sfloat(spo2, 0), enc_sfloat(pr, 0))
    frame += enc_ts(ts) if ts else b""
    frame += struct.pack("<H", status) if status is not None else b""
    frame += dev.to_bytes(3, "little") if dev is not None else b""
    frame += struct.pack("<H", enc_sfloat(pai, -1)) if pai is not None else b""
    got = gatt.parse_plx_spot_check(frame)
    assert (got.spo2, got.pulse_rate) == (float(spo2), float(pr))
    assert got.timestamp == (None if clock_not_set else ts)
    assert got.measurement_status == status
    assert got.device_status == dev
    if pai is None:
        assert got.pulse_amplitude_index is None
    else:
        assert close(got.pulse_amplitude_index, value(pai, -1))


@given(
    sfloat_mantissa,
    sfloat_mantissa,
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 0xFFFF)),
    st.one_of(st.none(), st.integers(0, 0xFFFFFF)),
    st.booleans(),
)
def test_plx_continuous_round_trip(spo2, pr, fast, slow, status, dev, pai):
    flags = (
        (0x01 if fast else 0)
        | (0x02 if slow else 0)
        | (0x04 if status is not None else 0)
        | (0x08 if dev is not None else 0)
        | (0x10 if pai else 0)
    )
    frame = bytes([flags]) + struct.pack("<HH", enc_sfloat(spo2, 0), enc_sfloat(pr, 0))
    frame += struct.pack("<HH", enc_sfloat(1, 0), enc_sfloat(2, 0)) if fast else b""
    frame += struct.pack("<HH", enc_sfloat(3, 0), enc_sfloat(4, 0)) if slow else b""
    frame += struct.pack("<H", status) if status is not None else b""
    frame += dev.to_bytes(3, "little") if dev is not None else b""
    frame += struct.pack("<H", enc_sfloat(25, -1)) if pai else b""
    got = gatt.parse_plx_continuous(frame)
    assert (got.spo2, got.pulse_rate, got.timestamp) == (float(spo2), float(pr), None)
    assert got.measurement_status == status and got.device_status == dev
    assert got.pulse_amplitude_index == (2.5 if pai else None)


@pytest.mark.parametrize("frame", [b"\x00\x62\x00", b"\x01" + bytes(4), b"\x00" + bytes(5)])
def test_plx_bad_frames(frame):
    with pytest.raises(GattParseError):
        gatt.parse_plx_spot_check(frame)
    with pytest.raises(GattParseError):
        gatt.parse_plx_continuous(frame)


# --- weight -----------------------------------------------------------------------------------


@given(
    st.integers(0, 0xFFFE),
    st.booleans(),
    timestamps,
    st.one_of(st.none(), st.integers(0, 255)),
    st.one_of(st.none(), st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))),
)
def test_weight_round_trip(raw, imperial, ts, user, bmi_height):
    flags = (
        (0x01 if imperial else 0)
        | (0x02 if ts else 0)
        | (0x04 if user is not None else 0)
        | (0x08 if bmi_height else 0)
    )
    frame = bytes([flags]) + struct.pack("<H", raw)
    frame += enc_ts(ts) if ts else b""
    frame += bytes([user]) if user is not None else b""
    frame += struct.pack("<HH", *bmi_height) if bmi_height else b""
    got = gatt.parse_weight(frame)
    assert close(got.value, raw * (0.01 if imperial else 0.005))
    assert got.unit == ("[lb_av]" if imperial else "kg")
    assert got.timestamp == ts and got.user_id == user
    if bmi_height:
        assert close(got.bmi, bmi_height[0] * 0.1)
        assert close(got.height, bmi_height[1] * (0.1 if imperial else 0.001))
        assert got.height_unit == ("[in_i]" if imperial else "m")
    else:
        assert got.bmi is None and got.height is None


def test_weight_known_and_unsuccessful():
    assert gatt.parse_weight(bytes([0x00]) + struct.pack("<H", 14470)).value == 72.35
    assert math.isnan(gatt.parse_weight(b"\x00\xff\xff").value)


@pytest.mark.parametrize("frame", [b"\x00\x01", b"\x08\x01\x00\x01\x00", b"\x00\x01\x00\x00"])
def test_weight_bad_frames(frame):
    with pytest.raises(GattParseError):
        gatt.parse_weight(frame)


# --- heart rate -------------------------------------------------------------------------------


@given(
    st.integers(0, 0xFFFF),
    st.booleans(),
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(0, 0xFFFF)),
    st.lists(st.integers(0, 0xFFFF), max_size=9),
)
def test_heart_rate_round_trip(bpm, wide, contact, energy, rr):
    if not wide:
        bpm &= 0xFF
    flags = (0x01 if wide else 0) | (contact << 1) | (0x08 if energy is not None else 0)
    flags |= 0x10 if rr else 0
    frame = bytes([flags]) + (struct.pack("<H", bpm) if wide else bytes([bpm]))
    frame += struct.pack("<H", energy) if energy is not None else b""
    frame += b"".join(struct.pack("<H", x) for x in rr)
    got = gatt.parse_heart_rate(frame)
    assert got.bpm == bpm and got.energy_expended == energy
    assert got.sensor_contact == {0: None, 1: None, 2: False, 3: True}[contact]
    assert got.rr_intervals == tuple(x / 1024 for x in rr)


@pytest.mark.parametrize("frame", [b"", b"\x01\x48", b"\x10\x48", b"\x10\x48\x00", b"\x00\x48\x00"])
def test_heart_rate_bad_frames(frame):
    with pytest.raises(GattParseError):
        gatt.parse_heart_rate(frame)


# --- totality: random bytes never raise anything but GattParseError ----------------------------

PARSERS = [
    gatt.parse_temperature,
    gatt.parse_blood_pressure,
    gatt.parse_plx_spot_check,
    gatt.parse_plx_continuous,
    gatt.parse_weight,
    gatt.parse_heart_rate,
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(data=st.binary(max_size=40))
def test_random_bytes_only_raise_parse_error(parser, data):
    with contextlib.suppress(GattParseError):
        parser(data)


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
def test_non_bytes_rejected(parser):
    with pytest.raises(GattParseError):
        parser("0102")  # type: ignore[arg-type]


def test_parse_error_is_value_error():
    assert issubclass(GattParseError, ValueError)
