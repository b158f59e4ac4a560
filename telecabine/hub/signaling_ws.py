"""Signaling WebSockets: ``/ws/station`` (Bearer token) and ``/ws/doctor`` (session + Origin).

Each text frame is parsed with :mod:`telecabine.protocol.signaling`; anything malformed,
unknown, oversized or out of place gets an ``error`` reply and the socket stays open. Frames
over 1 MiB make aiohttp close the socket with code 1009 (message too big) and a reason.
offer/answer/ice/hangup are relayed only between the station and the doctor of that encounter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from datetime import UTC, datetime

from aiohttp import WSCloseCode, WSMsgType, web

from telecabine.hub import throttle
from telecabine.hub import waiting_room as room
from telecabine.hub.db import stations
from telecabine.hub.hardening import (
    SOCKETS,
    SessionWatch,
    session_credential,
    station_credential,
    too_many_sockets,
)
from telecabine.hub.security import (
    DOCTOR,
    PRINCIPAL,
    SESSION_COOKIE,
    STATION,
    json_error,
    origin_allowed,
    requires,
)
from telecabine.hub.state import HUB, HubState
from telecabine.hub.turn import ice_servers, transport_policy
from telecabine.protocol import signaling as sig
from telecabine.protocol.envelope import ERR_BAD_JSON, ProtocolError

log = logging.getLogger(__name__)
WS_MAX_FRAME = 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


SEND_TIMEOUT_S = 5.0


async def _send(ws: web.WebSocketResponse, msg) -> None:
    if not ws.closed:
        # The peer may vanish mid-send (its own handler cleans up), and a stalled peer must not
        # hold up a broadcast to everyone else: the heartbeat closes it soon after.
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            await asyncio.wait_for(ws.send_str(sig.encode(msg)), SEND_TIMEOUT_S)


async def _send_all(sockets, msg) -> None:
    for ws in list(sockets or ()):
        await _send(ws, msg)


def _local(hub: HubState, kind: str, principal_id: int) -> list[web.WebSocketResponse]:
    c = hub.connections
    if kind == "station":
        return list(c.stations.get(principal_id, ()))
    if kind == "doctor":
        return list(c.doctors.get(principal_id, ()))
    if kind == "doctors":
        return [ws for group in list(c.doctors.values()) for ws in group]
    return []


async def deliver(hub: HubState, kind: str, principal_id: int, msg) -> None:
    """Send to a station/doctor ("station", "doctor") or every doctor ("doctors", 0),
    on this instance and, through the bus, on the others."""
    await _send_all(_local(hub, kind, principal_id), msg)
    if hub.bus is not None:
        await hub.bus.publish(kind, principal_id, sig.encode(msg))


async def deliver_local(hub: HubState, kind: str, principal_id: int, text: str) -> None:
    """Bus callback: hand a message published by another instance to our own sockets."""
    if kind == "probe":  # another instance asks whether we hold a socket of this principal
        ask = json.loads(text)
        if _local(hub, ask["kind"], principal_id) and hub.bus is not None:
            await hub.bus.publish("probe_ack", 0, ask["req"])
        return
    if kind == "probe_ack":
        waiter = hub.probes.get(text)
        if waiter is not None and not waiter.done():
            waiter.set_result(True)
        return
    for ws in _local(hub, kind, principal_id):
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
                await asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT_S)


async def _connected_anywhere(hub: HubState, kind: str, principal_id: int) -> bool:
    if _local(hub, kind, principal_id):
        return True
    if hub.bus is None:
        return False
    req = secrets.token_hex(8)
    waiter = asyncio.get_running_loop().create_future()
    hub.probes[req] = waiter
    try:
        await hub.bus.publish("probe", principal_id, json.dumps({"kind": kind, "req": req}))
        await asyncio.wait_for(waiter, 1.0)
        return True
    except TimeoutError:
        return False
    finally:
        hub.probes.pop(req, None)


async def broadcast_room(hub: HubState) -> None:
    """Push the queue to every doctor and the current position to every waiting station."""
    entries = await room.queue(hub.engine, _now())
    await deliver(hub, "doctors", 0, sig.Queue(entries=entries))
    current = await room.positions(hub.engine)
    for gone in set(hub.positions_sent) - set(current):
        del hub.positions_sent[gone]
    for encounter_id, (station_id, pos) in current.items():
        if hub.positions_sent.get(encounter_id) == pos:
            continue
        hub.positions_sent[encounter_id] = pos
        await deliver(
            hub, "station", station_id, sig.Position(encounter_id=encounter_id, position=pos)
        )


@requires(STATION, DOCTOR)
async def ice_servers_route(request: web.Request) -> web.Response:
    """``GET /api/v1/ice-servers``: fresh STUN/TURN entries for the caller."""
    principal = request[PRINCIPAL]
    user = (
        f"station-{principal.station.name}"
        if principal.station
        else f"doctor-{principal.doctor.id}"
    )
    servers = ice_servers(request.app[HUB].settings, user, time.time())
    return web.json_response({"ice_servers": [s.model_dump(exclude_none=True) for s in servers]})


class TokenBucket:
    """Per-socket message budget: ``rate`` per second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens, self._at = burst, clock()

    def take(self) -> bool:
        """Spend one token; False when the budget is exhausted."""
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


