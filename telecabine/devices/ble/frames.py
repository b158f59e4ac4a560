"""GATT frame encoders (the inverse of ``gatt``), used by the simulated peripherals.

They build the exact byte layouts a SIG-compliant device sends (DOMAIN.md §3), so demo mode
and tests run the real parsers. Values are encoded with a fixed number of decimals.
"""

from __future__ import annotations

import math
import struct
from datetime import datetime

_SFLOAT_NAN = 0x07FF
_FLOAT_NAN = 0x007FFFFF


def encode_sfloat(value: float, decimals: int = 0) -> int:
    """IEEE 11073 SFLOAT for ``value`` with ``decimals`` digits (NaN for a non-finite value)."""
    if not math.isfinite(value):
        return _SFLOAT_NAN
    mantissa = round(value * 10**decimals)
    if not -2045 <= mantissa <= 2045 or not 0 <= decimals <= 8:
        raise ValueError(f"{value} does not fit an SFLOAT with {decimals} decimals")
    return ((-decimals & 0xF) << 12) | (mantissa & 0x0FFF)


def encode_float(value: float, decimals: int = 1) -> int:
    """IEEE 11073 FLOAT for ``value`` with ``decimals`` digits (NaN for a non-finite value)."""
    if not math.isfinite(value):
        return _FLOAT_NAN
    mantissa = round(value * 10**decimals)
    if not -(2**23 - 3) <= mantissa <= 2**23 - 3:
        raise ValueError(f"{value} does not fit a FLOAT with {decimals} decimals")
    return ((-decimals & 0xFF) << 24) | (mantissa & 0x00FFFFFF)


def _ts(ts: datetime | None) -> bytes:
    if ts is None:
        return b""
    return struct.pack("<HBBBBB", ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second)


def temperature_frame(
    value: float,
    *,
    fahrenheit: bool = False,
    timestamp: datetime | None = None,
    site: int | None = None,
) -> bytes:
    """Temperature Measurement 0x2A1C."""
    flags = (0x01 if fahrenheit else 0) | (0x02 if timestamp else 0) | (0x04 if site else 0)
    out = bytes([flags]) + struct.pack("<I", encode_float(value, 1)) + _ts(timestamp)
    return out + (bytes([site]) if site else b"")


def blood_pressure_frame(
    systolic: float,
    diastolic: float,
    mean: float,
    *,
    kpa: bool = False,
    pulse: float | None = None,
    status: int | None = None,
    timestamp: datetime | None = None,
) -> bytes:
    """Blood Pressure Measurement 0x2A35 (also Intermediate Cuff Pressure 0x2A36)."""
    decimals = 1 if kpa else 0
    flags = (0x01 if kpa else 0) | (0x02 if timestamp else 0)
    flags |= (0x04 if pulse is not None else 0) | (0x10 if status is not None else 0)
    out = bytes([flags]) + struct.pack(
        "<HHH",
        encode_sfloat(systolic, decimals),
        encode_sfloat(diastolic, decimals),
        encode_sfloat(mean, decimals),
    )
    out += _ts(timestamp)
    out += struct.pack("<H", encode_sfloat(pulse)) if pulse is not None else b""
    return out + (struct.pack("<H", status) if status is not None else b"")


def plx_spot_check_frame(spo2: float, pulse: float, *, timestamp: datetime | None = None) -> bytes:
    """PLX Spot-check Measurement 0x2A5E."""
    flags = 0x01 if timestamp else 0
    return (
        bytes([flags])
        + struct.pack("<HH", encode_sfloat(spo2), encode_sfloat(pulse))
        + _ts(timestamp)
    )


def plx_continuous_frame(spo2: float, pulse: float) -> bytes:
    """PLX Continuous Measurement 0x2A5F (normal SpO2/PR pair only)."""
    return b"\x00" + struct.pack("<HH", encode_sfloat(spo2), encode_sfloat(pulse))


def weight_frame(
    kg: float | None,
    *,
    timestamp: datetime | None = None,
    bmi: float | None = None,
    height_m: float | None = None,
) -> bytes:
    """Weight Measurement 0x2A9D in SI units (``None`` = 0xFFFF, measurement unsuccessful)."""
    raw = 0xFFFF if kg is None else round(kg / 0.005)
    with_bmi = bmi is not None and height_m is not None
    flags = (0x02 if timestamp else 0) | (0x08 if with_bmi else 0)
    out = bytes([flags]) + struct.pack("<H", raw) + _ts(timestamp)
    if with_bmi:
        out += struct.pack("<HH", round(bmi * 10), round(height_m * 1000))
    return out


def heart_rate_frame(bpm: int, *, contact: bool | None = True, rr: tuple[float, ...] = ()) -> bytes:
    """Heart Rate Measurement 0x2A37 (u8 value, sensor-contact bits, optional RR in seconds)."""
    flags = 0 if contact is None else (0x06 if contact else 0x04)
    flags |= 0x10 if rr else 0
    return bytes([flags, bpm]) + b"".join(struct.pack("<H", round(x * 1024)) for x in rr)
