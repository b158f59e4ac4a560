"""Finds, pairs and hands out the vitals device for each role (real bleak or simulated twin)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telecabine.devices.ble.adapters import AdapterRegistry
from telecabine.devices.ble.driver import BleVitalsDevice, DiscoveredDevice, VitalsDevice, scan
from telecabine.devices.ble.errors import DeviceNotFound
from telecabine.devices.ble.pairing import PairedDevice, PairingStore
from telecabine.devices.ble.simulated import SimulatedAirspace
from telecabine.domain.vitals import MeasurementKind

if TYPE_CHECKING:
    from telecabine.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BleTimeouts:
    """Seconds allowed for each step (from settings)."""

    scan: float = 5.0
    connect: float = 10.0
    measurement: float = 90.0
    burst: float = 0.3  # quiet time that ends a burst of stored records


class BleDeviceManager:
    """Device per role: the paired one, else the first found by a scan (then remembered).

    ``airspace`` selects the simulated twin; with ``None`` the real bleak backends are used.
    """

    def __init__(
        self,
        registry: AdapterRegistry,
        pairing: PairingStore,
        *,
        timeouts: BleTimeouts | None = None,
        airspace: SimulatedAirspace | None = None,
        preset: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        # Installer-set addresses per role (settings.ble_devices); a pairing in the JSON wins.
        self.preset = {MeasurementKind(k): v for k, v in (preset or {}).items()}
        self.pairing = pairing
        self.timeouts = timeouts or BleTimeouts()
        self.airspace = airspace
        self._client_backend = airspace.client_backend() if airspace else None
        self._scanner_backend = airspace.scanner_backend() if airspace else None
        self._devices: dict[MeasurementKind, BleVitalsDevice] = {}

    @property
    def simulated(self) -> bool:
        """True when talking to simulated peripherals."""
        return self.airspace is not None

    async def scan(self, kind: MeasurementKind | None = None) -> list[DiscoveredDevice]:
        """Devices nearby (optionally of one kind), strongest first."""
        return await scan(
            self.registry, timeout=self.timeouts.scan, kind=kind, backend=self._scanner_backend
        )

    def pair(self, device: DiscoveredDevice) -> None:
        """Remember ``device`` for its role (persisted across restarts)."""
        self.pairing.pair(device.kind, PairedDevice(device.address, device.adapter_id, device.name))
        self._devices.pop(device.kind, None)

    def paired(self, kind: MeasurementKind) -> PairedDevice | None:
        """The device used for ``kind``: paired at the station, else set by the installer."""
        paired = self.pairing.get(kind)
        if paired is None and kind in self.preset and self.registry.for_kind(kind):
            paired = PairedDevice(self.preset[kind], self.registry.for_kind(kind)[0].adapter_id)
        return paired

    def forget(self, kind: MeasurementKind) -> None:
        """Forget the paired device for ``kind``."""
        self.pairing.forget(kind)
        self._devices.pop(kind, None)

    async def device_for(self, kind: MeasurementKind) -> VitalsDevice:
        """The device for ``kind``; scans and pairs the nearest one when none is paired."""
        if kind in self._devices:
            return self._devices[kind]
        paired = self.paired(kind)
        adapter = self.registry.get(paired.adapter_id) if paired else None
        if paired is None or adapter is None:
            found = await self.scan(kind)
            if not found:
                raise DeviceNotFound(f"no {kind.value} device advertising")
            self.pair(found[0])
            paired = PairedDevice(found[0].address, found[0].adapter_id, found[0].name)
            # scan() only reports devices a registered adapter matched.
            adapter = self.registry.get(found[0].adapter_id) or self.registry.for_kind(kind)[0]
        device = BleVitalsDevice(
            paired.address,
            adapter,
            connect_timeout=self.timeouts.connect,
            backend=self._client_backend,
            burst_window=self.timeouts.burst,
        )
        self._devices[kind] = device
        return device

    async def close(self) -> None:
        """Disconnect every device."""
        for device in list(self._devices.values()):
            await device.disconnect()


def build_device_manager(settings: Settings, *, measure_seconds: float = 3.0) -> BleDeviceManager:
    """The manager the station uses: simulated twins when ``settings.simulated_devices`` or
    when ``TELECABINE_BLE_SIMULATED_SCENARIO`` is set (the BLE devices alone simulated)."""
    from telecabine.devices.ble.adapters import build_registry
    from telecabine.devices.ble.simulated import Scenario

    airspace = (
        SimulatedAirspace.standard(Scenario(settings.ble_simulated_scenario), measure_seconds)
        if settings.simulated_devices or "ble_simulated_scenario" in settings.model_fields_set
        else None
    )
    return BleDeviceManager(
        build_registry(settings.ble_vendor_modules),
        PairingStore(settings.ble_pairing_path),
        timeouts=BleTimeouts(
            scan=settings.ble_scan_timeout_s,
            connect=settings.ble_connect_timeout_s,
            measurement=settings.ble_measurement_timeout_s,
        ),
        airspace=airspace,
        preset=settings.ble_devices,
    )