RATE_LIMITED = "Trop de messages, ralentissez / too many messages, slow down"
ANNOUNCE_LIMITED = "Trop d'annonces cette minute / too many announces this minute"


async def _receive_loop(hub: HubState, ws: web.WebSocketResponse, allowed, handle) -> None:
    bucket = TokenBucket(hub.settings.ws_rate_per_s, hub.settings.ws_burst)
    window_start, refused = 0.0, 0
    async for frame in ws:
        if frame.type in (WSMsgType.TEXT, WSMsgType.BINARY) and not bucket.take():
            # A runaway peer (e.g. a re-announce loop) must not hammer the database and every
            # doctor's console: refuse (one error per second), close if it keeps flooding.
            now = time.monotonic()
            if now - window_start > 1.0:
                window_start, refused = now, 0
                await _send(ws, sig.Error(code="rate_limited", message=RATE_LIMITED))
            refused += 1
            if refused > 5 * hub.settings.ws_burst:
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"rate limit")
                break
            continue
        if frame.type == WSMsgType.TEXT:
            raw = frame.data
        elif frame.type == WSMsgType.BINARY:
            await _send(ws, sig.error_from(ProtocolError(ERR_BAD_JSON)))
            continue
        else:
            break
        try:
            msg = sig.parse_message(raw, allowed)
        except ProtocolError as exc:
            await _send(ws, sig.error_from(exc))
            continue
        if isinstance(msg, sig.Ping):
            await _send(ws, sig.Pong())
            continue
        if isinstance(msg, sig.Pong | sig.Error):
            continue
        try:
            await handle(msg)
        except room.RoomError as exc:
            await _send(
                ws,
                sig.Error(
                    code=exc.code,
                    message=exc.message,
                    ref_type=msg.type,
                    encounter_id=getattr(msg, "encounter_id", None),
                ),
            )
        except Exception:  # never let one message kill the socket or the hub
            log.exception("signaling handler failed for a %s message", msg.type)
            await _send(ws, sig.Error(code="internal", message="Erreur interne / internal error"))


async def _relay(hub: HubState, msg, *, from_station: int | None, from_doctor: int | None):
    ref = await room.get(hub.engine, msg.encounter_id)
    if (
        isinstance(msg, sig.Hangup)
        and ref is not None
        and ref.status in (room.ENDED, room.CANCELLED)
        and (ref.station_id == from_station or (from_doctor and ref.doctor_id == from_doctor))
    ):
        return  # hangup is idempotent: the call is already over (e.g. cancel then hangup)
    if (
        ref is None
        or ref.status != room.TAKEN
        or (from_station is not None and ref.station_id != from_station)
        or (from_doctor is not None and ref.doctor_id != from_doctor)
    ):
        raise room.RoomError("not_in_room", "Pas dans cette consultation / not in this encounter")
    if isinstance(msg, sig.Hangup):
        await room.close(hub.engine, msg.encounter_id, room.ENDED, _now())
    if from_station is not None:
        await deliver(hub, "doctor", ref.doctor_id or -1, msg)
    else:
        await deliver(hub, "station", ref.station_id, msg)


