"""Pure decoders for the Bluetooth SIG health-device characteristics (GATT byte frames).

Layouts follow the Bluetooth SIG GATT Specification Supplement (Health Thermometer 0x1809,
Blood Pressure 0x1810, Pulse Oximeter 0x1822, Weight Scale 0x181D, Heart Rate 0x180D) and
the IEEE 11073-20601 SFLOAT/FLOAT number formats; the condensed tables are in
``shared/design/DOMAIN.md`` §3. Numbers on the air are little-endian.

Every parser is total: any input either decodes or raises :class:`GattParseError` (a
``ValueError``); truncated frames, bytes left over after the last field the flags announce,
and impossible dates are all rejected. Values stay in the unit the device sent; conversion is
the domain's job (``telecabine.domain.vitals``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "BloodPressureMeasurement",
    "GattParseError",
    "HeartRateMeasurement",
    "PlxMeasurement",
    "TemperatureMeasurement",
    "WeightMeasurement",
    "decode_float",
    "decode_sfloat",
    "parse_blood_pressure",
    "parse_heart_rate",
    "parse_plx_continuous",
    "parse_plx_spot_check",
    "parse_temperature",
    "parse_weight",
]


class GattParseError(ValueError):
    """A GATT frame that cannot be decoded (truncated, oversized or inconsistent)."""


# --- IEEE 11073-20601 numbers ----------------------------------------------------------------

# Special values are defined on the raw mantissa, tested before sign extension (§ 2.2.2/2.2.3).
_SFLOAT_SPECIAL = {
    0x07FF: math.nan,  # NaN
    0x0800: math.nan,  # NRes (not at this resolution)
    0x07FE: math.inf,
    0x0802: -math.inf,
    0x0801: math.nan,  # reserved for future use
}
_FLOAT_SPECIAL = {
    0x007FFFFF: math.nan,
    0x00800000: math.nan,
    0x007FFFFE: math.inf,
    0x00800002: -math.inf,
    0x00800001: math.nan,
}


def _signed(value: int, bits: int) -> int:
    """Two's-complement sign extension of a ``bits``-wide field."""
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _scale(mantissa: int, exponent: int) -> float:
    # Divide rather than multiply by 10**-n so 367e-1 gives the float nearest 36.7.
    if exponent >= 0:
        return float(mantissa * 10**exponent)
    return mantissa / 10**-exponent


def decode_sfloat(raw: int) -> float:
    """Decode a 16-bit IEEE 11073 SFLOAT (4-bit exponent, 12-bit mantissa): 0xF014 -> 2.0."""
    if not 0 <= raw <= 0xFFFF:
        raise GattParseError(f"SFLOAT out of range: {raw!r}")
    mantissa = raw & 0x0FFF
    if mantissa in _SFLOAT_SPECIAL:
        return _SFLOAT_SPECIAL[mantissa]
    return _scale(_signed(mantissa, 12), _signed(raw >> 12, 4))


def decode_float(raw: int) -> float:
    """Decode a 32-bit IEEE 11073 FLOAT (8-bit exponent, 24-bit mantissa)."""
    if not 0 <= raw <= 0xFFFFFFFF:
        raise GattParseError(f"FLOAT out of range: {raw!r}")
    mantissa = raw & 0x00FFFFFF
    if mantissa in _FLOAT_SPECIAL:
        return _FLOAT_SPECIAL[mantissa]
    return _scale(_signed(mantissa, 24), _signed(raw >> 24, 8))


# --- a bounds-checked little-endian reader --------------------------------------------------


class _Reader:
    """Reads little-endian fields from a frame, raising GattParseError past the end."""

    def __init__(self, data: bytes, what: str) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise GattParseError(f"{what}: expected bytes, got {type(data).__name__}")
        self._data = bytes(data)
        self._pos = 0
        self._what = what

    def uint(self, size: int) -> int:
        end = self._pos + size
        if end > len(self._data):
            raise GattParseError(
                f"{self._what}: frame truncated at byte {self._pos} "
                f"(need {size} more, {len(self._data)} in frame)"
            )
        value = int.from_bytes(self._data[self._pos : end], "little")
        self._pos = end
        return value

    def sfloat(self) -> float:
        return decode_sfloat(self.uint(2))

    def float32(self) -> float:
        return decode_float(self.uint(4))

    def date_time(self) -> datetime | None:
        """Date Time (0x2A08): u16 year, month, day, hours, minutes, seconds.

        Year, month or day 0 mean "not known" in the spec: the timestamp is then ``None``.
        """
        year, month, day = self.uint(2), self.uint(1), self.uint(1)
        hour, minute, second = self.uint(1), self.uint(1), self.uint(1)
        if year == 0 or month == 0 or day == 0:
            return None
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise GattParseError(f"{self._what}: invalid timestamp ({exc})") from None

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def done(self) -> None:
        """Reject bytes that no flag announced (oversized frame)."""
        if self._pos != len(self._data):
            raise GattParseError(
                f"{self._what}: {len(self._data) - self._pos} unexpected trailing byte(s)"
            )


