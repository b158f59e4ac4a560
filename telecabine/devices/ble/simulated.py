"""Simulated BLE vitals peripherals, plugged in *below* bleak as a bleak backend.

``SimulatedAirspace`` holds a few peripherals; its ``client_backend()`` and
``scanner_backend()`` are ``BaseBleakClient`` / ``BaseBleakScanner`` subclasses that bleak's
public ``BleakClient`` / ``BleakScanner`` accept through their ``backend=`` argument. So demo
mode and tests run bleak's own wrapper code, the driver and the GATT parsers on the same byte
frames a SIG device sends (built by ``frames.py``). Scenarios: normal, fever, hypertension,
low_spo2, device_error, disconnect (the link drops mid-measurement on the first connection;
a retry then succeeds).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from telecabine.devices.ble import adapters as a
from telecabine.devices.ble import frames
from telecabine.domain.vitals import MeasurementKind


class Scenario(StrEnum):
    """What the simulated devices do."""

    NORMAL = "normal"
    FEVER = "fever"
    HYPERTENSION = "hypertension"
    LOW_SPO2 = "low_spo2"
    DEVICE_ERROR = "device_error"
    DISCONNECT = "disconnect"


# (delay fraction, characteristic, frame): what each kind sends after notifications start.
Script = list[tuple[float, str, bytes]]


def _script(kind: MeasurementKind, scenario: Scenario) -> Script:
    """The frames a device of ``kind`` sends for one measurement under ``scenario``."""
    err = scenario is Scenario.DEVICE_ERROR
    fever, hyper, low = (
        scenario is s for s in (Scenario.FEVER, Scenario.HYPERTENSION, Scenario.LOW_SPO2)
    )
    pulse = 108 if fever or low else 72
    if kind is MeasurementKind.TEMPERATURE:
        # The fever thermometer reports in °F (102.6 °F = 39.2 °C) to exercise the conversion.
        frame = (
            frames.temperature_frame(float("nan"))
            if err
            else frames.temperature_frame(102.6, fahrenheit=True, site=6)
            if fever
            else frames.temperature_frame(36.8, site=6)
        )
        return [(1.0, a.TEMPERATURE_MEASUREMENT, frame)]
    if kind is MeasurementKind.BLOOD_PRESSURE:
        sys_, dia, mean = (168, 102, 124) if hyper else (118, 76, 90) if fever else (122, 78, 93)
        # Intermediate Cuff Pressure (BLS §3.2): cuff pressure in the systolic field, the
        # diastolic and mean fields hold NaN.
        nan = float("nan")
        cuff = [
            (0.25 * i, a.INTERMEDIATE_CUFF_PRESSURE, frames.blood_pressure_frame(p, nan, nan))
            for i, p in ((1, 60), (2, 120), (3, 170))
        ]
        status = 0x0002 if err else 0
        final = frames.blood_pressure_frame(sys_, dia, mean, pulse=pulse, status=status)
        return [*cuff, (1.0, a.BLOOD_PRESSURE_MEASUREMENT, final)]
    if kind is MeasurementKind.SPO2:
        spo2 = float("nan") if err else 88 if low else 97
        cont = [
            (0.2 * i, a.PLX_CONTINUOUS, frames.plx_continuous_frame(spo2, pulse)) for i in (1, 2, 3)
        ]
        return [*cont, (1.0, a.PLX_SPOT_CHECK, frames.plx_spot_check_frame(spo2, pulse))]
    if kind is MeasurementKind.WEIGHT:
        return [(1.0, a.WEIGHT_MEASUREMENT, frames.weight_frame(None if err else 72.4))]
    bpm = 112 if fever or low else 74
    return [
        (
            0.15 * i,
            a.HEART_RATE_MEASUREMENT,
            frames.heart_rate_frame(bpm, contact=not err, rr=(60 / bpm,)),
        )
        for i in range(1, 8)
    ]


_SERVICES: dict[MeasurementKind, tuple[str, tuple[tuple[str, str], ...]]] = {
    MeasurementKind.TEMPERATURE: (a.HEALTH_THERMOMETER, ((a.TEMPERATURE_MEASUREMENT, "indicate"),)),
    MeasurementKind.BLOOD_PRESSURE: (
        a.BLOOD_PRESSURE,
        ((a.BLOOD_PRESSURE_MEASUREMENT, "indicate"), (a.INTERMEDIATE_CUFF_PRESSURE, "notify")),
    ),
    MeasurementKind.SPO2: (
        a.PULSE_OXIMETER,
        ((a.PLX_SPOT_CHECK, "indicate"), (a.PLX_CONTINUOUS, "notify")),
    ),
    MeasurementKind.WEIGHT: (a.WEIGHT_SCALE, ((a.WEIGHT_MEASUREMENT, "indicate"),)),
    MeasurementKind.HEART_RATE: (a.HEART_RATE, ((a.HEART_RATE_MEASUREMENT, "notify"),)),
}
_NAMES = {
    MeasurementKind.TEMPERATURE: "SIM-Thermo",
    MeasurementKind.BLOOD_PRESSURE: "SIM-Tensio",
    MeasurementKind.SPO2: "SIM-Oxy",
    MeasurementKind.WEIGHT: "SIM-Balance",
    MeasurementKind.HEART_RATE: "SIM-Cardio",
}


@dataclass
class SimulatedPeripheral:
    """One simulated device: its address, GATT table, scenario and timing."""

    address: str
    kind: MeasurementKind
    scenario: Scenario = Scenario.NORMAL
    measure_seconds: float = 2.0
    battery: int | None = 87
    in_range: bool = True
    name: str = ""
    rssi: int = -55
    connections: int = 0
    bonded: bool = False
    # Custom devices (vendor adapters) provide their own service table and script.
    service_uuid: str | None = None
    characteristics: tuple[tuple[str, str], ...] = ()
    script: Callable[[SimulatedPeripheral], Script] | None = None

    def __post_init__(self) -> None:
        if self.service_uuid is None:
            self.service_uuid, self.characteristics = _SERVICES[self.kind]
        self.name = self.name or _NAMES.get(self.kind, "SIM")

    def frames_for_connection(self) -> Script:
        """Frames to send on this connection (scripted by scenario)."""
        return self.script(self) if self.script else _script(self.kind, self.scenario)

    def drops_link(self) -> bool:
        """The disconnect scenario drops the first connection only, so a retry succeeds."""
        return self.scenario is Scenario.DISCONNECT and self.connections == 1


@dataclass
class SimulatedAirspace:
    """The simulated devices within radio range; hands bleak backends bound to them."""

    peripherals: dict[str, SimulatedPeripheral] = field(default_factory=dict)

    @classmethod
    def standard(
        cls, scenario: Scenario | str = Scenario.NORMAL, measure_seconds: float = 2.0
    ) -> SimulatedAirspace:
        """One simulated device per measurement kind, all under ``scenario``."""
        space = cls()
        for i, kind in enumerate(MeasurementKind):
            space.add(
                SimulatedPeripheral(
                    f"5A:1D:00:00:00:{i + 1:02X}", kind, Scenario(scenario), measure_seconds
                )
            )
        return space

    def add(self, peripheral: SimulatedPeripheral) -> SimulatedPeripheral:
        """Put a device in range."""
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    def by_kind(self, kind: MeasurementKind) -> SimulatedPeripheral:
        """The first device of ``kind``."""
        return next(p for p in self.peripherals.values() if p.kind == kind)

    def set_scenario(self, scenario: Scenario | str) -> None:
        """Switch every device to ``scenario`` (and forget past connections)."""
        for p in self.peripherals.values():
            p.scenario, p.connections = Scenario(scenario), 0

    def client_backend(self) -> type[BaseBleakClient]:
        """A ``BaseBleakClient`` subclass bound to this airspace, for ``BleakClient(backend=)``."""
        return type("SimulatedBleakClient", (_SimulatedClient,), {"airspace": self})

    def scanner_backend(self) -> type[BaseBleakScanner]:
        """A ``BaseBleakScanner`` subclass bound to this airspace, for ``BleakScanner(backend=)``."""
        return type("SimulatedBleakScanner", (_SimulatedScanner,), {"airspace": self})


def _gatt_table(p: SimulatedPeripheral) -> BleakGATTServiceCollection:
    table = BleakGATTServiceCollection()
    handle = 1
    services = [(p.service_uuid, p.characteristics)]
    if p.battery is not None:
        services.append((a.BATTERY_SERVICE, ((a.BATTERY_LEVEL, "read"),)))
    for service_uuid, chars in services:
        service = BleakGATTService(None, handle, service_uuid)
        table.add_service(service)
        handle += 1
        for char_uuid, prop in chars:
            char = BleakGATTCharacteristic(None, handle, char_uuid, [prop], lambda: 20, service)
            table.add_characteristic(char)  # also adds it to its service
            if prop in ("notify", "indicate"):  # Client Characteristic Configuration 0x2902
                table.add_descriptor(BleakGATTDescriptor(None, handle + 1, a.uuid16(0x2902), char))
            handle += 2
    return table


class _SimulatedClient(BaseBleakClient):
    """bleak client backend talking to a :class:`SimulatedPeripheral`."""

    airspace: SimulatedAirspace

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._connected = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._peripheral: SimulatedPeripheral | None = None

    @property
    def mtu_size(self) -> int:
        return 23

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        p = self.airspace.peripherals.get(self.address)
        if p is None or not p.in_range:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        await asyncio.sleep(0.01)  # a real link takes time; never complete synchronously
        p.connections += 1
        p.bonded = p.bonded or pair
        self._peripheral = p
        self.services = _gatt_table(p)
        self._connected = True

    async def disconnect(self) -> None:
        self._stop()

    def _stop(self) -> None:
        was = self._connected
        self._connected = False
        for t in list(self._tasks):
            if t is not asyncio.current_task():
                t.cancel()
        if was and self._disconnected_callback is not None:
            # bleak's public client wraps our callback as cb(client); hosts see it on every drop.
            self._disconnected_callback()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, **kwargs: Any
    ) -> bytearray:
        if not self._connected or self._peripheral is None:
            raise BleakError("Not connected")
        if characteristic.uuid == a.BATTERY_LEVEL and self._peripheral.battery is not None:
            return bytearray([self._peripheral.battery])
        raise BleakError(f"characteristic {characteristic.uuid} is not readable")

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, **kwargs: Any
    ) -> bytearray:
        return bytearray(b"\x00\x00")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        raise BleakError("simulated devices take no writes")

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        return None

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        p = self._peripheral
        if not self._connected or p is None:
            raise BleakError("Not connected")
        script = [s for s in p.frames_for_connection() if s[1] == characteristic.uuid]
        task = asyncio.get_running_loop().create_task(self._emit(p, script, callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _emit(self, p: SimulatedPeripheral, script: Script, callback: NotifyCallback) -> None:
        start = asyncio.get_running_loop().time()
        drop_at = 0.5 * p.measure_seconds if p.drops_link() else None
        for fraction, _uuid, frame in sorted(script, key=lambda s: s[0]):
            at = fraction * p.measure_seconds
            if drop_at is not None and at >= drop_at:
                await asyncio.sleep(max(0.0, start + drop_at - asyncio.get_running_loop().time()))
                self._stop()
                return
            await asyncio.sleep(max(0.0, start + at - asyncio.get_running_loop().time()))
            if not self._connected:
                return
            callback(bytearray(frame))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        return None


class _SimulatedScanner(BaseBleakScanner):
    """bleak scanner backend advertising the airspace's in-range peripherals."""

    airspace: SimulatedAirspace

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def _advertise(self) -> None:
        await asyncio.sleep(0.01)
        for p in list(self.airspace.peripherals.values()):
            if not p.in_range:
                continue
            uuids = [p.service_uuid] if p.service_uuid else []
            if not self.is_allowed_uuid(uuids):
                continue
            adv = AdvertisementData(p.name, {}, {}, uuids, None, p.rssi, ())
            device = self.create_or_update_device(p.address, p.address, p.name, None, adv)
            self.call_detection_callbacks(device, adv)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
