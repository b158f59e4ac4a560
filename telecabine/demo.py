"""Demo mode: an in-process hub with a demo doctor, so one person can play both sides.

``telecabine demo`` starts the hub on 127.0.0.1 (fresh throw-away database in
``<data_dir>/demo-hub``), creates a doctor account with a random password, registers this
station and prints the console URL and credentials. The station itself is the one
``telecabine run`` builds (``telecabine/station.py``), with settings selecting simulated
devices; it talks to this hub like it would to the operator's.
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
