"""Helpers for the hub tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiohttp

from telecabine.hub.config import HubSettings
from telecabine.hub.server import RunningHub, create_doctor
from telecabine.hub.state import HUB

DOCTOR_PASSWORD = "correct-horse-battery"
ADMIN_TOKEN = "test-admin-token-0123456789"


@dataclass
class HubEnv:
    """A running hub plus ready-made credentials."""

    hub: RunningHub
    station_token: str
    station_name: str
    admin_token: str

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT."""
        return self.hub.url

    @property
    def ws_url(self) -> str:
        """WebSocket base URL."""
        return self.hub.url.replace("http", "ws", 1)

    @property
    def engine(self):
        """The hub's database engine."""
        return self.hub.app[HUB].engine

    async def doctor(self, username: str, *, admin: bool = False, name: str = "Dr Lefèvre"):
        """Create a doctor account."""
        return await create_doctor(
            self.engine, username=username, password=DOCTOR_PASSWORD, name=name,
            rpps="10000000001", specialty="Médecine générale", is_admin=admin,
        )  # fmt: skip

    async def login(self, session: aiohttp.ClientSession, username: str) -> None:
        """Sign a client session in (the cookie jar keeps the session cookie)."""
        async with session.post(
            f"{self.url}/login", json={"username": username, "password": DOCTOR_PASSWORD}
        ) as resp:
            assert resp.status == 200, await resp.text()


def client(**kwargs) -> aiohttp.ClientSession:
    """A client session whose cookie jar accepts cookies from 127.0.0.1."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kwargs)


def hub_settings(database_url: str, data_dir: Path, **extra) -> HubSettings:
    """Settings for a test hub (TURN configured so credentials are exercised)."""
    return HubSettings(
        database_url=database_url, data_dir=data_dir, host="127.0.0.1", port=0,
        stun_urls=["stun:127.0.0.1:3478"], turn_urls=["turn:127.0.0.1:3478?transport=udp"],
        turn_secret="test-turn-secret", admin_token=ADMIN_TOKEN,
        # A first back-off step longer than any test (Argon2 takes ~1 s on a loaded machine).
        **{"login_backoff_base_s": 60.0, **extra},
    )  # fmt: skip
