"""One aiortc ``RTCPeerConnection`` for one attempt at connecting an encounter.

The station always offers (contract: signaling). aiortc gathers every candidate before
``setLocalDescription`` returns, so the offer SDP is complete and no trickle is needed.
aiortc cannot restart ICE in place, so a reconnection builds a new :class:`StationPeer` around
the *same* long-lived tracks (see :mod:`telecabine.session.call`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)

from telecabine.protocol import datachannel as dc
from telecabine.protocol.envelope import ProtocolError
from telecabine.session import encoders, playout
from telecabine.session.media_in import AudioPlayer, RemoteVideo, pump
from telecabine.session.quality import Sample
from telecabine.session.tracks import MixedAudioTrack, PeerTrack, SwitchableVideoTrack

log = logging.getLogger(__name__)

MessageHandler = Callable[[Any], Awaitable[None] | None]


class StationPeer:
    """The station side of one WebRTC connection: tracks out, media in, data channel."""

    def __init__(
        self,
        ice_servers: list[dict[str, Any]],
        video: SwitchableVideoTrack,
        audio: MixedAudioTrack,
        remote_video: RemoteVideo,
        player: AudioPlayer,
        on_message: MessageHandler,
        encoding: encoders.VideoEncoding = encoders.DEFAULT_ENCODING,
        relay_only: bool = False,
    ) -> None:
        encoders.install(encoding)
        servers = [
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in ice_servers
        ]
        # relay_only: gather TURN relay candidates only (station setting or the hub's policy).
        policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=servers or None, iceTransportPolicy=policy)
        )
        self.pc.addTrack(PeerTrack(audio))
        video_sender = self.pc.addTrack(PeerTrack(video))
        self.video_sender = video_sender
        self.max_bitrate: int | None = None
        # Put video in its own MediaStream (msid): browsers lip-sync tracks of one stream by
        # delaying video to the audio jitter buffer (~100 ms measured). For a consultation the
        # lowest video delay matters more than lip sync within a few tens of milliseconds.
        video_sender._stream_id = str(uuid.uuid4())
        for transceiver in self.pc.getTransceivers():
            if transceiver.sender is video_sender:
                encoders.prefer(transceiver, encoding.codec)
        playout.enable(encoding.playout_delay_ms is not None)
        if encoding.playout_delay_ms is not None:
            playout.attach(video_sender, *encoding.playout_delay_ms)
        self.remote_video = remote_video
        self.player = player
        self.on_message = on_message
        self.channel: RTCDataChannel = self.pc.createDataChannel(dc.CHANNEL_LABEL, ordered=True)
        self.channel_open = asyncio.Event()
        self.connected = asyncio.Event()
        self.failed = asyncio.Event()
        self.last_inbound = time.monotonic()
        self._tasks: set[asyncio.Task] = set()
        self._closing: asyncio.Future | None = None
        self._prev_bytes: tuple[float, int] | None = None
        self.channel.on("open", self.channel_open.set)
        self.channel.on("message", self._on_channel_message)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)
        self._watch_packets()

    def _watch_packets(self) -> None:
        """Count any RTP/RTCP from the doctor as a sign of life.

        A doctor without camera or microphone sends no media, but the browser still sends
        RTCP receiver reports (~1/s) for our streams; without this the stall detector would
        restart a healthy call. aiortc has no public hook, so the routing methods the DTLS
        transport calls are wrapped per instance.
        """
        targets = [(t.sender, "_handle_rtcp_packet") for t in self.pc.getTransceivers()]
        targets += [(t.receiver, "_handle_rtcp_packet") for t in self.pc.getTransceivers()]
        targets += [(t.receiver, "_handle_rtp_packet") for t in self.pc.getTransceivers()]
        for obj, name in targets:
            original = getattr(obj, name)

            async def wrapped(*args, _original=original, **kwargs):
                self.last_inbound = time.monotonic()
                return await _original(*args, **kwargs)

            setattr(obj, name, wrapped)

    # --- negotiation ---------------------------------------------------------------------------

    async def make_offer(self) -> str:
        """Create the (complete, non-trickle) SDP offer."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    def awaiting_answer(self) -> bool:
        """True while our offer waits for its answer (a closed or answered peer is not)."""
        return self.pc.signalingState == "have-local-offer"

    async def accept_answer(self, sdp: str) -> None:
        """Apply the doctor's answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def add_ice(self, candidate: str, sdp_mid: str | None, index: int | None) -> None:
        """Add a trickled remote candidate (browsers may trickle even when we do not)."""
        from aiortc.sdp import candidate_from_sdp

        if not candidate:
            return
        text = candidate.split(":", 1)[1] if candidate.startswith("candidate:") else candidate
        try:
            cand = candidate_from_sdp(text)
        except (ValueError, IndexError):
            return
        cand.sdpMid = sdp_mid
        cand.sdpMLineIndex = index
        with contextlib.suppress(Exception):  # a late candidate for a closed pc is harmless
            await self.pc.addIceCandidate(cand)

    # --- events ------------------------------------------------------------------------------

    def _on_state(self) -> None:
        state = self.pc.connectionState
        log.info("peer connection %s", state)
        if state == "connected":
            self.last_inbound = time.monotonic()
            self.connected.set()
        elif state in ("failed", "closed"):
            self.failed.set()

    def _on_track(self, track) -> None:
        sink = self._video_frame if track.kind == "video" else self._audio_frame
        task = asyncio.ensure_future(pump(track, sink))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _video_frame(self, frame) -> None:
        self.last_inbound = time.monotonic()
        self.remote_video.push(frame)

    def _audio_frame(self, frame) -> None:
        self.last_inbound = time.monotonic()
        self.player.push(frame)

    def _on_channel_message(self, raw: str | bytes) -> None:
        self.last_inbound = time.monotonic()
        try:
            msg = dc.parse(raw, dc.DOCTOR_TO_STATION)
        except ProtocolError as exc:
            self.send(dc.error_from(exc))
            return
        result = self.on_message(msg)
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("data-channel handler failed", exc_info=task.exception())

    # --- outgoing ----------------------------------------------------------------------------

    def send(self, message) -> bool:
        """Send a data-channel message if the channel is open; False otherwise."""
        if self.channel.readyState != "open":
            return False
        self.channel.send(dc.encode(message))
        return True

    def set_max_bitrate(self, bitrate: int | None) -> None:
        """Cap the outgoing video at ``bitrate`` bps (``None``: only the browser's REMB limits it).

        Applied at once if the encoder exists, and again at every :meth:`sample` (aiortc
        builds the encoder at the first frame).
        """
        self.max_bitrate = bitrate
        encoders.cap_bitrate(self.video_sender, bitrate)

    async def sample(self) -> Sample:
        """RTT, loss and outgoing video bitrate since the previous call (from getStats)."""
        if self.max_bitrate is not None:
            encoders.cap_bitrate(self.video_sender, self.max_bitrate)
        report = await self.pc.getStats()
        rtt = loss = None
        sent = None
        for stat in report.values():
            if stat.type == "remote-inbound-rtp" and stat.kind == "video":
                rtt, loss = stat.roundTripTime, stat.fractionLost
            elif stat.type == "outbound-rtp" and stat.kind == "video":
                sent = stat.bytesSent
        bitrate = None
        now = time.monotonic()
        if sent is not None:
            if self._prev_bytes is not None and now > self._prev_bytes[0]:
                bitrate = 8 * (sent - self._prev_bytes[1]) / (now - self._prev_bytes[0])
            self._prev_bytes = (now, sent)
        return Sample(rtt_s=rtt, loss=loss, bitrate_bps=bitrate)

    async def close(self) -> None:
        """Close the connection (tracks are kept: they outlive one attempt); idempotent.

        aiortc's ``close()`` run twice concurrently shares one internal future: a second caller
        cancelled while waiting cancels that future and every later ``close()`` raises
        CancelledError. So the close runs once, in its own task, and callers wait on it shielded.
        """
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        # aiortc stops the senders' tracks here: those are PeerTrack handles, so the shared
        # tracks (and the cameras behind them) keep running for the next attempt.
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.pc.close())
        await asyncio.shield(self._closing)


def orphan_transport_error(exc: BaseException | None) -> bool:
    """An error raised in one of aiortc's own fire-and-forget tasks (SCTP retransmission
    timers, data-channel flushes) because the DTLS transport under it is already closed.

    aiortc schedules those sends with ``ensure_future`` and never awaits them, so when a
    connection is dropped and rebuilt they end in the loop's exception handler. Nothing is
    lost (the peer is being replaced); the loop handler logs them as one warning line.
    """
    if not isinstance(exc, ConnectionError) or "not connected" not in str(exc):
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and f"aiortc{os.sep}" in last
