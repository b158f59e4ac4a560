"""Helpers for session tests: pattern cameras, an in-memory signaling link, an aiortc doctor."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.protocol import datachannel as dc
from telecabine.protocol import signaling as sig

ROLE_COLORS = {"room": (40, 160, 40), "otoscope": (30, 30, 220), "dermatoscope": (220, 60, 60)}


class PatternCamera:
    """An asyncio-driven camera putting solid-colour frames (per role) into a mailbox."""

    def __init__(self, role: str, width: int = 320, height: int = 240, fps: float = 30) -> None:
        self.role = role
        self.mailbox: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
        self._size = (height, width)
        self._fps = fps
        self._task: asyncio.Task | None = None
        self.running = False

    def start(self) -> None:
        """Begin producing frames."""
        self.running = True
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        seq = 0
        color = np.array(ROLE_COLORS[self.role], np.uint8)
        while self.running:
            seq += 1
            img = np.empty((*self._size, 3), np.uint8)
            img[:] = color
            img[: self._size[0] // 8, : (seq * 4) % self._size[1]] = 255  # motion
            self.mailbox.put(VideoFrame(img, seq, time.monotonic(), time.time()))
            await asyncio.sleep(1 / self._fps)

    async def stop(self) -> None:
        """Stop producing."""
        self.running = False
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class StationSide:
    """The station's end of the in-memory link: ``send`` delivers to the doctor."""

    def __init__(self, doctor: AiortcDoctor) -> None:
        self.doctor = doctor
        self.sent: list[Any] = []

    async def send(self, message: Any) -> None:
        """Deliver as JSON text, like the hub would relay it."""
        self.sent.append(message)
        await self.doctor.on_signal(sig.parse_message(sig.encode(message)))


class AiortcDoctor:
    """A doctor made of aiortc: answers every offer with a fresh peer, records what it gets."""

    def __init__(self) -> None:
        self.station: Any = None  # CallSession, set by the test
        self.pc: RTCPeerConnection | None = None
        self.channel = None
        self.messages: list[Any] = []
        self.frames = 0
        self.last_center: tuple[int, int, int] | None = None
        self.offers = 0
        self.connected = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    async def on_signal(self, msg: Any) -> None:
        """Handle a relayed station message."""
        if isinstance(msg, sig.Offer):
            self.offers += 1
            await self._answer(msg)

    async def _answer(self, offer: sig.Offer) -> None:
        if self.pc is not None:
            await self.pc.close()
        self.connected.clear()
        pc = self.pc = RTCPeerConnection()
        pc.addTrack(VideoStreamTrack())

        @pc.on("datachannel")
        def _on_channel(channel) -> None:
            self.channel = channel
            channel.on("message", lambda raw: self.messages.append(dc.parse(raw)))

        @pc.on("track")
        def _on_track(track) -> None:
            if track.kind == "video":
                self._tasks.add(asyncio.ensure_future(self._read_video(track)))

        @pc.on("connectionstatechange")
        def _on_state() -> None:
            if pc.connectionState == "connected":
                self.connected.set()

        await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = sig.Answer(encounter_id=offer.encounter_id, sdp=pc.localDescription.sdp)
        asyncio.get_running_loop().call_soon(
            lambda: self._tasks.add(asyncio.ensure_future(self.station.on_signal(answer)))
        )

    async def _read_video(self, track) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                self.frames += 1
                img = frame.to_ndarray(format="bgr24")
                h, w = img.shape[:2]
                self.last_center = tuple(int(x) for x in img[h * 3 // 4, w // 2])

    def channel_open(self) -> bool:
        """True once the station's data channel has reached this doctor and is open."""
        return self.channel is not None and self.channel.readyState == "open"

    async def wait_channel(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for the data channel: it opens after DTLS+SCTP, often after video."""
        await wait_for(self.channel_open, timeout, "data channel open at the doctor")

    def send(self, message: Any) -> None:
        """Send a data-channel message to the station (call :meth:`wait_channel` first)."""
        if not self.channel_open():
            raise AssertionError("data channel not open yet: await doctor.wait_channel() first")
        self.channel.send(dc.encode(message))

    def of_type(self, type_: str) -> list[Any]:
        """Received data-channel messages of one type."""
        return [m for m in self.messages if m.type == type_]

    async def close(self) -> None:
        """Close the doctor's peer."""
        for t in self._tasks:
            t.cancel()
        if self.pc is not None:
            await self.pc.close()


async def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` every 20 ms until true, or fail with ``what``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def near(color: tuple[int, int, int] | None, expected: tuple[int, int, int], tol: int = 40) -> bool:
    """True when a decoded BGR colour is close to the expected one (VP8 shifts colours a bit)."""
    return color is not None and all(
        abs(a - b) <= tol for a, b in zip(color, expected, strict=True)
    )
