"""Hub application factory and embedding helpers (tests, ``telecabine hub``, ``demo``).

``create_app(settings)`` builds the aiohttp application; the database is migrated on start-up.
``start_hub(settings)`` runs it on host/port and returns the bound port and a stop coroutine.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import WSCloseCode, web

from telecabine.hub import (
    accounts,
    alerts,
    appointments,
    billing_api,
    billing_batch,
    documents,
    expertise,
    fleet_api,
    hardening,
    organisations,
    pages,
    presence,
    signaling_ws,
    waiting_room,
)
from telecabine.hub.config import HubSettings
from telecabine.hub.db import create_engine, migrate
from telecabine.hub.guard import ConnectionGuard, GuardedSite, install_log_limits
from telecabine.hub.security import (
    PRINCIPAL,
    PUBLIC,
    STATION,
    auth_middleware,
    headers_middleware,
    requires,
    style_hash,
)
from telecabine.hub.state import HUB, HubState
from telecabine.protocol.billing import BATCH_PATH
from telecabine.protocol.heartbeat import HEARTBEAT_PATH, MY_ACTIVITY_PATH, TLM_ALLOWANCE_PATH

create_doctor = accounts.create_doctor
register_station = accounts.register_station
AccountError = accounts.AccountError

__all__ = [
    "AccountError",
    "RunningHub",
    "create_app",
    "create_doctor",
    "register_station",
    "start_hub",
]


@requires(PUBLIC)
async def healthz(request: web.Request) -> web.Response:
    """Liveness and database check (the only route without authentication)."""
    from sqlalchemy import text

    async with request.app[HUB].engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return web.json_response({"status": "ok"})


@requires(STATION)
async def station_whoami(request: web.Request) -> web.Response:
    """``GET /api/v1/station/whoami``: the station this bearer token belongs to (enrolment
    check: a wrong token gets the usual 401, a right one its registered name)."""
    station = request[PRINCIPAL].station
    return web.json_response({"station_id": station.name})


async def _on_startup(app: web.Application) -> None:
    hub = app[HUB]
    await migrate(hub.engine)
    url = hub.settings.resolved_database_url()
    use_bus = hub.settings.bus if hub.settings.bus is not None else url.startswith("postgresql")
    if use_bus:
        from functools import partial

        from telecabine.hub.bus import PgBus

        hub.bus = PgBus(hub.engine, url, partial(signaling_ws.deliver_local, hub))
        await hub.bus.start()
    if hub.settings.signaling and hub.bus is None:
        # After a restart nobody is connected: queued entries would be ghosts in the console.
        # Stations re-announce on reconnect and keep their original place (waiting_since).
        await waiting_room.drop_all_queued(hub.engine, datetime.now(UTC))
    elif hub.settings.signaling:
        # Other instances may hold live stations: drop only entries nobody answers for.
        await signaling_ws.drop_orphans(hub)
    # Fleet presence and alerts (issue 20.1): socket presence goes to the DB every tick.
    monitor = alerts.Monitor(hub.engine, hub.settings, lambda: list(hub.connections.stations))
    app[alerts.MONITOR] = monitor
    monitor.start()


async def _on_shutdown(app: web.Application) -> None:
    if alerts.MONITOR in app:
        await app[alerts.MONITOR].stop()
    for task in list(app[HUB].tasks):
        task.cancel()
    for ws in app[HUB].connections.all_sockets():
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")


async def _on_cleanup(app: web.Application) -> None:
    if app[HUB].bus is not None:
        await app[HUB].bus.stop()
    await app[HUB].engine.dispose()


def create_app(settings: HubSettings | None = None) -> web.Application:
    """Build the hub application (routes, middlewares, state); nothing runs until started."""
    settings = settings or HubSettings()
    state = HubState(
        settings=settings,
        engine=create_engine(settings.resolved_database_url()),
        inline_style_hashes=[style_hash(pages.signin_css())],
    )
    guard = ConnectionGuard(
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
        max_per_ip=settings.max_connections_per_ip,
        max_total=settings.max_connections,
    )
    app = web.Application(
        middlewares=[
            guard.middleware(),
            hardening.errors_middleware,
            headers_middleware,
            auth_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[HUB] = state
    app[GUARD] = guard
    hardening.install(app, settings)
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/api/v1/station/whoami", station_whoami)
    r.add_get("/", pages.index)
    r.add_post("/login", pages.login)
    r.add_post("/logout", pages.logout)
    r.add_get("/api/v1/me", pages.me)
    r.add_get("/static/{name}", pages.static_file)
    r.add_get("/api/v1/ice-servers", signaling_ws.ice_servers_route)
    r.add_post("/api/v1/billing-records", billing_api.ingest)
    r.add_post(BATCH_PATH, billing_batch.ingest_batch)
    r.add_get("/api/v1/billing-records", billing_api.list_records)
    r.add_get("/api/v1/billing-records.csv", billing_api.export_csv)
    r.add_post("/api/v1/documents/render", documents.render)
    r.add_post(HEARTBEAT_PATH, presence.heartbeat)
    r.add_get(TLM_ALLOWANCE_PATH, organisations.tlm_allowance_route)
    r.add_get(MY_ACTIVITY_PATH, organisations.station_activity_route)
    fleet_api.add_routes(r)
    r.add_get("/ws/station", signaling_ws.station_ws)
    r.add_get("/ws/doctor", signaling_ws.doctor_ws)
    expertise.setup(app)
    app.on_startup.append(_on_startup)
    appointments.setup(app)  # after _on_startup: its reminder task needs the migrated DB
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    return app


GUARD: web.AppKey[ConnectionGuard] = web.AppKey("telecabine_guard", ConnectionGuard)


@dataclass
class RunningHub:
    """A hub serving on a port; ``await stop()`` shuts it down."""

    app: web.Application
    port: int
    url: str
    stop: Callable[[], Awaitable[None]]


async def start_hub(
    settings: HubSettings | None = None, host: str | None = None, port: int | None = None
) -> RunningHub:
    """Run the hub on host/port (port 0 = a free one) in the current loop."""
    settings = settings or HubSettings()
    host = host or settings.host
    port = settings.port if port is None else port
    install_log_limits()
    app = create_app(settings)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=2.0, keepalive_timeout=settings.keepalive_timeout_s
    )
    await runner.setup()
    ssl_ctx = None
    if settings.tls:
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(str(settings.cert_file), str(settings.key_file))
    site = GuardedSite(runner, host, port, ssl_context=ssl_ctx, guard=app[GUARD])
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scheme = "https" if ssl_ctx else "http"
    return RunningHub(app=app, port=bound, url=f"{scheme}://{host}:{bound}", stop=runner.cleanup)
