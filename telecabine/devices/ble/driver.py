"""Bluetooth LE vitals driver on bleak: connect, subscribe, read one measurement, reconnect.

All bleak work runs as coroutines on the application's asyncio loop (bleak is asyncio-native),
so nothing here blocks the Qt thread. Bleak's contracts used (bleak >= 0.22, checked on 3.1):
``BleakClient(address, disconnected_callback=cb(client), backend=...)``, notify callbacks
``(BleakGATTCharacteristic, bytearray)``, ``BleakScanner(detection_callback=(BLEDevice,
AdvertisementData), service_uuids=...)``. ``backend`` lets the simulated twin
(``simulated.py``) plug in below bleak's public classes, so the same code path runs in demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakBluetoothNotAvailableError, BleakDeviceNotFoundError, BleakError

from telecabine.devices.ble.adapters import (
    BATTERY_LEVEL,
    AdapterRegistry,
    DeviceReading,
    VendorAdapter,
)
from telecabine.devices.ble.errors import (
    BleDeviceError,
    BluetoothUnavailable,
    DeviceDisconnected,
    DeviceNotFound,
    DeviceReportedError,
    DeviceUnsupported,
    MeasurementTimeout,
)
from telecabine.devices.ble.gatt import GattParseError
from telecabine.domain.vitals import MeasurementKind

log = logging.getLogger(__name__)

ProgressCallback = Callable[[DeviceReading], None]


@runtime_checkable
class VitalsDevice(Protocol):
    """A connected vitals device, real or simulated; services only see this."""

    @property
    def device_id(self) -> str:
        """Stable id of the device (its Bluetooth address); goes into ``device:<id>``."""
        ...

    @property
    def kind(self) -> MeasurementKind:
        """What the device measures."""
        ...

    @property
    def is_connected(self) -> bool:
        """True while the link is up."""
        ...

    async def connect(self) -> None:
        """Connect and subscribe; raises a ``BleDeviceError`` subclass."""
        ...

    async def measure(
        self, timeout: float, on_progress: ProgressCallback | None = None
    ) -> DeviceReading:
        """One complete measurement (reconnecting if needed); raises ``BleDeviceError``."""
        ...

    async def battery_level(self) -> int | None:
        """Battery percent when the device offers it, else None."""
        ...

    async def disconnect(self) -> None:
        """Close the link (idempotent)."""
        ...


@dataclass(frozen=True, slots=True)
class DiscoveredDevice:
    """A device seen while scanning, with the adapter that can talk to it."""

    address: str
    name: str | None
    rssi: int
    kind: MeasurementKind
    adapter_id: str


_Disconnected = object()  # queue marker: the link dropped


class BleVitalsDevice:
    """One BLE vitals device behind bleak's ``BleakClient``; implements :class:`VitalsDevice`."""

    def __init__(
        self,
        address: str,
        adapter: VendorAdapter,
        *,
        connect_timeout: float = 10.0,
        backend: type | None = None,
        reconnect_attempts: int = 2,
        burst_window: float = 0.3,
    ) -> None:
        self._address = address
        self._burst_window = burst_window
        self._adapter = adapter
        self._connect_timeout = connect_timeout
        self._backend = backend
        self._attempts = max(1, reconnect_attempts)
        self._client: BleakClient | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=32)
        self._subscribed: list[str] = []

    @property
    def device_id(self) -> str:
        """The Bluetooth address (a UUID on macOS)."""
        return self._address

    @property
    def kind(self) -> MeasurementKind:
        """What this device measures."""
        return self._adapter.kind

    @property
    def is_connected(self) -> bool:
        """True while bleak reports the link up."""
        return self._client is not None and self._client.is_connected

    # --- bleak callbacks (called on the loop by bleak) -----------------------------------------

    def _on_disconnected(self, client: BleakClient) -> None:
        if client is not self._client:
            return  # a link we already dropped on purpose (reconnect, close)
        log.info("BLE device %s (%s) disconnected", self._adapter.adapter_id, self._address)
        self._put(_Disconnected)

    def _on_notify(self, characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            item: Any = self._adapter.decode(characteristic.uuid.lower(), bytes(data))
        except GattParseError as exc:
            log.warning("BLE %s: unreadable frame (%s)", self._adapter.adapter_id, exc)
            item = DeviceReportedError("device.error.bad_frame", str(exc))
        except Exception as exc:  # a vendor decoder's bug must not escape into bleak's loop
            log.exception("BLE %s: decoder failed", self._adapter.adapter_id)
            item = DeviceReportedError("device.error.bad_frame", type(exc).__name__)
        self._put(item)

    def _put(self, item: Any) -> None:
        # Bounded: a chatty continuous device overwrites its oldest frames instead of growing.
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(item)

    # --- lifecycle ---------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect (retrying ``reconnect_attempts`` times) and subscribe to measurements."""
        if self.is_connected:
            return
        last: BleDeviceError = DeviceNotFound(self._address)
        for attempt in range(self._attempts):
            try:
                await self._connect_once()
                return
            except (DeviceUnsupported, BluetoothUnavailable):
                await self._drop_client()
                raise
            except BleDeviceError as exc:
                last = exc
                log.info("BLE connect attempt %d to %s failed: %s", attempt + 1, self._address, exc)
                await self._drop_client()
        raise last

    async def _connect_once(self) -> None:
        kwargs: dict[str, Any] = {"disconnected_callback": self._on_disconnected}
        if self._backend is not None:
            kwargs["backend"] = self._backend
        client = BleakClient(
            self._address,
            timeout=self._connect_timeout,
            pair=self._adapter.requires_bonding,
            **kwargs,
        )
        self._client = client
        try:
            async with asyncio.timeout(self._connect_timeout):
                await client.connect()
                present = {c.uuid.lower() for s in client.services for c in s.characteristics}
                wanted = list(self._adapter.notify_uuids)
                if not set(wanted) <= present:
                    raise DeviceUnsupported(
                        f"{self._adapter.adapter_id}: missing {set(wanted) - present}"
                    )
                wanted += [u for u in self._adapter.optional_notify_uuids if u in present]
                if not wanted:
                    raise DeviceUnsupported(f"{self._adapter.adapter_id}: nothing to subscribe to")
                self._drain()
                for uuid in wanted:
                    await client.start_notify(uuid, self._on_notify)
                self._subscribed = wanted
        except TimeoutError:
            raise DeviceNotFound(f"connect timeout after {self._connect_timeout}s") from None
        except BleakBluetoothNotAvailableError as exc:
            raise BluetoothUnavailable(str(exc)) from None
        except BleakDeviceNotFoundError as exc:
            raise DeviceNotFound(str(exc)) from None
        except BleakError as exc:
            raise DeviceDisconnected(str(exc)) from None
        except OSError as exc:
            # Linux without BlueZ/D-Bus: the system bus socket is missing (FileNotFoundError).
            raise BluetoothUnavailable(f"{type(exc).__name__}: {exc}") from None

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(BleakError, TimeoutError, OSError):
                await client.disconnect()

    async def disconnect(self) -> None:
        """Unsubscribe and close the link (safe to call twice)."""
        client = self._client
        if client is not None and client.is_connected:
            for uuid in self._subscribed:
                with contextlib.suppress(BleakError, OSError):
                    await client.stop_notify(uuid)
        self._subscribed = []
        await self._drop_client()

    # --- measurement -------------------------------------------------------------------------

    async def measure(
        self, timeout: float, on_progress: ProgressCallback | None = None
    ) -> DeviceReading:
        """Wait for one complete measurement; reconnects first if the link had dropped."""
        if not self.is_connected:
            await self._drop_client()
            await self.connect()
        settle = self._adapter.settle_frames
        window: list[DeviceReading] = []
        last_error: str | None = None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    item = await self._queue.get()
                    if item is _Disconnected:
                        if self.is_connected:  # stale marker from an earlier link
                            continue
                        raise DeviceDisconnected(self._address)
                    if isinstance(item, BleDeviceError):
                        raise item
                    reading: DeviceReading = item
                    if reading.error:
                        if reading.final:
                            raise DeviceReportedError(reading.error)
                        # A continuous device reporting trouble: keep waiting, say why at timeout.
                        last_error, window = reading.error, []
                        continue
                    if reading.final:
                        first_final = reading
                        break
                    if on_progress is not None:
                        on_progress(reading)
                    window = [*window, reading][-settle:] if settle else []
                    if settle and len(window) == settle and self._stable(window):
                        return DeviceReading(reading.kind, reading.values, final=True)
        except TimeoutError:
            if last_error:
                raise DeviceReportedError(last_error) from None
            raise MeasurementTimeout(f"{timeout}s") from None
        return await self._latest_of_burst(first_final)

    def _stable(self, window: list[DeviceReading]) -> bool:
        """Every value moved by at most the adapter's tolerance over the window."""
        tolerance = self._adapter.settle_tolerance
        for sign in window[-1].values:
            values = [r.values[sign][0] for r in window if sign in r.values]
            if len(values) != len(window) or max(values) - min(values) > tolerance:
                return False
        return True

    async def _latest_of_burst(self, first: DeviceReading) -> DeviceReading:
        """Devices that store records send them all on connection, oldest first (BLS, WSS,
        HTS): keep reading final frames while they keep coming and return the newest."""
        burst = [first]
        while True:
            try:
                async with asyncio.timeout(self._burst_window):
                    item = await self._queue.get()
            except TimeoutError:
                break
            if isinstance(item, DeviceReading) and item.final and not item.error:
                burst.append(item)
            # anything else (progress, error, link drop) ends the burst; the record we have stands
            else:
                break
        if all(r.device_time is not None for r in burst):
            return max(burst, key=lambda r: r.device_time)  # type: ignore[arg-type, return-value]
        return burst[-1]

    async def battery_level(self) -> int | None:
        """Battery Level 0x2A19 in percent, when the device offers the Battery service."""
        client = self._client
        if client is None or not client.is_connected:
            return None
        try:
            if client.services.get_characteristic(BATTERY_LEVEL) is None:
                return None
            data = await client.read_gatt_char(BATTERY_LEVEL)
        except (BleakError, OSError):
            return None
        return data[0] if len(data) == 1 and data[0] <= 100 else None


async def scan(
    registry: AdapterRegistry,
    *,
    timeout: float,
    kind: MeasurementKind | None = None,
    backend: type | None = None,
) -> list[DiscoveredDevice]:
    """Scan for ``timeout`` seconds; devices an adapter recognises, strongest signal first."""
    found: dict[str, DiscoveredDevice] = {}

    def on_detect(device: BLEDevice, adv: AdvertisementData) -> None:
        adapter = registry.match(adv.service_uuids, adv.local_name or device.name)
        if adapter is None or (kind is not None and adapter.kind != kind):
            return
        found[device.address] = DiscoveredDevice(
            device.address,
            adv.local_name or device.name,
            adv.rssi,
            adapter.kind,
            adapter.adapter_id,
        )

    kwargs: dict[str, Any] = {"detection_callback": on_detect}
    if backend is not None:
        kwargs["backend"] = backend
    try:
        scanner = BleakScanner(**kwargs)
        await scanner.start()
        try:
            await asyncio.sleep(timeout)
        finally:
            await scanner.stop()
    except BleakBluetoothNotAvailableError as exc:
        raise BluetoothUnavailable(str(exc)) from None
    except (BleakError, OSError) as exc:
        # No adapter / no BlueZ daemon surfaces as BleakError or a D-Bus OSError.
        raise BluetoothUnavailable(str(exc)) from None
    return sorted(found.values(), key=lambda d: -d.rssi)
