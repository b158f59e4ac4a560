"""Vital signs as observations: LOINC code + UCUM unit + value + method + time.

Pure domain code: no clock (``measured_at`` is passed in), no I/O except reading the packaged
range table (``data/vital_ranges.json``), which a deployment can replace. Codes and units follow
``shared/design/DOMAIN.md`` §4 (LOINC, UCUM). Reference ranges are adult ranges and
**indicative only**, to be confirmed by a clinician; they are data, not code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

Flag = Literal["normal", "low", "high", "critical"]
MANUAL = "manual"

# LOINC panel codes (FHIR vital-signs profile), for whoever groups observations.
VITAL_SIGNS_PANEL = "85353-1"
BLOOD_PRESSURE_PANEL = "85354-9"


class MeasurementKind(StrEnum):
    """What a device (or the doctor's request) measures; values match the data-channel contract."""

    TEMPERATURE = "temperature"
    BLOOD_PRESSURE = "blood_pressure"
    SPO2 = "spo2"
    WEIGHT = "weight"
    HEART_RATE = "heart_rate"


@dataclass(frozen=True, slots=True)
class VitalSign:
    """One kind of observation: LOINC code, bilingual label, canonical UCUM unit, decimals kept."""

    key: str
    code: str
    label_fr: str
    label_en: str
    unit: str
    decimals: int


VITAL_SIGNS: dict[str, VitalSign] = {
    s.key: s
    for s in (
        VitalSign("temperature", "8310-5", "Température", "Body temperature", "Cel", 1),
        VitalSign("heart_rate", "8867-4", "Fréquence cardiaque", "Heart rate", "/min", 0),
        VitalSign("spo2", "2708-6", "Saturation en oxygène", "Oxygen saturation", "%", 0),
        VitalSign(
            "respiratory_rate", "9279-1", "Fréquence respiratoire", "Respiratory rate", "/min", 0
        ),
        VitalSign("systolic", "8480-6", "Pression systolique", "Systolic pressure", "mm[Hg]", 0),
        VitalSign("diastolic", "8462-4", "Pression diastolique", "Diastolic pressure", "mm[Hg]", 0),
        VitalSign(
            "mean_arterial",
            "8478-0",
            "Pression artérielle moyenne",
            "Mean arterial pressure",
            "mm[Hg]",
            0,
        ),
        VitalSign("weight", "29463-7", "Poids", "Body weight", "kg", 1),
        VitalSign("height", "8302-2", "Taille", "Body height", "cm", 0),
        VitalSign("bmi", "39156-5", "Indice de masse corporelle", "Body mass index", "kg/m2", 1),
    )
}
SIGNS_BY_CODE: dict[str, VitalSign] = {s.code: s for s in VITAL_SIGNS.values()}

# Which observations each measurement kind produces (manual entry asks for these fields).
KIND_SIGNS: dict[MeasurementKind, tuple[str, ...]] = {
    MeasurementKind.TEMPERATURE: ("temperature",),
    MeasurementKind.BLOOD_PRESSURE: ("systolic", "diastolic"),
    MeasurementKind.SPO2: ("spo2", "heart_rate"),
    MeasurementKind.WEIGHT: ("weight",),
    MeasurementKind.HEART_RATE: ("heart_rate",),
}


class VitalError(ValueError):
    """A value that cannot become an observation; carries a code and a bilingual message."""

    def __init__(self, code: str, message_fr: str, message_en: str) -> None:
        super().__init__(f"{message_fr} / {message_en}")
        self.code = code
        self.message_fr = message_fr
        self.message_en = message_en

    def message(self, lang: str = "fr") -> str:
        """The message in ``lang`` (French unless ``"en"``)."""
        return self.message_en if lang == "en" else self.message_fr


# --- units (UCUM) ----------------------------------------------------------------------------

# to-unit <- from-unit: a function of the value. Exact factors: 1 lb = 0.45359237 kg (by
# definition), 1 kPa = 760/101.325 mmHg, 1 in = 2.54 cm.
_CONVERSIONS: dict[tuple[str, str], Any] = {
    ("[degF]", "Cel"): lambda v: (v - 32.0) * 5.0 / 9.0,
    ("kPa", "mm[Hg]"): lambda v: v * 760.0 / 101.325,
    ("[lb_av]", "kg"): lambda v: v * 0.45359237,
    ("g", "kg"): lambda v: v / 1000.0,
    ("m", "cm"): lambda v: v * 100.0,
    ("[in_i]", "cm"): lambda v: v * 2.54,
    ("1", "%"): lambda v: v * 100.0,
    ("/s", "/min"): lambda v: v * 60.0,
}


def convert(value: float, unit: str, to_unit: str) -> float:
    """Convert ``value`` from UCUM ``unit`` to ``to_unit`` (°F→°C, kPa→mmHg, lb→kg, ...)."""
    if unit == to_unit:
        return float(value)
    fn = _CONVERSIONS.get((unit, to_unit))
    if fn is None:
        raise VitalError(
            "unit",
            f"Unité « {unit} » non prise en charge pour une valeur en {to_unit}.",
            f"Unit '{unit}' is not supported for a value in {to_unit}.",
        )
    return float(fn(float(value)))


# --- reference ranges (data) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VitalRange:
    """Bounds for one LOINC code in its canonical unit; ``None`` means no bound."""

    plausible: tuple[float, float]
    normal: tuple[float | None, float | None] | None
    critical: tuple[float | None, float | None] | None


def _pair(raw: Any) -> tuple[float | None, float | None] | None:
    if raw is None:
        return None
    lo, hi = raw
    return (None if lo is None else float(lo), None if hi is None else float(hi))


class VitalRanges:
    """Range table keyed by LOINC code: rejects impossible values and flags abnormal ones."""

    def __init__(self, ranges: Mapping[str, VitalRange], version: str = "") -> None:
        self._ranges = dict(ranges)
        self.version = version

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VitalRanges:
        """Build from the JSON structure of ``vital_ranges.json``."""
        out: dict[str, VitalRange] = {}
        for code, spec in data["ranges"].items():
            sign = SIGNS_BY_CODE.get(code)
            if sign is None or spec.get("unit") != sign.unit:
                raise ValueError(f"range table: unknown code or unit for {code!r}")
            lo, hi = spec["plausible"]
            out[code] = VitalRange(
                (float(lo), float(hi)), _pair(spec["normal"]), _pair(spec["critical"])
            )
        return cls(out, str(data.get("version", "")))

    def get(self, code: str) -> VitalRange | None:
        """The range for a LOINC code, if the table has one."""
        return self._ranges.get(code)

    def flag(self, code: str, value: float) -> Flag | None:
        """``critical`` outside the critical bounds, else ``low``/``high``/``normal``; None if unknown."""
        r = self._ranges.get(code)
        if r is None or r.normal is None:
            return None
        if r.critical is not None:
            clo, chi = r.critical
            if (clo is not None and value < clo) or (chi is not None and value > chi):
                return "critical"
        lo, hi = r.normal
        if lo is not None and value < lo:
            return "low"
        if hi is not None and value > hi:
            return "high"
        return "normal"


def default_ranges() -> VitalRanges:
    """The packaged adult range table (indicative; a deployment may ship its own)."""
    text = (
        resources.files("telecabine.domain").joinpath("data/vital_ranges.json").read_text("utf-8")
    )
    return VitalRanges.from_mapping(json.loads(text))


# --- observations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One vital sign measured on a patient, in the canonical UCUM unit of its LOINC code."""

    code: str
    label_fr: str
    label_en: str
    value: float
    unit: str
    method: str
    measured_at: datetime
    flag: Flag | None

    @property
    def is_manual(self) -> bool:
        """True when typed in by staff rather than read from a device."""
        return self.method == MANUAL

    def as_vital_fields(self) -> dict[str, Any]:
        """Fields of the data-channel ``vital`` message (measured_at as ISO 8601)."""
        return {
            "code": self.code,
            "label_fr": self.label_fr,
            "label_en": self.label_en,
            "value": self.value,
            "unit": self.unit,
            "method": self.method,
            "measured_at": self.measured_at.isoformat(),
            "flag": self.flag,
        }


def round_half_up(value: float, decimals: int) -> float:
    """Round as people do (60.05 -> 60.1), on the shortest decimal form of the float.

    Plain ``round`` works on the binary value (60.05 is 60.0499999...) and rounds half to
    even, so a scale reading of exactly 60.05 kg would show 60.0.
    """
    quantum = Decimal(1).scaleb(-decimals)
    # Enough digits for any finite float (up to ~1e308), so quantize never overflows.
    context = Context(prec=400)
    return float(Decimal(repr(float(value))).quantize(quantum, ROUND_HALF_UP, context))


def device_method(device_id: str) -> str:
    """The ``method`` of an observation read from device ``device_id`` (``device:<id>``)."""
    if not device_id or not device_id.strip():
        raise ValueError("device id must not be empty")
    return f"device:{device_id}"


def make_observation(
    sign: str,
    value: float,
    unit: str,
    *,
    method: str,
    measured_at: datetime,
    ranges: VitalRanges,
) -> Observation:
    """Validate, convert to the canonical unit, round and flag one value.

    ``sign`` is a key of :data:`VITAL_SIGNS` or a LOINC code. Raises :class:`VitalError` for a
    non-number, an unsupported unit or a physiologically impossible value.
    """
    vs = VITAL_SIGNS.get(sign) or SIGNS_BY_CODE.get(sign)
    if vs is None:
        raise ValueError(f"unknown vital sign {sign!r}")
    if method != MANUAL and not method.startswith("device:"):
        raise ValueError(f"method must be 'manual' or 'device:<id>', got {method!r}")
    if measured_at.tzinfo is None:
        raise ValueError("measured_at must be timezone-aware")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise VitalError(
            "not_a_number",
            f"{vs.label_fr} : l'appareil n'a pas donné de valeur exploitable. Recommencez.",
            f"{vs.label_en}: the device gave no usable value. Try again.",
        )
    canonical = round_half_up(convert(value, unit, vs.unit), vs.decimals)
    r = ranges.get(vs.code)
    if r is not None and not r.plausible[0] <= canonical <= r.plausible[1]:
        shown = f"{canonical:g} {display_unit(vs.unit)}"
        raise VitalError(
            "implausible",
            f"{vs.label_fr} : {shown} est impossible. Vérifiez la mesure ou la saisie.",
            f"{vs.label_en}: {shown} is not possible. Check the measurement or the entry.",
        )
    return Observation(
        code=vs.code,
        label_fr=vs.label_fr,
        label_en=vs.label_en,
        value=canonical,
        unit=vs.unit,
        method=method,
        measured_at=measured_at,
        flag=ranges.flag(vs.code, canonical),
    )


def blood_pressure_observations(
    systolic: float,
    diastolic: float,
    unit: str,
    *,
    mean: float | None = None,
    method: str,
    measured_at: datetime,
    ranges: VitalRanges,
) -> tuple[Observation, ...]:
    """Systolic, diastolic (and mean when given) as observations; diastolic must be below systolic."""
    common = {"method": method, "measured_at": measured_at, "ranges": ranges}
    sys_obs = make_observation("systolic", systolic, unit, **common)
    dia_obs = make_observation("diastolic", diastolic, unit, **common)
    if dia_obs.value >= sys_obs.value:
        raise VitalError(
            "inconsistent",
            "La pression diastolique doit être inférieure à la systolique. Vérifiez la mesure.",
            "Diastolic pressure must be lower than systolic. Check the measurement.",
        )
    out = [sys_obs, dia_obs]
    if mean is not None and math.isfinite(mean):
        out.append(make_observation("mean_arterial", mean, unit, **common))
    return tuple(out)


_DISPLAY_UNITS = {"Cel": "°C", "mm[Hg]": "mmHg", "/min": "/min", "kg/m2": "kg/m²", "[degF]": "°F"}


def display_unit(ucum: str) -> str:
    """Human form of a UCUM unit (``Cel`` -> ``°C``, ``mm[Hg]`` -> ``mmHg``)."""
    return _DISPLAY_UNITS.get(ucum, ucum)
