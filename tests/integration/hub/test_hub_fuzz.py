"""Fuzz the signaling sockets: >= 1,000 random/malformed frames, each answered or the socket
closed with a reason; the hub stays healthy and the sockets keep working afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time

import aiohttp
from hub_testlib import client

from telecabine.hub.state import HUB
from telecabine.protocol import signaling as sig
from telecabine.protocol.envelope import ProtocolError

TEMPLATES = {
    "announce": {"encounter_id": "e1", "reason": "r", "age_band": "16-39", "flagged_vitals": [],
                 "cabin": "c"},
    "cancel": {"encounter_id": "e1", "reason": "r"},
    "take": {"encounter_id": "e1"},
    "offer": {"encounter_id": "e1", "sdp": "v=0"},
    "answer": {"encounter_id": "e1", "sdp": "v=0"},
    "ice": {"encounter_id": "e1", "candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0},
    "hangup": {"encounter_id": "e1", "reason": ""},
    "ping": {},
    "queue": {"entries": "x"},
    "bogus": {},
}  # fmt: skip
WEIRD = [None, True, -1, 2**70, 1.5, "", "é" * 300, [], {}, [[[]]], "a b", "\u0000", "../.."]
# Replies that are legitimately silent: a successful cancel of one's own encounter, a hangup
# of one's own call that is already over (idempotent), or a pong/error the hub just ignores.
SILENT_OK = {"cancel", "hangup", "pong", "error"}


def fuzz_frame(rng: random.Random) -> str | bytes:
    """One random frame: mutated valid message, broken JSON, odd types, binary, or huge."""
    kind = rng.random()
    if kind < 0.05:
        return rng.randbytes(rng.randint(0, 200))
    if kind < 0.12:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(0, 80)))
    if kind < 0.14:
        return "[" * rng.randint(1_000, 60_000)  # deep nesting
    if kind < 0.16:
        return json.dumps({"v": 1, "type": "offer", "encounter_id": "e", "sdp": "x" * 70_000})
    msg_type = rng.choice(list(TEMPLATES))
    msg: dict = {"v": 1, "type": msg_type, **TEMPLATES[msg_type]}
    for _ in range(rng.randint(0, 3)):
        key = rng.choice([*msg.keys(), "extra", "v", "type"])
        action = rng.random()
        if action < 0.3:
            msg.pop(key, None)
        elif action < 0.8:
            msg[key] = rng.choice(WEIRD)
        else:
            msg[key] = "".join(rng.choice("azAZ09-_.:é") for _ in range(rng.randint(0, 80)))
    text = json.dumps(msg)
    if rng.random() < 0.1:
        text = text[: rng.randint(0, len(text))]
    return text


def expect_silent(frame: str | bytes, allowed: frozenset[str]) -> bool:
    """True if the hub may legitimately not answer this frame."""
    if isinstance(frame, bytes):
        return False
    try:
        msg = sig.parse_message(frame, allowed)
    except ProtocolError:
        return False
    return msg.type in SILENT_OK


def is_ping(frame: str | bytes) -> bool:
    """True if the frame is a valid ping (answered by its own pong)."""
    try:
        return isinstance(frame, str) and sig.parse_message(frame).type == "ping"
    except ProtocolError:
        return False


async def hammer(ws_factory, allowed, rng, count: int) -> dict[str, int]:
    stats = {"answered": 0, "closed": 0, "silent_ok": 0}
    ws = await ws_factory()
    for _ in range(count):
        frame = fuzz_frame(rng)
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        await ws.send_str('{"v":1,"type":"ping"}')
        replies = []
        pongs_due = 2 if is_ping(frame) else 1
        while True:
            msg = await asyncio.wait_for(ws.receive(), 5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise AssertionError(f"socket closed without cause: {msg}")
            body = json.loads(msg.data)
            if body["type"] == "pong":
                pongs_due -= 1
                if pongs_due == 0:
                    break
                replies.append(body)
                continue
            replies.append(body)
        if replies:
            stats["answered"] += 1
            assert all(r["v"] == 1 and r["type"] for r in replies)
        else:
            assert expect_silent(frame, allowed), frame[:200]
            stats["silent_ok"] += 1
    # A frame over the 1 MiB transport limit closes the socket with a reason (1009).
    await ws.send_str("x" * (1024 * 1024 + 10))
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    stats["closed"] += 1
    return stats


async def test_fuzz_signaling_sockets(hub_env):
    rng = random.Random(20261123)
    settings = hub_env.hub.app[HUB].settings
    settings.ws_rate_per_s, settings.ws_burst = 1e6, 10**6  # the limiter has its own test
    await hub_env.doctor("dr.fuzz")
    started = time.perf_counter()
    async with client() as s:
        await hub_env.login(s, "dr.fuzz")

        async def station():
            return await s.ws_connect(
                hub_env.ws_url + "/ws/station",
                headers={"Authorization": f"Bearer {hub_env.station_token}"},
            )

        async def doctor():
            ws = await s.ws_connect(hub_env.ws_url + "/ws/doctor", origin=hub_env.url)
            assert (await ws.receive_json())["type"] == "queue"
            return ws

        st = await hammer(station, sig.STATION_TO_HUB, rng, 600)
        dr = await hammer(doctor, sig.DOCTOR_TO_HUB, rng, 600)
        total = sum(st.values()) + sum(dr.values())
        assert total >= 1_000
        assert st["answered"] > 500 and dr["answered"] > 500
        # Still healthy, and a fresh socket still works end to end.
        async with s.get(hub_env.url + "/healthz") as resp:
            assert resp.status == 200
        ws = await station()
        await ws.send_json({"v": 1, "type": "announce", "encounter_id": "after-fuzz",
                            "reason": "r", "age_band": "80+", "cabin": "c"})  # fmt: skip
        assert (await ws.receive_json(timeout=5))["type"] == "queued"
        await ws.close()
    assert time.perf_counter() - started < 60


async def test_flooding_socket_is_limited_then_closed(hub_env):
    async with client() as s:
        ws = await s.ws_connect(
            hub_env.ws_url + "/ws/station",
            headers={"Authorization": f"Bearer {hub_env.station_token}"},
        )
        for _ in range(400):  # default budget: 50/s, bursts of 200
            await ws.send_str('{"v":1,"type":"ping"}')
        replies = []
        with contextlib.suppress(TimeoutError):
            while True:
                replies.append(await ws.receive_json(timeout=0.5))
        pongs = sum(r["type"] == "pong" for r in replies)
        errors = [r for r in replies if r["type"] == "error"]
        assert 200 <= pongs < 260, pongs
        assert [e["code"] for e in errors] == ["rate_limited"]
        await asyncio.sleep(1.0)
        # Slowed down: served again.
        await ws.send_str('{"v":1,"type":"ping"}')
        assert (await ws.receive_json(timeout=5))["type"] == "pong"
        # A sustained flood gets the socket closed with a policy-violation reason.
        for _ in range(2_000):
            if ws.closed:
                break
            await ws.send_str('{"v":1,"type":"ping"}')
        while True:
            msg = await asyncio.wait_for(ws.receive(), 5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
        assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
