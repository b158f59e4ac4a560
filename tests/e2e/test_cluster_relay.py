"""The deployment in ``deploy/`` on loopback: nginx (TLS) + 3 hub instances + PostgreSQL +
coturn, started once for this module by ``deploy.cluster.Cluster``.

A relay-only call goes through it (the hub's ``force_relay``): Chromium as the doctor via
nginx, an aiortc station via nginx, media through coturn only (both sides gather relay
candidates only; the pair in use is relay on both ends). An expired TURN credential is refused
by coturn; the hub hands out a fresh one that coturn accepts.
Under ``CI=true`` a missing nginx/coturn/PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from call_testlib import (
    ARGS,
    CHROMIUM,
    INBOUND_JS,
    PASSWORD,
    PatternCamera,
    require_chromium,
    until,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from deploy.cluster import Cluster, missing_binaries
from telecabine.hub.turn import turn_credentials
from telecabine.session.call import CallSession
from telecabine.session.signaling_client import HubSignaling

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(240)]

# The candidate pair Chromium uses, and the types of its two ends.
PAIR_JS = """async () => {
  const call = window.__telecabineCall;
  if (!call || !call.state.pc) return null;
  const stats = await call.state.pc.getStats();
  const byId = new Map(); stats.forEach((s) => byId.set(s.id, s));
  let pair = null;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId)
    pair = byId.get(s.selectedCandidatePairId); });
  if (!pair || pair.state !== 'succeeded') return null;
  const local = byId.get(pair.localCandidateId), remote = byId.get(pair.remoteCandidateId);
  return { local: local.candidateType, remote: remote.candidateType,
           policy: call.state.pc.getConfiguration().iceTransportPolicy };
}"""


@pytest.fixture(scope="module")
def cluster():
    missing = missing_binaries()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"missing under CI: {' '.join(missing)} (scripts/bootstrap.sh)")
        pytest.skip(f"not installed: {' '.join(missing)}")
    with Cluster(hubs=3, hub_env={"TELECABINE_HUB_FORCE_RELAY": "true"}) as c:
        c.add_doctor("dr.relay", PASSWORD, name="Dr Relais")
        c.token = c.add_station("cabine-relay")
        yield c


async def test_relay_only_call_through_nginx_and_coturn(cluster):
    require_chromium()
    from playwright.async_api import async_playwright

    c = cluster
    cams = {"room": PatternCamera("room")}
    cams["room"].start()
    signaling: HubSignaling | None = None
    call: CallSession | None = None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = await browser.new_context(ignore_https_errors=True)
            page = await ctx.new_page()
            await page.goto(c.url + "/")
            await page.fill("#username", "dr.relay")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("body[data-ready='1']", timeout=20_000)

            holder: dict = {}

            async def on_signal(msg):
                await holder["call"].on_signal(msg)

            signaling = HubSignaling(c.url, c.token, on_signal, ssl_context=c.ssl_context())
            call = holder["call"] = CallSession(
                signaling, "cabine-relay", {r: cam.mailbox for r, cam in cams.items()},
                play_audio=False,
            )  # fmt: skip
            await signaling.connect()
            await call.announce("enc-relay-1", "Toux", "40-64", "Pharmacie du Centre")
            row = page.locator("tr[data-encounter='enc-relay-1']")
            await row.wait_for(timeout=20_000)
            await row.get_by_role("button").click()

            await until(lambda: _decoded(page), 30, "station video decoded through the relay")
            pair = await until(lambda: page.evaluate(PAIR_JS), 10, "selected candidate pair")
            assert pair == {"local": "relay", "remote": "relay", "policy": "relay"}
            # The station offered relay candidates only (its ICE ran with the relay policy).
            sdp = call.peer.pc.localDescription.sdp
            types = {line.split(" typ ")[1].split()[0]
                     for line in sdp.splitlines() if line.startswith("a=candidate:")}  # fmt: skip
            assert types == {"relay"}
            await until(lambda: call.remote_video.frames > 5, 15, "doctor video at the station")
        finally:
            if call is not None:
                await call.close()
            if signaling is not None:
                await signaling.close()
            await cams["room"].stop()
            await browser.close()


async def test_expired_turn_credential_refused_then_renewed_by_hub(cluster):
    from aioice import stun
    from aioice.turn import create_turn_endpoint

    c = cluster
    server = ("127.0.0.1", c.turn_port)

    async def allocate(username: str, password: str):
        transport, _ = await asyncio.wait_for(
            create_turn_endpoint(asyncio.DatagramProtocol, server, username, password), 10
        )
        relayed = transport.get_extra_info("related_address") or transport.get_extra_info(
            "sockname"
        )
        transport.close()
        return relayed

    # Signed with the right secret, but its lifetime ended a minute ago: coturn says 401.
    expired = turn_credentials(c.turn_secret, "station-cabine-relay", time.time() - 3660, 3600)
    with pytest.raises(stun.TransactionFailed) as refused:
        await allocate(*expired)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401

    # The hub (through nginx) hands out a fresh credential for the same station: accepted.
    headers = {"Authorization": f"Bearer {c.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(c.url + "/api/v1/ice-servers", headers=headers, ssl=c.ssl_context()) as resp,
    ):
        assert resp.status == 200
        servers = (await resp.json())["ice_servers"]
    turn = next(s for s in servers if any(u.startswith("turn:") for u in s["urls"]))
    expiry = int(turn["username"].split(":", 1)[0])
    assert expiry > time.time() + 600
    assert await allocate(turn["username"], turn["credential"])


async def _decoded(page):
    stats = await page.evaluate(INBOUND_JS)
    return stats if stats and stats["framesDecoded"] > 5 else None
