"""Demo mode: an in-process hub with a demo doctor, so one person can play both sides.

``telecabine demo`` starts the hub on 127.0.0.1 (fresh throw-away database in
``<data_dir>/demo-hub``), creates a doctor account with a random password, registers this
station and prints the console URL and credentials; the station then runs with simulated
devices and talks to that hub like it would to the operator's.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from typing import Any

from telecabine.config import Settings

DEMO_USERNAME = "demo"
DEMO_DOCTOR = {"name": "Dr Camille Démo", "rpps": "10000000001", "specialty": "Médecine générale"}


@dataclass
class DemoHub:
    """The running demo hub and what the doctor needs to sign in."""

    hub: Any  # telecabine.hub.server.RunningHub
    url: str
    username: str
    password: str
    station_token: str

    async def stop(self) -> None:
        """Shut the hub down."""
        await self.hub.stop()

    def banner(self) -> str:
        """What the demo prints (French first)."""
        return (
            "\n=== Télécabine — démonstration / demo ===\n"
            f"Console médecin / doctor console : {self.url}/\n"
            f"Identifiant / username : {self.username}\n"
            f"Mot de passe / password : {self.password}\n"
            "Ouvrez la console dans Chromium ou Firefox, puis lancez l'appel depuis la cabine.\n"
            "Open the console in Chromium or Firefox, then start the call from the cabin.\n"
        )


async def start_demo_hub(settings: Settings, port: int = 0) -> DemoHub:
    """Start the demo hub on 127.0.0.1 (``port`` 0 = any free one) with a doctor and station."""
    from telecabine.hub.config import HubSettings
    from telecabine.hub.server import create_doctor, register_station, start_hub
    from telecabine.hub.state import HUB

    folder = settings.data_dir / "demo-hub"
    shutil.rmtree(folder, ignore_errors=True)  # throw-away: a fresh waiting room every run
    folder.mkdir(parents=True, mode=0o700)
    hub_settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{folder / 'hub.db'}", data_dir=folder,
        host="127.0.0.1", port=port,
    )  # fmt: skip
    running = await start_hub(hub_settings, host="127.0.0.1", port=port)
    engine = running.app[HUB].engine
    password = secrets.token_urlsafe(9)
    await create_doctor(engine, username=DEMO_USERNAME, password=password, **DEMO_DOCTOR)
    token = await register_station(engine, settings.station_id)
    return DemoHub(running, running.url, DEMO_USERNAME, password, token)


def demo_settings(settings: Settings, demo: DemoHub) -> Settings:
    """The station's settings pointed at the demo hub, with simulated devices."""
    return settings.model_copy(
        update={"hub_url": demo.url, "station_token": demo.station_token, "simulated_devices": True}
    )


def build_consultation(settings: Settings, encounters, registry, *, measurement=None, printer=None):
    """A ConsultationService fed by the registry's cameras and audio (sources started here)."""
    from telecabine.services.consultation import CallSetup, ConsultationService

    cameras = {}
    sources = []
    for role in registry.configured_roles():
        source = registry.video_source(role)
        if source is not None:
            source.start()
            cameras[role] = source.mailbox
            sources.append(source)
    microphone = registry.microphone()
    stethoscope = registry.stethoscope()
    for dev in (microphone, stethoscope):
        if dev is not None:
            dev.start()
    token = settings.station_token
    if not token:  # the sync worker keeps the operator-given token in the keyring
        from telecabine.services.sync_runtime import load_station_token

        token = load_station_token(settings)
    setup = CallSetup(
        hub_url=settings.hub_url, station_token=token or "",
        station_id=settings.station_id, cabin=settings.station_id, cameras=cameras,
        microphone=microphone, stethoscope=stethoscope, max_height=settings.call_max_height,
        relay_only=settings.ice_relay_only,
    )  # fmt: skip
    service = ConsultationService(encounters, setup, measurement=measurement, printer=printer)
    for source in sources:
        service.watch_camera(source)
    return service


@dataclass
class DemoStation:
    """Everything the demo window needs: the consultation and a consented demo encounter."""

    hub: DemoHub
    settings: Settings
    store: Any
    consultation: Any
    encounter_id: str | None
    closers: list[Any]

    async def close(self) -> None:
        """Stop devices, the store and the hub."""
        if self.consultation.call is not None:
            await self.consultation.call.close()
        for close in reversed(self.closers):
            result = close()
            if hasattr(result, "__await__"):
                await result
        await self.hub.stop()


async def prepare_demo_station(
    settings: Settings, printer=None, *, demo_encounter: bool = False
) -> DemoStation:
    """Start the demo hub, open the store, build devices and the consultation, print the banner.

    ``demo_encounter`` also creates a consented encounter ready to call (for a call without
    going through intake); the station shell leaves it False and runs the real intake.
    """
    from telecabine.devices.registry import DeviceRegistry
    from telecabine.services.measurement import build_measurement_service
    from telecabine.store import open_store

    hub = await start_demo_hub(settings)
    settings = demo_settings(settings, hub)
    store = open_store(settings)
    registry = DeviceRegistry(settings)
    measurement, ble = build_measurement_service(settings, store.encounters)
    consultation = build_consultation(
        settings, store.encounters, registry, measurement=measurement, printer=printer
    )
    encounter_id = None
    if demo_encounter:
        encounter_id = store.encounters.create(settings.station_id).id
        for state in ("identified", "consented"):  # legal steps only (state machine)
            store.encounters.set_state(encounter_id, state)
    print(hub.banner(), flush=True)
    closers = [store.close, registry.stop_all, ble.close]
    return DemoStation(hub, settings, store, consultation, encounter_id, closers)
