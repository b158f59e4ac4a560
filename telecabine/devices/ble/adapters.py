"""Vendor-adapter registry: how a device's GATT service maps to a measurement.

A *standard* adapter exists for each Bluetooth SIG health service (DOMAIN.md §3). A device that
uses a proprietary service is supported by writing one module that defines a
:class:`VendorAdapter` and exposes ``register(registry)``; list that module in the
``ble_vendor_modules`` setting and :func:`build_registry` imports it. Nothing else changes.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from telecabine.devices.ble import gatt
from telecabine.domain.vitals import MeasurementKind


def uuid16(short: int) -> str:
    """A 16-bit SIG UUID expanded to the 128-bit lower-case form bleak reports."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


# Bluetooth SIG assigned numbers (services and characteristics).
HEALTH_THERMOMETER = uuid16(0x1809)
TEMPERATURE_MEASUREMENT = uuid16(0x2A1C)
BLOOD_PRESSURE = uuid16(0x1810)
BLOOD_PRESSURE_MEASUREMENT = uuid16(0x2A35)
INTERMEDIATE_CUFF_PRESSURE = uuid16(0x2A36)
PULSE_OXIMETER = uuid16(0x1822)
PLX_SPOT_CHECK = uuid16(0x2A5E)
PLX_CONTINUOUS = uuid16(0x2A5F)
WEIGHT_SCALE = uuid16(0x181D)
WEIGHT_MEASUREMENT = uuid16(0x2A9D)
HEART_RATE = uuid16(0x180D)
HEART_RATE_MEASUREMENT = uuid16(0x2A37)
BATTERY_SERVICE = uuid16(0x180F)
BATTERY_LEVEL = uuid16(0x2A19)


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """What a device reported, before domain validation.

    ``values`` maps a vital-sign key of ``telecabine.domain.vitals.VITAL_SIGNS`` to
    ``(value, UCUM unit)``. ``final`` is False for progress frames (cuff inflating, continuous
    oximetry). ``error`` is a message key (``device.error.<code>``) when the device reported a
    failed measurement.
    """

    kind: MeasurementKind
    values: Mapping[str, tuple[float, str]]
    final: bool = True
    error: str | None = None
    device_time: datetime | None = None


Decoder = Callable[[str, bytes], DeviceReading]


@dataclass(frozen=True, slots=True)
class VendorAdapter:
    """How to find a device (service UUID or name prefix) and decode what it sends."""

    adapter_id: str
    kind: MeasurementKind
    service_uuid: str
    notify_uuids: tuple[str, ...]
    decode: Decoder
    name_prefixes: tuple[str, ...] = ()
    # Continuous devices never send a "final" frame: after this many valid progress frames
    # in a row the last one is taken as the measurement (0 = wait for a final frame).
    settle_frames: int = 0
    # ...and only once every value stayed within this many units over those frames.
    settle_tolerance: float = 2.0
    optional_notify_uuids: tuple[str, ...] = field(default=())
    # Devices that only send indications over an encrypted link: bond before connecting
    # (bleak's ``BleakClient(pair=True)``; BlueZ then runs "Just Works" pairing).
    requires_bonding: bool = False

    def matches(self, service_uuids: Iterable[str], local_name: str | None) -> bool:
        """True when an advertisement belongs to a device this adapter handles."""
        if self.service_uuid in {u.lower() for u in service_uuids}:
            return True
        return bool(local_name) and any(local_name.startswith(p) for p in self.name_prefixes)


class AdapterRegistry:
    """Adapters by id; vendor adapters registered later win over standard ones on matching."""

    def __init__(self) -> None:
        self._adapters: dict[str, VendorAdapter] = {}

    def register(self, adapter: VendorAdapter) -> None:
        """Add (or replace) an adapter."""
        self._adapters[adapter.adapter_id] = adapter

    def get(self, adapter_id: str) -> VendorAdapter | None:
        """The adapter with this id, if registered."""
        return self._adapters.get(adapter_id)

    def all(self) -> list[VendorAdapter]:
        """Every adapter, most recently registered first."""
        return list(reversed(self._adapters.values()))

    def match(self, service_uuids: Iterable[str], local_name: str | None) -> VendorAdapter | None:
        """The adapter for an advertisement, vendor adapters first."""
        uuids = list(service_uuids)
        return next((a for a in self.all() if a.matches(uuids, local_name)), None)

    def for_kind(self, kind: MeasurementKind) -> list[VendorAdapter]:
        """Adapters able to measure ``kind``."""
        return [a for a in self.all() if a.kind == kind]

    def scan_services(self) -> list[str]:
        """Service UUIDs worth scanning for."""
        return sorted({a.service_uuid for a in self._adapters.values()})


# --- standard SIG adapters -------------------------------------------------------------------


def _bad(value: float) -> bool:
    return not math.isfinite(value)