@requires(STATION)
async def station_ws(request: web.Request) -> web.StreamResponse:
    """The station's signaling socket."""
    hub = request.app[HUB]
    station = request[PRINCIPAL].station
    token = request.headers.get("Authorization", "")[7:].strip()
    if (
        request.app[SOCKETS].count(station_credential(token))
        >= hub.settings.max_sockets_per_station
    ):
        return too_many_sockets()
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=WS_MAX_FRAME)
    await ws.prepare(request)
    hub.connections.add(hub.connections.stations, station.id, ws)
    watch = SessionWatch(request, ws, "station", token)
    watch.start()

    async def handle(msg) -> None:
        if isinstance(msg, sig.Announce):
            if not await throttle.within_rate(
                hub.engine, f"announce:{station.id}", hub.settings.announces_per_minute, 60.0
            ):
                raise room.RoomError("rate_limited", ANNOUNCE_LIMITED)
            async with hub.room_lock:
                status = await room.announce(hub.engine, station.id, msg, _now())
            log.info("announce %s from station %s -> %s", msg.encounter_id, station.name, status)
            if status == room.TAKEN:  # reconnect after the doctor joined: tell it again
                ref = await room.get(hub.engine, msg.encounter_id)
                await _send(
                    ws, await _doctor_joined(hub, msg.encounter_id, ref.doctor_id, station.name)
                )
                return
            pos = (await room.positions(hub.engine)).get(msg.encounter_id, (0, 1))[1]
            hub.positions_sent[msg.encounter_id] = pos
            await _send(ws, sig.Queued(encounter_id=msg.encounter_id, position=pos))
            await broadcast_room(hub)
        elif isinstance(msg, sig.Cancel):
            ref = await room.get(hub.engine, msg.encounter_id)
            if ref is None or ref.station_id != station.id:
                raise room.RoomError("not_found", "Consultation inconnue / unknown encounter")
            if await room.close(hub.engine, msg.encounter_id, room.CANCELLED, _now()):
                if ref.doctor_id is not None:
                    await deliver(
                        hub,
                        "doctor",
                        ref.doctor_id,
                        sig.Cancelled(
                            encounter_id=msg.encounter_id, by="station", reason=msg.reason
                        ),
                    )
                await broadcast_room(hub)
        else:
            await _relay(hub, msg, from_station=station.id, from_doctor=None)

    try:
        await _receive_loop(hub, ws, sig.STATION_TO_HUB, watch.guard(handle))
    finally:
        await watch.stop()
        hub.connections.remove(hub.connections.stations, station.id, ws)
        if station.id not in hub.connections.stations:
            if await room.drop_station(hub.engine, station.id, _now()):
                await broadcast_room(hub)
            hub.spawn(_end_calls_if_gone(hub, station_id=station.id))
    return ws


async def _end_calls_if_gone(
    hub: HubState, *, station_id: int | None = None, doctor_id: int | None = None
) -> None:
    """After the grace delay, end the calls of a station/doctor whose socket has not returned.

    Media is peer-to-peer and can outlive a signaling blip, hence the delay; after it, the other
    side is told ``cancelled`` by ``hub`` so nobody waits for a peer that is gone.
    """
    await asyncio.sleep(hub.settings.disconnect_grace_s)
    kind, principal = ("station", station_id) if station_id is not None else ("doctor", doctor_id)
    if await _connected_anywhere(hub, kind, principal or -1):
        return
    for ref in await room.taken(hub.engine, station_id=station_id, doctor_id=doctor_id):
        if not await room.close(hub.engine, ref.encounter_id, room.CANCELLED, _now()):
            continue
        gone = "station" if station_id is not None else "doctor"
        notice = sig.Cancelled(
            encounter_id=ref.encounter_id, by="hub", reason=f"{gone}_disconnected"
        )
        if station_id is not None:
            await deliver(hub, "doctor", ref.doctor_id or -1, notice)
        else:
            await deliver(hub, "station", ref.station_id, notice)


async def _doctor_joined(hub: HubState, encounter_id: str, doctor_id: int, station_name: str):
    name, specialty = await room.doctor_public(hub.engine, doctor_id)
    return sig.DoctorJoined(
        encounter_id=encounter_id,
        doctor=sig.DoctorPublic(name=name, specialty=specialty),
        ice_servers=ice_servers(hub.settings, f"station-{station_name}", time.time()),
        ice_transport_policy=transport_policy(hub.settings),
    )