# --- Health Thermometer: Temperature Measurement 0x2A1C --------------------------------------

# Temperature Type characteristic 0x2A1D values.
TEMPERATURE_SITES = {
    1: "armpit",
    2: "body",
    3: "ear",
    4: "finger",
    5: "gastrointestinal",
    6: "mouth",
    7: "rectum",
    8: "toe",
    9: "tympanum",
}


@dataclass(frozen=True, slots=True)
class TemperatureMeasurement:
    """Temperature Measurement 0x2A1C; ``site`` is a TEMPERATURE_SITES name or None."""

    value: float
    unit: str
    timestamp: datetime | None
    site: str | None


def parse_temperature(data: bytes) -> TemperatureMeasurement:
    """Decode a Temperature Measurement (0x2A1C) frame."""
    r = _Reader(data, "temperature")
    flags = r.uint(1)
    value = r.float32()
    timestamp = r.date_time() if flags & 0x02 else None
    site = None
    if flags & 0x04:
        code = r.uint(1)
        if code not in TEMPERATURE_SITES:
            raise GattParseError(f"temperature: unknown temperature type {code}")
        site = TEMPERATURE_SITES[code]
    r.done()
    return TemperatureMeasurement(
        value=value, unit="[degF]" if flags & 0x01 else "Cel", timestamp=timestamp, site=site
    )


# --- Blood Pressure: Blood Pressure Measurement 0x2A35 ----------------------------------------

# Measurement Status bits (BLS 1.1.1 §3.1.1.5): body movement, cuff too loose, irregular pulse,
# pulse rate range (2 bits), improper position.
BP_STATUS_BODY_MOVEMENT = 0x0001
BP_STATUS_CUFF_FIT = 0x0002
BP_STATUS_IRREGULAR_PULSE = 0x0004
BP_STATUS_PULSE_RANGE = 0x0018
BP_STATUS_POSITION = 0x0020


@dataclass(frozen=True, slots=True)
class BloodPressureMeasurement:
    """Blood Pressure Measurement 0x2A35 (``unit`` is ``mm[Hg]`` or ``kPa``)."""

    systolic: float
    diastolic: float
    mean_arterial_pressure: float
    unit: str
    timestamp: datetime | None
    pulse_rate: float | None
    user_id: int | None
    measurement_status: int | None = None


def parse_blood_pressure(data: bytes) -> BloodPressureMeasurement:
    """Decode a Blood Pressure Measurement (0x2A35) or Intermediate Cuff Pressure frame."""
    r = _Reader(data, "blood pressure")
    flags = r.uint(1)
    systolic, diastolic, mean = r.sfloat(), r.sfloat(), r.sfloat()
    timestamp = r.date_time() if flags & 0x02 else None
    pulse = r.sfloat() if flags & 0x04 else None
    user = r.uint(1) if flags & 0x08 else None
    status = r.uint(2) if flags & 0x10 else None
    r.done()
    return BloodPressureMeasurement(
        systolic=systolic,
        diastolic=diastolic,
        mean_arterial_pressure=mean,
        unit="kPa" if flags & 0x01 else "mm[Hg]",
        timestamp=timestamp,
        pulse_rate=pulse,
        user_id=user,
        measurement_status=status,
    )


# --- Pulse Oximeter: PLX Spot-check 0x2A5E and Continuous 0x2A5F -----------------------------


@dataclass(frozen=True, slots=True)
class PlxMeasurement:
    """PLX spot-check or continuous measurement (SpO2 in ``%``, pulse rate in ``/min``)."""

    spo2: float
    pulse_rate: float
    timestamp: datetime | None
    measurement_status: int | None = None
    device_status: int | None = None
    pulse_amplitude_index: float | None = None


