"""Billing sync harness: real hub on 127.0.0.1 (with a 5xx switch), a fault-injecting TCP proxy,
a real station store, and helpers to close encounters and compare station and hub.

Used by ``tests/integration/test_sync_faults.py``, ``tests/integration/sync/`` and ``bench/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from telecabine.hub.config import HubSettings
from telecabine.hub.db import billing_records
from telecabine.hub.server import create_app, register_station
from telecabine.hub.state import HUB
from telecabine.protocol.billing import BATCH_PATH

STATION = "cabine-test"


def billing_payload(station_id: str, encounter_id: str, record_uuid: str, i: int = 0) -> dict:
    """A valid ``BillingRecord`` JSON body (pharmacist TLM + doctor TCG, 2026 tariffs)."""
    now = datetime.now(UTC)
    return {
        "record_uuid": record_uuid,
        "station_id": station_id,
        "encounter_id": encounter_id,
        "created_at": now.isoformat(),
        "act_date": now.date().isoformat(),
        "patient": {
            "birth_name": "MARTIN",
            "first_names": f"Jeanne Marie {i}",
            "nir": None,
            "birth_date": "1948-05-12",
            "rang_gemellaire": None,
        },
        "accompanying": {
            "role": "pharmacist",
            "staff_name": "Claire Dubois",
            "rpps": "10000000002",
            "am_number": None,
            "act_code": "TLM",
            "amount": "15.00",
        },
        "doctor": {
            "name": "Dr Paul Lefèvre",
            "rpps": "10000000001",
            "specialty": "Médecine générale",
            "act_code": "TCG",
            "amount": "30.00",
        },
        "coverage": {
            "amo": "21.00",
            "amc": "7.00",
            "patient": "0.00",
            "participation_forfaitaire": "2.00",
        },
        "exoneration": None,
        "in_parcours": True,
        "currency": "EUR",
    }


def close_encounters(store, station_id: str, n: int, start: int = 0) -> list[str]:
    """Create and close ``n`` encounters with billing (record + outbox row in one transaction)."""
    uuids = []
    for i in range(start, start + n):
        enc = store.encounters.create(station_id)
        ru = str(uuid.uuid4())
        store.encounters.close_with_billing(enc.id, billing_payload(station_id, enc.id, ru, i), ru)
        uuids.append(ru)
    return uuids


@dataclass
class HubFaults:
    """Switches of the test-only middleware: 503 before the handler, 500 after it stored."""

    # ok | 503_before | 500_after | no_batch (an older hub: batch path 404) | batch_422
    mode: str = "ok"
    hits: Counter = field(default_factory=Counter)
    max_batch: int | None = None  # a hub with smaller batch limits: 413 above this count


def _fault_middleware(faults: HubFaults):
    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path == BATCH_PATH and request.method == "POST":
            if faults.mode == "no_batch":
                faults.hits["no_batch"] += 1
                return web.json_response({"error": {"code": "not_found"}}, status=404)
            if faults.mode == "batch_422":
                faults.hits["batch_422"] += 1
                return web.json_response({"error": {"code": "invalid_batch"}}, status=422)
            if faults.max_batch is not None:
                size = len((await request.json())["records"])
                faults.hits["batch_sizes"] += 1
                if size > faults.max_batch:
                    faults.hits["413"] += 1
                    return web.json_response({"error": {"code": "batch_too_large"}}, status=413)
        if request.path.startswith("/api/v1/billing-records") and request.method == "POST":
            if faults.mode == "503_before":
                faults.hits["503_before"] += 1
                return web.json_response({"code": "unavailable"}, status=503)
            if faults.mode == "500_after":
                await handler(request)  # the record is stored, the answer is lost
                faults.hits["500_after"] += 1
                return web.json_response({"code": "boom"}, status=500)
        return await handler(request)

    return middleware


class TestHub:
    """The real hub app on a fixed port, restartable on the same SQLite file."""

    __test__ = False

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.settings = HubSettings(
            database_url=database_url or f"sqlite+aiosqlite:///{data_dir / 'hub.db'}",
            data_dir=data_dir,
            host="127.0.0.1",
            port=0,
            admin_token="test-admin-token-0123456789",
        )
        self.faults = HubFaults()
        self.port = 0
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Serve (on the same port as before after a restart)."""
        app = create_app(self.settings)
        app.middlewares.append(_fault_middleware(self.faults))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.app, self._runner = app, runner

    async def stop(self) -> None:
        """Stop serving (connections are dropped, the DB file stays)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def register(self, station_id: str = STATION) -> str:
        """Register the station, return its token."""
        return await register_station(self.app[HUB].engine, station_id)

    async def keys(self) -> Counter:
        """How many rows the hub holds per Idempotency-Key (a value > 1 is a duplicate)."""
        async with self.app[HUB].engine.connect() as conn:
            rows = (await conn.execute(select(billing_records.c.idempotency_key))).all()
        return Counter(r[0] for r in rows)

    async def encounters(self) -> Counter:
        """How many rows the hub holds per encounter (a second uuid for one visit = duplicate)."""
        async with self.app[HUB].engine.connect() as conn:
            rows = (await conn.execute(select(billing_records.c.encounter_id))).all()
        return Counter(r[0] for r in rows)


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """Loopback TCP proxy in front of the hub that can reset, delay or black-hole traffic.

    Modes are read per chunk (keep-alive connections outlive a mode change):
    ``pass``; ``reset`` (RST when the client sends); ``reset_after`` (request reaches the hub,
    the client gets a RST instead of the answer); ``delay`` (answers held ``delay_s``);
    ``blackhole`` (requests swallowed, nothing answered).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.delay_s = 0.0
        self.requests = 0
        self.request_seen = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """Base URL the station uses."""
        return f"http://127.0.0.1:{self.port}"

    def drop_all(self) -> None:
        """Reset every open connection (a network cut)."""
        for w in list(self._conns):
            _rst(w)

    async def stop(self) -> None:
        """Close the listener and every connection."""
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter):
        self._conns.add(cwriter)
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _rst(cwriter)  # hub down: connection refused, as the station would see it
            self._conns.discard(cwriter)
            return
        up = asyncio.create_task(self._client_to_hub(creader, cwriter, uwriter))
        down = asyncio.create_task(self._hub_to_client(ureader, cwriter))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (up, down):
                t.cancel()
            uwriter.transport.abort()
            cwriter.transport.abort()
            self._conns.discard(cwriter)

    async def _client_to_hub(self, creader, cwriter, uwriter) -> None:
        while data := await creader.read(65536):
            self.requests += 1
            self.request_seen.set()
            if self.mode == "reset":
                _rst(cwriter)
                return
            if self.mode == "blackhole":
                continue
            uwriter.write(data)
            await uwriter.drain()

    async def _hub_to_client(self, ureader, cwriter) -> None:
        while data := await ureader.read(65536):
            if self.mode == "reset_after":
                _rst(cwriter)
                return
            if self.mode == "blackhole":
                continue
            if self.mode == "delay" and self.delay_s:
                await asyncio.sleep(self.delay_s)
            cwriter.write(data)
            await cwriter.drain()
