"""Call set-up time: the doctor clicks "take" in the real console -> first cabin frame shown.

Everything is the product's own path: a real hub on 127.0.0.1, the doctor signed in to the real
console (``console.js`` + ``call.js``) in Debian Chromium, the station's
:class:`~telecabine.session.signaling_client.HubSignaling` WebSocket and
:class:`~telecabine.session.call.CallSession` (aiortc, 720p30 band camera). The clock is the
page's: ``t0`` is the click event on the take button, ``t1`` the first frame presented by the
call view's remote ``<video>`` (``requestVideoFrameCallback``, i.e. decoded and composited).

Anchor, same run, same signaling path: the station role played by a second Chromium instance
(the 720p30 canvas sender of ``bench/call_harness.py``), whose offer/answer go through the same
``HubSignaling`` client, the same hub and the same console. Repetitions alternate ours and
anchor; one warm-up call of each is reported apart (module loading, first camera open).
Also recorded: when the station first decoded the doctor's video (polled, ~10 ms resolution).

Run: ``uv run python -m bench call_setup`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from bench.call_harness import (
    FPS,
    SENDER_JS,
    H,
    W,
    launch_browser,
    load_average,
    running_hub,
    serve_page,
    sign_in_console,
    station_codec,
)
from bench.common import percentile, write_result

# Arms the console page: t0 at the (trusted) click on "take", t1 at the first presented frame
# of the call view's remote video.
ARM_JS = """() => {
  window.__telecabineCall = undefined;
  const b = window.bench = { t0: null, t1: null };
  document.addEventListener('click', () => { if (b.t0 === null) b.t0 = performance.now(); },
                            { capture: true, once: true });
  const iv = setInterval(() => {
    const call = window.__telecabineCall;
    if (call && call.remoteVideo) {
      clearInterval(iv);
      call.remoteVideo.requestVideoFrameCallback((now, meta) => {
        b.t1 = performance.now(); b.size = `${meta.width}x${meta.height}`;
      });
    }
  }, 2);
}"""
STOP_SENDER_JS = """() => {
  const s = window.sender; if (s.pc) s.pc.close(); clearInterval(s.timer);
  if (s.stream) s.stream.getTracks().forEach((t) => t.stop());
  document.querySelectorAll('video').forEach((v) => v.remove());
  window.sender = { pc: null, firstRemoteAt: null };
}"""


async def _wait(predicate, timeout: float, what: str, every: float = 0.01) -> float:
    """Await a (sync or async) predicate; returns the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(every)


class _Relay:
    """Routes hub messages to whatever plays the station in this repetition."""

    def __init__(self) -> None:
        self.target = None

    async def __call__(self, msg: Any) -> None:
        if self.target is not None:
            await self.target(msg)


async def console_take(page, encounter_id: str) -> dict[str, Any]:
    """Click take on the console row and wait for the first cabin frame.

    Returns ``ms`` (set-up time in the page's clock), ``clicked`` (monotonic time of the click)
    and ``first_frame`` (its size: Chromium may start small).
    """
    row = page.locator(f"tr[data-encounter='{encounter_id}']")
    await row.wait_for(timeout=15_000)
    await page.evaluate(ARM_JS)
    clicked = time.monotonic()
    await row.get_by_role("button").click()
    await _wait(lambda: page.evaluate("window.bench.t1 !== null"), 30, "first cabin frame", 0.02)
    t0, t1, size = await page.evaluate("[window.bench.t0, window.bench.t1, window.bench.size]")
    return {"ms": t1 - t0, "clicked": clicked, "first_frame": size}


def _timing(took: dict[str, Any], doctor_at: float) -> dict[str, Any]:
    return {"ms": took["ms"], "first_frame": took["first_frame"],
            "station_first_doctor_frame_ms": 1000 * (doctor_at - took["clicked"])}  # fmt: skip


async def back_to_queue(page) -> None:
    """Wait until the console shows its waiting room again (call closed)."""
    await page.wait_for_selector("#queue-view:not([hidden])", timeout=15_000)


async def _ours(hub, page, cam, encounter_id: str) -> dict[str, Any]:
    from telecabine.session.call import CallSession
    from telecabine.session.signaling_client import HubSignaling

    relay = _Relay()
    hubsig = HubSignaling(hub.url, hub.station_token, relay)
    await hubsig.connect()
    session = CallSession(hubsig, "bench-cabin", {"room": cam.mailbox}, play_audio=False)
    relay.target = session.on_signal
    try:
        await session.announce(encounter_id, "Bench", "40-64", "Pharmacie bench")
        took = await console_take(page, encounter_id)
        doctor_at = await _wait(lambda: session.remote_video.frames > 0, 20, "doctor video")
        return _timing(took, doctor_at)
    finally:
        await session.hangup()
        await hubsig.close()
        await back_to_queue(page)


