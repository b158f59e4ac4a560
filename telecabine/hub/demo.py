"""An in-process hub with a demo doctor and a registered station (``telecabine demo``, tests)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telecabine.hub.accounts import create_doctor, register_station
from telecabine.hub.config import HubSettings
from telecabine.hub.server import RunningHub, start_hub
from telecabine.hub.state import HUB


@dataclass
class DemoHub:
    """A running demo hub and the credentials to use it."""

    hub: RunningHub
    station_name: str
    station_token: str
    doctor_username: str
    doctor_password: str

    @property
    def url(self) -> str:
        """Base URL of the hub (the doctor console is at ``/``)."""
        return self.hub.url

    async def stop(self) -> None:
        """Shut the hub down."""
        await self.hub.stop()


async def start_demo_hub(
    settings: HubSettings, station_name: str = "cabine-demo", port: int | None = None
) -> DemoHub:
    """Start a hub on ``settings`` and create a demo doctor (random password) and a station."""
    hub = await start_hub(settings, port=port)
    engine = hub.app[HUB].engine
    password = secrets.token_urlsafe(12)
    username = f"demo-{secrets.token_hex(3)}"
    await create_doctor(
        engine,
        username=username,
        password=password,
        name="Dr Démo",
        rpps="10000000001",
        specialty="Médecine générale",
        is_admin=True,
    )
    token = await register_station(engine, station_name, replace=True)
    return DemoHub(hub, station_name, token, username, password)