def parse_plx_spot_check(data: bytes) -> PlxMeasurement:
    """Decode a PLX Spot-check Measurement (0x2A5E) frame."""
    r = _Reader(data, "PLX spot-check")
    flags = r.uint(1)
    spo2, pulse = r.sfloat(), r.sfloat()
    timestamp = r.date_time() if flags & 0x01 else None
    status = r.uint(2) if flags & 0x02 else None
    device_status = r.uint(3) if flags & 0x04 else None
    pai = r.sfloat() if flags & 0x08 else None
    # b4 "device clock is not set" carries no field; such timestamps are not trustworthy.
    if flags & 0x10:
        timestamp = None
    r.done()
    return PlxMeasurement(spo2, pulse, timestamp, status, device_status, pai)


def parse_plx_continuous(data: bytes) -> PlxMeasurement:
    """Decode a PLX Continuous Measurement (0x2A5F) frame (the "normal" SpO2/PR pair)."""
    r = _Reader(data, "PLX continuous")
    flags = r.uint(1)
    spo2, pulse = r.sfloat(), r.sfloat()
    if flags & 0x01:  # SpO2PR-Fast pair: read and drop, the normal pair is the reference
        r.sfloat(), r.sfloat()
    if flags & 0x02:  # SpO2PR-Slow pair
        r.sfloat(), r.sfloat()
    status = r.uint(2) if flags & 0x04 else None
    device_status = r.uint(3) if flags & 0x08 else None
    pai = r.sfloat() if flags & 0x10 else None
    r.done()
    return PlxMeasurement(spo2, pulse, None, status, device_status, pai)


# --- Weight Scale: Weight Measurement 0x2A9D --------------------------------------------------

WEIGHT_UNSUCCESSFUL = 0xFFFF  # WSS 1.0 §3.2.1.2: "measurement unsuccessful"


@dataclass(frozen=True, slots=True)
class WeightMeasurement:
    """Weight Measurement 0x2A9D; ``height_unit`` is ``m`` or ``[in_i]`` when height is sent."""

    value: float
    unit: str
    timestamp: datetime | None
    user_id: int | None
    bmi: float | None
    height: float | None
    height_unit: str | None = None


def parse_weight(data: bytes) -> WeightMeasurement:
    """Decode a Weight Measurement (0x2A9D) frame; 0xFFFF ("unsuccessful") gives NaN."""
    r = _Reader(data, "weight")
    flags = r.uint(1)
    imperial = bool(flags & 0x01)
    raw = r.uint(2)
    # Resolution 0.005 kg or 0.01 lb; integer arithmetic first keeps the float exact-ish.
    value = raw / 100 if imperial else raw * 5 / 1000
    if raw == WEIGHT_UNSUCCESSFUL:
        value = math.nan
    timestamp = r.date_time() if flags & 0x02 else None
    user = r.uint(1) if flags & 0x04 else None
    bmi = height = height_unit = None
    if flags & 0x08:
        bmi = r.uint(2) / 10
        raw_height = r.uint(2)
        height = raw_height / 10 if imperial else raw_height / 1000
        height_unit = "[in_i]" if imperial else "m"
    r.done()
    return WeightMeasurement(
        value=value,
        unit="[lb_av]" if imperial else "kg",
        timestamp=timestamp,
        user_id=user,
        bmi=bmi,
        height=height,
        height_unit=height_unit,
    )


# --- Heart Rate: Heart Rate Measurement 0x2A37 ------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """Heart Rate Measurement 0x2A37; ``sensor_contact`` is None when not supported."""

    bpm: int
    rr_intervals: tuple[float, ...]
    energy_expended: int | None
    sensor_contact: bool | None


def parse_heart_rate(data: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement (0x2A37) frame; RR intervals in seconds."""
    r = _Reader(data, "heart rate")
    flags = r.uint(1)
    bpm = r.uint(2) if flags & 0x01 else r.uint(1)
    contact_bits = (flags >> 1) & 0x03
    # 0b00/0b01: contact feature not supported; 0b10: not detected; 0b11: detected.
    contact = None if contact_bits < 2 else contact_bits == 3
    energy = r.uint(2) if flags & 0x08 else None
    rr: list[float] = []
    if flags & 0x10:
        if r.remaining() == 0 or r.remaining() % 2:
            raise GattParseError("heart rate: RR-interval field must hold whole u16 values")
        while r.remaining():
            rr.append(r.uint(2) / 1024)
    r.done()
    return HeartRateMeasurement(
        bpm=bpm, rr_intervals=tuple(rr), energy_expended=energy, sensor_contact=contact
    )
