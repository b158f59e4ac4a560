"""Measurement use-case: take vitals from a BLE device (or manual entry), store, publish.

Each observation is validated and flagged by the domain (``telecabine.domain.vitals``), stored
on the encounter as it arrives (``EncounterRepository.add_observation``), then published to
listeners (the session layer forwards them to the doctor as data-channel ``vital`` messages).
Device failures are recorded as technical incidents (CSP R6316), without patient data.
Device clocks are not trusted: ``measured_at`` is the station's clock at reception.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from telecabine.devices.ble.adapters import DeviceReading
from telecabine.devices.ble.driver import DiscoveredDevice, VitalsDevice
from telecabine.devices.ble.errors import BleDeviceError
from telecabine.devices.ble.pairing import PairedDevice
from telecabine.domain.vitals import (
    KIND_SIGNS,
    MANUAL,
    VITAL_SIGNS,
    MeasurementKind,
    Observation,
    VitalError,
    VitalRanges,
    blood_pressure_observations,
    device_method,
    make_observation,
)

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.devices.ble.manager import BleDeviceManager

log = logging.getLogger(__name__)


class ObservationSink(Protocol):
    """Where observations and incidents go (``telecabine.store`` ``EncounterRepository``)."""

    def add_observation(
        self,
        encounter_id: str,
        *,
        code: str,
        value: float,
        unit: str,
        method: str,
        measured_at: datetime,
        flag: str | None = None,
    ) -> Any: ...

    def add_incident(
        self, encounter_id: str | None, kind: str, detail: str = "", now: datetime | None = None
    ) -> Any: ...


class DeviceProvider(Protocol):
    """Hands out the device for a role (``BleDeviceManager``)."""

    async def device_for(self, kind: MeasurementKind) -> VitalsDevice: ...

    async def scan(self, kind: MeasurementKind | None = None) -> list[DiscoveredDevice]: ...

    def pair(self, device: DiscoveredDevice) -> None: ...

    def paired(self, kind: MeasurementKind) -> PairedDevice | None: ...


class Status(StrEnum):
    """Where a measurement stands; the screen shows one line per status."""

    SEARCHING = "searching"
    CONNECTED = "connected"
    MEASURING = "measuring"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class MeasurementUpdate:
    """One status change, with what the screen needs to show it."""

    kind: MeasurementKind
    status: Status
    device_id: str | None = None
    live: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    observations: tuple[Observation, ...] = ()
    error_code: str | None = None
    message_fr: str = ""
    message_en: str = ""
    battery: int | None = None
    encounter_id: str | None = None  # whose measurement: screens ignore other patients'

    def as_status_fields(self) -> dict[str, str]:
        """Fields of the data-channel ``measurement_status`` message (detail in FR / EN)."""
        status = {Status.DONE: "done", Status.FAILED: "failed"}.get(self.status, "in_progress")
        detail = f"{self.message_fr} / {self.message_en}" if self.message_fr else self.status.value
        return {"kind": self.kind.value, "status": status, "detail": detail}


class MeasurementFailed(Exception):
    """A measurement that did not give observations; message fit for the screen."""

    def __init__(self, code: str, message_fr: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_fr = message_fr
        self.message_en = message_en

    def message(self, lang: str = "fr") -> str:
        """The message in ``lang`` (French unless ``"en"``)."""
        return self.message_en if lang == "en" else self.message_fr


ObservationListener = Callable[[str, Observation], None]
StatusListener = Callable[[MeasurementUpdate], None]


class MeasurementService:
    """Takes measurements per kind, one at a time per kind; a second request joins the first."""

    def __init__(
        self,
        devices: DeviceProvider,
        sink: ObservationSink,
        *,
        ranges: VitalRanges,
        clock: Callable[[], datetime],
        measurement_timeout: float = 90.0,
    ) -> None:
        self._devices = devices
        self._sink = sink
        self._ranges = ranges
        self._clock = clock
        self._timeout = measurement_timeout
        self._obs_listeners: list[ObservationListener] = []
        self._status_listeners: list[StatusListener] = []
        self._running: dict[MeasurementKind, asyncio.Task[tuple[Observation, ...]]] = {}
        self._running_for: dict[MeasurementKind, str] = {}

    # --- listeners -------------------------------------------------------------------------

    def add_observation_listener(self, listener: ObservationListener) -> Callable[[], None]:
        """Call ``listener(encounter_id, observation)`` for every stored observation."""
        self._obs_listeners.append(listener)
        return lambda: (
            self._obs_listeners.remove(listener) if listener in self._obs_listeners else None
        )

    def add_status_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener(update)`` on every status change; returns an unsubscribe function."""
        self._status_listeners.append(listener)
        return lambda: (
            self._status_listeners.remove(listener) if listener in self._status_listeners else None
        )

    def _emit(self, update: MeasurementUpdate, encounter_id: str) -> None:
        update = dataclasses.replace(update, encounter_id=encounter_id)
        for listener in list(self._status_listeners):
            try:
                listener(update)
            except Exception:  # a faulty listener must not break the measurement
                log.exception("measurement status listener failed")

    def _publish(self, encounter_id: str, observations: tuple[Observation, ...]) -> None:
        """Store then tell listeners; a store failure becomes ``MeasurementFailed("store")``."""
        try:
            for obs in observations:
                self._sink.add_observation(
                    encounter_id,
                    code=obs.code,
                    value=obs.value,
                    unit=obs.unit,
                    method=obs.method,
                    measured_at=obs.measured_at,
                    flag=obs.flag,
                )
        except Exception as exc:
            log.exception("observation could not be stored")
            raise MeasurementFailed(
                "store",
                "La mesure n'a pas pu être enregistrée. Notez-la et prévenez le support.",
                "The measurement could not be saved. Write it down and tell support.",
            ) from exc
        for obs in observations:
            for listener in list(self._obs_listeners):
                try:
                    listener(encounter_id, obs)
                except Exception:
                    log.exception("observation listener failed")

    # --- device measurements ---------------------------------------------------------------

    def is_busy(self, kind: MeasurementKind) -> bool:
        """True while a measurement of ``kind`` runs."""
        task = self._running.get(kind)
        return task is not None and not task.done()

    async def measure(
        self, encounter_id: str, kind: MeasurementKind | str
    ) -> tuple[Observation, ...]:
        """Measure ``kind`` with its device, store and publish; raises :class:`MeasurementFailed`."""
        kind = MeasurementKind(kind)
        task = self._running.get(kind)
        if task is not None and not task.done() and self._running_for.get(kind) != encounter_id:
            # Never hand one patient's values to another: the old measurement is abandoned.
            await self.cancel(kind)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._measure(encounter_id, kind))
            # Mark the outcome as seen even when every caller went away (no "never retrieved"
            # warning): failures were already reported through the status listeners.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._running[kind] = task
            self._running_for[kind] = encounter_id
        # shield: a cancelled caller (screen left) does not cancel the doctor's joined request.
        return await asyncio.shield(task)

    async def cancel(self, kind: MeasurementKind) -> None:
        """Stop a running measurement of ``kind`` (e.g. the patient gave up)."""
        task = self._running.get(kind)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, MeasurementFailed):
                await task

    async def _measure(self, encounter_id: str, kind: MeasurementKind) -> tuple[Observation, ...]:
        self._emit(MeasurementUpdate(kind, Status.SEARCHING), encounter_id)
        device: VitalsDevice | None = None
        try:
            device = await self._devices.device_for(kind)
            await device.connect()
            battery = await device.battery_level()
            self._emit(
                MeasurementUpdate(kind, Status.CONNECTED, device.device_id, battery=battery),
                encounter_id,
            )
            self._emit(MeasurementUpdate(kind, Status.MEASURING, device.device_id), encounter_id)

            def progress(reading: DeviceReading) -> None:
                self._emit(
                    MeasurementUpdate(
                        kind, Status.MEASURING, device.device_id, live=dict(reading.values)
                    ),
                    encounter_id,
                )

            reading = await device.measure(self._timeout, on_progress=progress)
            observations = self._to_observations(reading, device_method(device.device_id))
        except BleDeviceError as exc:
            self._fail(encounter_id, kind, device, exc.code, exc.message_fr, exc.message_en)
        except VitalError as exc:
            self._fail(encounter_id, kind, device, exc.code, exc.message_fr, exc.message_en)
        try:
            self._publish(encounter_id, observations)
        except MeasurementFailed as exc:
            self._fail(encounter_id, kind, device, exc.code, exc.message_fr, exc.message_en)
        self._emit(
            MeasurementUpdate(kind, Status.DONE, device.device_id, observations=observations),
            encounter_id,
        )
        return observations

    def _fail(
        self,
        encounter_id: str,
        kind: MeasurementKind,
        device: VitalsDevice | None,
        code: str,
        fr: str,
        en: str,
    ) -> NoReturn:
        device_id = device.device_id if device is not None else None
        log.info("measurement %s failed: %s", kind.value, code)
        try:
            self._sink.add_incident(encounter_id, f"ble.{code}", f"{kind.value} device={device_id}")
        except Exception:  # recording the incident must not hide the failure itself
            log.exception("could not record the measurement incident")
        self._emit(
            MeasurementUpdate(
                kind, Status.FAILED, device_id, error_code=code, message_fr=fr, message_en=en
            ),
            encounter_id,
        )
        raise MeasurementFailed(code, fr, en)

    def _to_observations(self, reading: DeviceReading, method: str) -> tuple[Observation, ...]:
        now = self._clock()
        values = dict(reading.values)
        out: list[Observation] = []
        common = {"method": method, "measured_at": now, "ranges": self._ranges}
        if "systolic" in values and "diastolic" in values:
            (s, unit), (d, _) = values.pop("systolic"), values.pop("diastolic")
            mean = values.pop("mean_arterial", (None, unit))[0]
            out += blood_pressure_observations(s, d, unit, mean=mean, **common)
        for sign, (value, unit) in values.items():
            if sign in VITAL_SIGNS:
                out.append(make_observation(sign, value, unit, **common))
        if not out:
            raise VitalError("no_value", "Aucune valeur reçue.", "No value received.")
        return tuple(out)

    # --- choosing the device for a role ----------------------------------------------------------

    async def nearby(self, kind: MeasurementKind | str) -> list[DiscoveredDevice]:
        """Devices of ``kind`` advertising nearby, strongest first; ``MeasurementFailed`` if none can be listed."""
        try:
            return await self._devices.scan(MeasurementKind(kind))
        except BleDeviceError as exc:
            raise MeasurementFailed(exc.code, exc.message_fr, exc.message_en) from None

    def use_device(self, device: DiscoveredDevice) -> None:
        """Remember ``device`` for its role (kept across restarts)."""
        self._devices.pair(device)

    def current_device(self, kind: MeasurementKind | str) -> PairedDevice | None:
        """The device that will be used for ``kind``, if one is known."""
        return self._devices.paired(MeasurementKind(kind))

    # --- manual entry ------------------------------------------------------------------------

    def record_manual(
        self,
        encounter_id: str,
        kind: MeasurementKind | str,
        values: Mapping[str, float],
        units: Mapping[str, str] | None = None,
    ) -> tuple[Observation, ...]:
        """Store values typed by staff (method ``manual``).

        Raises ``VitalError`` (nothing stored) for a bad value, ``MeasurementFailed`` when the
        store refuses the write.

        ``values`` maps the sign keys of ``KIND_SIGNS[kind]`` to numbers, in the canonical unit
        unless ``units`` says otherwise (e.g. ``{"temperature": "[degF]"}``).
        """
        kind = MeasurementKind(kind)
        units = units or {}
        now = self._clock()
        common = {"method": MANUAL, "measured_at": now, "ranges": self._ranges}
        missing = [s for s in KIND_SIGNS[kind] if s not in values]
        if kind is MeasurementKind.SPO2:
            missing = [s for s in missing if s != "heart_rate"]  # pulse is optional with SpO2
        if missing:
            raise VitalError("missing", "Complétez toutes les valeurs.", "Fill in every value.")
        out: list[Observation] = []
        if kind is MeasurementKind.BLOOD_PRESSURE:
            unit = units.get("systolic", "mm[Hg]")
            out += blood_pressure_observations(
                values["systolic"], values["diastolic"], unit, **common
            )
        else:
            for sign in KIND_SIGNS[kind]:
                if sign in values:
                    unit = units.get(sign, VITAL_SIGNS[sign].unit)
                    out.append(make_observation(sign, values[sign], unit, **common))
        observations = tuple(out)
        self._publish(encounter_id, observations)
        self._emit(
            MeasurementUpdate(kind, Status.DONE, None, observations=observations), encounter_id
        )
        return observations


def build_measurement_service(
    settings: Settings, sink: ObservationSink, *, clock: Callable[[], datetime] | None = None
) -> tuple[MeasurementService, BleDeviceManager]:
    """Composition helper for ``app.py``: the service and its device manager (close it at exit).

    ``sink`` is the store's ``EncounterRepository``; simulated devices when
    ``settings.simulated_devices`` (scenario ``settings.ble_simulated_scenario``).
    """
    from telecabine.devices.ble.manager import build_device_manager
    from telecabine.domain.vitals import default_ranges

    manager = build_device_manager(settings)
    service = MeasurementService(
        manager,
        sink,
        ranges=default_ranges(),
        clock=clock or (lambda: datetime.now(UTC)),
        measurement_timeout=settings.ble_measurement_timeout_s,
    )
    return service, manager