@requires(DOCTOR)
async def doctor_ws(request: web.Request) -> web.StreamResponse:
    """The doctor console's signaling socket (Origin must be the hub's own)."""
    if not origin_allowed(request):
        return json_error(403, "bad_origin", "Origine refusée / origin refused")
    hub = request.app[HUB]
    doctor = request[PRINCIPAL].doctor
    token = request.cookies.get(SESSION_COOKIE, "")
    if (
        request.app[SOCKETS].count(session_credential(token))
        >= hub.settings.max_sockets_per_session
    ):
        return too_many_sockets()
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=WS_MAX_FRAME)
    await ws.prepare(request)
    hub.connections.add(hub.connections.doctors, doctor.id, ws)
    watch = SessionWatch(request, ws, "doctor", token)
    watch.start()
    await _send(ws, sig.Queue(entries=await room.queue(hub.engine, _now())))
    # A console that reconnects (network blip, page reload) is reminded of its open call, so it
    # can show the call view again and answer the station's next offer (ICE restart).
    for ref in await room.taken(hub.engine, doctor_id=doctor.id):
        servers = ice_servers(hub.settings, f"doctor-{doctor.id}", time.time())
        await _send(
            ws,
            sig.Taken(encounter_id=ref.encounter_id, ice_servers=servers, cabin=ref.cabin,
                      age_band=ref.age_band, reason=ref.reason,
                      ice_transport_policy=transport_policy(hub.settings)),
        )  # fmt: skip

    async def handle(msg) -> None:
        if isinstance(msg, sig.Take):
            station_id = await room.take(hub.engine, msg.encounter_id, doctor.id, _now())
            log.info("take %s by doctor #%d", msg.encounter_id, doctor.id)
            servers = ice_servers(hub.settings, f"doctor-{doctor.id}", time.time())
            await deliver(
                hub,
                "doctor",
                doctor.id,
                sig.Taken(
                    encounter_id=msg.encounter_id,
                    ice_servers=servers,
                    ice_transport_policy=transport_policy(hub.settings),
                ),
            )
            async with hub.engine.connect() as conn:
                name = (
                    (await conn.execute(stations.select().where(stations.c.id == station_id)))
                    .one()
                    .name
                )
            await deliver(
                hub,
                "station",
                station_id,
                await _doctor_joined(hub, msg.encounter_id, doctor.id, name),
            )
            await broadcast_room(hub)
        elif isinstance(msg, sig.Cancel):
            ref = await room.get(hub.engine, msg.encounter_id)
            if ref is None or ref.doctor_id != doctor.id:
                raise room.RoomError("not_in_room", "Pas dans cette consultation / not yours")
            if await room.close(hub.engine, msg.encounter_id, room.CANCELLED, _now()):
                await deliver(
                    hub,
                    "station",
                    ref.station_id,
                    sig.Cancelled(encounter_id=msg.encounter_id, by="doctor", reason=msg.reason),
                )
                await broadcast_room(hub)
        else:
            await _relay(hub, msg, from_station=None, from_doctor=doctor.id)

    try:
        await _receive_loop(hub, ws, sig.DOCTOR_TO_HUB, watch.guard(handle))
    finally:
        await watch.stop()
        hub.connections.remove(hub.connections.doctors, doctor.id, ws)
        if doctor.id not in hub.connections.doctors:
            hub.spawn(_end_calls_if_gone(hub, doctor_id=doctor.id))
    return ws


async def drop_orphans(hub: HubState) -> None:
    """At start-up with a bus: drop queued entries whose station no instance holds."""
    positions = await room.positions(hub.engine)
    station_ids = sorted({sid for sid, _ in positions.values()})
    present = await asyncio.gather(*(_connected_anywhere(hub, "station", s) for s in station_ids))
    dropped = False
    for sid, here in zip(station_ids, present, strict=True):
        if not here:
            dropped |= bool(await room.drop_station(hub.engine, sid, _now()))
    if dropped:
        await broadcast_room(hub)