def _decode_temperature(_char: str, data: bytes) -> DeviceReading:
    m = gatt.parse_temperature(data)
    err = "device.error.no_value" if _bad(m.value) else None
    return DeviceReading(
        MeasurementKind.TEMPERATURE,
        {"temperature": (m.value, m.unit)},
        error=err,
        device_time=m.timestamp,
    )


def _decode_blood_pressure(char: str, data: bytes) -> DeviceReading:
    m = gatt.parse_blood_pressure(data)
    kind = MeasurementKind.BLOOD_PRESSURE
    if char == INTERMEDIATE_CUFF_PRESSURE:
        # Intermediate Cuff Pressure 0x2A36: current cuff pressure in the systolic field.
        return DeviceReading(kind, {"cuff": (m.systolic, m.unit)}, final=False)
    status = m.measurement_status or 0
    err = None
    if status & gatt.BP_STATUS_CUFF_FIT:
        err = "device.error.cuff_fit"
    elif status & gatt.BP_STATUS_BODY_MOVEMENT:
        err = "device.error.movement"
    elif _bad(m.systolic) or _bad(m.diastolic):
        err = "device.error.no_value"
    values = {"systolic": (m.systolic, m.unit), "diastolic": (m.diastolic, m.unit)}
    if not _bad(m.mean_arterial_pressure):
        values["mean_arterial"] = (m.mean_arterial_pressure, m.unit)
    if m.pulse_rate is not None and not _bad(m.pulse_rate):
        values["heart_rate"] = (m.pulse_rate, "/min")
    return DeviceReading(kind, values, error=err, device_time=m.timestamp)


def _decode_plx(char: str, data: bytes) -> DeviceReading:
    final = char == PLX_SPOT_CHECK
    m = gatt.parse_plx_spot_check(data) if final else gatt.parse_plx_continuous(data)
    err = "device.error.no_value" if _bad(m.spo2) or _bad(m.pulse_rate) else None
    values = {"spo2": (m.spo2, "%"), "heart_rate": (m.pulse_rate, "/min")}
    return DeviceReading(
        MeasurementKind.SPO2, values, final=final, error=err, device_time=m.timestamp
    )


def _decode_weight(_char: str, data: bytes) -> DeviceReading:
    m = gatt.parse_weight(data)
    err = "device.error.no_value" if _bad(m.value) else None
    values: dict[str, tuple[float, str]] = {"weight": (m.value, m.unit)}
    if m.height and m.height_unit:
        values["height"] = (m.height, m.height_unit)
    if m.bmi:
        values["bmi"] = (m.bmi, "kg/m2")
    return DeviceReading(MeasurementKind.WEIGHT, values, error=err, device_time=m.timestamp)


def _decode_heart_rate(_char: str, data: bytes) -> DeviceReading:
    m = gatt.parse_heart_rate(data)
    err = "device.error.no_contact" if m.sensor_contact is False else None
    return DeviceReading(
        MeasurementKind.HEART_RATE, {"heart_rate": (float(m.bpm), "/min")}, final=False, error=err
    )


STANDARD_ADAPTERS = (
    VendorAdapter(
        "sig.thermometer",
        MeasurementKind.TEMPERATURE,
        HEALTH_THERMOMETER,
        (TEMPERATURE_MEASUREMENT,),
        _decode_temperature,
    ),
    VendorAdapter(
        "sig.blood_pressure",
        MeasurementKind.BLOOD_PRESSURE,
        BLOOD_PRESSURE,
        (BLOOD_PRESSURE_MEASUREMENT,),
        _decode_blood_pressure,
        optional_notify_uuids=(INTERMEDIATE_CUFF_PRESSURE,),
    ),
    VendorAdapter(
        "sig.pulse_oximeter",
        MeasurementKind.SPO2,
        PULSE_OXIMETER,
        (),
        _decode_plx,
        settle_frames=5,
        optional_notify_uuids=(PLX_SPOT_CHECK, PLX_CONTINUOUS),
    ),
    VendorAdapter(
        "sig.weight_scale",
        MeasurementKind.WEIGHT,
        WEIGHT_SCALE,
        (WEIGHT_MEASUREMENT,),
        _decode_weight,
    ),
    VendorAdapter(
        "sig.heart_rate",
        MeasurementKind.HEART_RATE,
        HEART_RATE,
        (HEART_RATE_MEASUREMENT,),
        _decode_heart_rate,
        settle_frames=5,
    ),
)


def build_registry(vendor_modules: Iterable[str] = ()) -> AdapterRegistry:
    """Standard SIG adapters plus each vendor module's ``register(registry)``."""
    registry = AdapterRegistry()
    for adapter in STANDARD_ADAPTERS:
        registry.register(adapter)
    for name in vendor_modules:
        module = importlib.import_module(name)
        module.register(registry)
    return registry