@contextlib.asynccontextmanager
async def chromium_station_call(
    hub, page, spage, encounter_id: str, *, keep_resolution: bool = False
) -> AsyncIterator[dict]:
    """A call with Chromium (``spage``, sender page) as the station, taken in the console.

    Yields the set-up timing; hangs up (station side) and waits for the console's queue after.
    ``keep_resolution`` holds 720p (same pixels as the station); False keeps Chromium's
    defaults (it starts small while its bandwidth estimate ramps up), as a web cabin would.
    """
    from telecabine.protocol import signaling as sig
    from telecabine.session.signaling_client import HubSignaling

    relay = _Relay()
    hubsig = HubSignaling(hub.url, hub.station_token, relay)

    async def station(msg: Any) -> None:
        # The station's side of the contract, done by Chromium: offer after doctor_joined.
        if isinstance(msg, sig.DoctorJoined):
            ice = [s.model_dump(exclude_none=True) for s in msg.ice_servers]
            sdp = await spage.evaluate(
                "([w, h, f, i, c, k]) => window.startSender(w, h, f, i, c, k)",
                [W, H, FPS, ice, station_codec(), keep_resolution],
            )
            await hubsig.send(sig.Offer(encounter_id=encounter_id, sdp=sdp))
        elif isinstance(msg, sig.Answer):
            await spage.evaluate("(sdp) => window.acceptAnswer(sdp)", msg.sdp)
        elif isinstance(msg, sig.Ice):
            await spage.evaluate("(c) => window.addIce(c)", {"candidate": msg.candidate,
                                 "sdpMid": msg.sdpMid, "sdpMLineIndex": msg.sdpMLineIndex})  # fmt: skip

    relay.target = station
    await hubsig.connect()
    try:
        await hubsig.send(sig.Announce(encounter_id=encounter_id, reason="Bench", age_band="40-64",
                                       cabin="Pharmacie bench", flagged_vitals=[]))  # fmt: skip
        took = await console_take(page, encounter_id)
        doctor_at = await _wait(lambda: spage.evaluate("window.sender.firstRemoteAt !== null"),
                                20, "doctor video in the Chromium station", 0.02)  # fmt: skip
        yield _timing(took, doctor_at)
    finally:
        await hubsig.send(sig.Hangup(encounter_id=encounter_id, reason="station"))
        await spage.evaluate(STOP_SENDER_JS)
        await hubsig.close()
        await back_to_queue(page)


async def _anchor(hub, page, spage, encounter_id: str) -> dict[str, Any]:
    async with chromium_station_call(hub, page, spage, encounter_id) as timing:
        return timing


async def _measure(quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench.latency import BandCamera

    reps = 2 if quick else 5
    ours: list[dict[str, Any]] = []
    anchor: list[dict[str, Any]] = []
    warm: dict[str, Any] = {}
    sender_srv, sender_url = await serve_page(SENDER_JS)
    cam = BandCamera()
    cam.start()
    try:
        async with running_hub() as hub, async_playwright() as pw:
            doctor = await launch_browser(pw)
            station = await launch_browser(pw)
            page = await (await doctor.browser.new_context(
                viewport={"width": 1280, "height": 900})).new_page()  # fmt: skip
            await sign_in_console(page, hub)
            spage = await station.browser.new_page()
            await spage.goto(sender_url)
            await spage.evaluate("window.grantCamera()")
            warm["station"] = await _ours(hub, page, cam, "bench-warm-ours")
            warm["chromium"] = await _anchor(hub, page, spage, "bench-warm-anchor")
            for i in range(reps):
                ours.append(await _ours(hub, page, cam, f"bench-ours-{i}"))
                anchor.append(await _anchor(hub, page, spage, f"bench-anchor-{i}"))
            await station.browser.close()
            await doctor.browser.close()
    finally:
        cam.stop()
        await sender_srv.cleanup()
    return {"ours": ours, "anchor": anchor, "warm": warm}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ms = [r["ms"] for r in runs]
    back = [r["station_first_doctor_frame_ms"] for r in runs]
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 95), 1),
            "runs_ms": [round(x, 1) for x in ms], "first_frame_sizes": [r["first_frame"] for r in runs],
            "station_side_first_doctor_frame_p50_ms": round(statistics.median(back), 1)}  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/call_setup.json``."""
    m = asyncio.run(_measure(quick))
    ours, anchor = _summary(m["ours"]), _summary(m["anchor"])
    details = {
        "station": ours, "chromium_station": anchor,
        "warm_up_call_ms": {k: round(v["ms"], 1) for k, v in m["warm"].items()},
        "chromium_station_settings": "Chromium defaults (starts small while its bandwidth "
                                     "estimate ramps up), codec = the station's",
        "repetitions": len(m["ours"]),
        "how": "t0 = click event on 'take' in the console, t1 = first frame presented by the "
               "call view (requestVideoFrameCallback), both in the page's clock; path: console "
               "-> hub -> station doctor_joined -> complete-SDP offer -> hub -> call.js answer "
               "(after ICE gathering) -> hub -> station -> ICE/DTLS -> first 720p frame.",
        "load_average_1_5_15": load_average(),
    }  # fmt: skip
    return write_result(
        "call_setup", value=ours["p50_ms"], unit="ms, take clicked -> first cabin frame (p50)",
        anchor="Chromium as the station, same hub, console and signaling client",
        anchor_value=anchor["p50_ms"], goal="< 1000 ms (p95), no slower than Chromium",
        details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
