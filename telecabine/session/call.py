"""One video consultation from the station's side: waiting room, peer, reconnection, incidents.

:class:`CallSession` reacts to signaling messages (it does not own the socket: anything with
``async send(model)`` will do, see :class:`SignalingPort`), keeps the outgoing tracks alive for
the whole call and rebuilds the :class:`~telecabine.session.peer.StationPeer` when the network
drops: aiortc cannot restart ICE in place, so the restart is a fresh ``RTCPeerConnection`` and
a fresh ``offer`` the browser answers (contract: "the station can send a new offer at any
time"). Every technical incident is reported with its time so the service can store it on the
encounter (Code de la santé publique, art. R6316-4: incidents go into the record).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from telecabine.protocol import datachannel as dc
from telecabine.protocol import signaling as sig
from telecabine.session.documents import DocumentAssembler, DocumentError, ReceivedDocument
from telecabine.session.encoders import DEFAULT_ENCODING, ENCODE_STATS, VideoEncoding
from telecabine.session.media_in import AudioPlayer, RemoteVideo
from telecabine.session.peer import StationPeer
from telecabine.session.quality import QualityTracker, ResolutionAdapter, describe
from telecabine.session.tracks import (
    AudioSource,
    MailboxLike,
    MixedAudioTrack,
    SwitchableVideoTrack,
)

log = logging.getLogger(__name__)

CallState = Literal["idle", "waiting", "connecting", "in_call", "reconnecting", "ended"]
IncidentKind = Literal[
    "disconnect", "reconnect", "device_lost", "poor_quality", "document_rejected", "call_failed"
]


MAX_OUTBOX = 256  # unacknowledged station -> doctor messages kept for resending
MAX_SEEN_IDS = 10_000
_DOCUMENT_MESSAGES = (dc.DocumentBegin, dc.DocumentChunk, dc.DocumentEnd)


class SignalingPort(Protocol):
    """Where the session sends signaling messages (the hub WebSocket, or a test pair)."""

    async def send(self, message: Any) -> None: ...


@dataclass(frozen=True)
class Incident:
    """A technical incident with its UTC time and a short, patient-data-free detail."""

    kind: IncidentKind
    at: datetime
    detail: str = ""


@dataclass
class CallObservers:
    """Callbacks the service layer plugs in (all optional; async ones are awaited)."""

    on_state: list[Callable[[CallState], None]] = field(default_factory=list)
    on_incident: list[Callable[[Incident], Any]] = field(default_factory=list)
    on_doctor_message: list[Callable[[Any], Any]] = field(default_factory=list)
    on_quality: list[Callable[[str, str], None]] = field(default_factory=list)
    on_position: list[Callable[[int], None]] = field(default_factory=list)
    on_doctor: list[Callable[[sig.DoctorPublic], None]] = field(default_factory=list)
    on_document: list[Callable[[ReceivedDocument], Awaitable[None]]] = field(default_factory=list)
    on_camera: list[Callable[[str], None]] = field(default_factory=list)
    on_stethoscope: list[Callable[[bool], None]] = field(default_factory=list)


@dataclass
class CallTiming:
    """Reconnection timing (seconds); tests shorten them."""

    stall_s: float = 3.0  # no inbound media/data for this long = connection lost
    attempt_s: float = 8.0  # wait this long for a new peer to connect before trying again
    give_up_s: float = 180.0  # end the call after this long without a connection
    quality_every_s: float = 2.0


class CallSession:
    """Station side of one encounter's consultation (see module docstring)."""

    def __init__(
        self,
        signaling: SignalingPort,
        station_id: str,
        cameras: dict[str, MailboxLike],
        *,
        live_camera: str = "room",
        microphone: AudioSource | None = None,
        stethoscope: AudioSource | None = None,
        play_audio: bool = True,
        fps: float = 30.0,
        max_height: int = 720,
        timing: CallTiming | None = None,
        encoding: VideoEncoding = DEFAULT_ENCODING,
        relay_only: bool = False,
    ) -> None:
        if live_camera not in cameras:
            live_camera = next(iter(cameras))
        self.encoding = encoding
        self.signaling = signaling
        self.station_id = station_id
        self.cameras = dict(cameras)
        self.video = SwitchableVideoTrack(
            cameras[live_camera], live_camera, fps=fps, max_height=max_height
        )
        self.audio = MixedAudioTrack(microphone, stethoscope)
        self.remote_video = RemoteVideo()
        self.player = AudioPlayer(enabled=play_audio)
        self.observers = CallObservers()
        self.timing = timing or CallTiming()
        self.state: CallState = "idle"
        self.encounter_id: str | None = None
        self.doctor: sig.DoctorPublic | None = None
        self.incidents: list[Incident] = []
        self.quality = QualityTracker()
        self.resolution = ResolutionAdapter(max_height, fps)
        self._fps_mark: tuple[float, int, float] | None = None
        self.peer: StationPeer | None = None
        self.restarts = 0
        self.connected_at: float | None = None
        self.called_at: float | None = None
        self._ice_servers: list[dict[str, Any]] = []
        self.relay_only = relay_only  # this station's setting
        self._hub_relay = False  # the hub asks for relay-only calls (force_relay)
        self._documents = DocumentAssembler()
        self._documents_done: set[str] = set()
        # Reliable delivery (see protocol.datachannel): what we sent with an id and the doctor
        # has not acknowledged yet (re-sent on every channel open), and the ids we acted on.
        self._outbox: dict[str, Any] = {}
        self._seen_ids: set[str] = set()
        # Called on every channel open, after hello: the patient_context message (or None).
        self.context: Callable[[], Any] | None = None
        self._watchdog: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- commands ------------------------------------------------------------------------------

    async def announce(self, encounter_id: str, reason: str, age_band: str, cabin: str,
                       flagged_vitals: list[str] | None = None) -> None:  # fmt: skip
        """Put the encounter in the hub's waiting room."""
        self.encounter_id = encounter_id
        self._set_state("waiting")
        await self.signaling.send(
            sig.Announce(encounter_id=encounter_id, reason=reason, age_band=age_band,
                         cabin=cabin, flagged_vitals=flagged_vitals or [])
        )  # fmt: skip

    def send(self, message: Any) -> bool:
        """Send a data-channel message to the doctor (False when not connected)."""
        return self.peer is not None and self.peer.send(message)

    def send_reliable(self, message: Any) -> bool:
        """Send a message that carries an ``id`` and keep it until the doctor's ``ack``.

        Not connected (or the channel drops before the ack): it goes again, in order, when the
        next channel opens. Returns whether it left now.
        """
        if len(self._outbox) >= MAX_OUTBOX:  # a doctor who never acks: drop the oldest
            self._outbox.pop(next(iter(self._outbox)))
        self._outbox[message.id] = message
        return self.send(message)

    @property
    def unacknowledged(self) -> int:
        """How many messages wait for the doctor's acknowledgement."""
        return len(self._outbox)

    def switch_camera(self, role: str) -> bool:
        """Make ``role`` the live camera on the same track; False if it does not exist."""
        mailbox = self.cameras.get(role)
        if mailbox is None:
            return False
        self.video.set_source(mailbox, role)
        self.send(dc.CameraChanged(role=role))
        for cb in self.observers.on_camera:
            cb(role)
        return True

    def set_stethoscope(self, on: bool) -> None:
        """Switch the stethoscope into (or out of) the outgoing audio."""
        self.audio.stethoscope_on = on
        self.send(dc.StethoscopeChanged(on=on))
        for cb in self.observers.on_stethoscope:
            cb(on)

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute the cabin's outgoing audio."""
        self.audio.muted = muted

    async def device_lost(self, role: str) -> None:
        """A camera stopped: drop it and, if it was live, switch to another one."""
        self.cameras.pop(role, None)
        await self._incident("device_lost", f"camera:{role}")
        if not self.cameras:
            return  # nothing left: the last picture stays on screen until a camera returns
        if self.video.role == role and self.cameras:
            fallback = "room" if "room" in self.cameras else next(iter(self.cameras))
            self.switch_camera(fallback)

    def camera_restored(self, role: str, mailbox: MailboxLike) -> None:
        """A camera is available (again)."""
        self.cameras[role] = mailbox

    async def hangup(self, reason: str = "station") -> None:
        """End the call from the cabin."""
        if self.encounter_id and self.state != "ended":
            with contextlib.suppress(Exception):
                await self.signaling.send(sig.Hangup(encounter_id=self.encounter_id, reason=reason))
        await self.close()

    async def close(self) -> None:
        """Stop everything (idempotent)."""
        self._set_state("ended")
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watchdog
        current = asyncio.current_task()  # close() may run inside one of our own tasks
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        if self.peer is not None:
            peer, self.peer = self.peer, None
            await peer.close()
        self.video.stop()
        self.audio.stop()
        self.player.close()

    # --- signaling in --------------------------------------------------------------------------

    async def on_signal(self, msg: Any) -> None:
        """Handle one message from the hub (already validated by ``signaling.parse_message``)."""
        if getattr(msg, "encounter_id", self.encounter_id) != self.encounter_id:
            return  # another encounter's message (late or misrouted): ignore
        if isinstance(msg, sig.Queued | sig.Position):
            for cb in self.observers.on_position:
                cb(msg.position)
        elif isinstance(msg, sig.DoctorJoined):
            self.doctor = msg.doctor
            self._ice_servers = [s.model_dump(exclude_none=True) for s in msg.ice_servers]
            self._hub_relay = msg.ice_transport_policy == "relay"
            for cb in self.observers.on_doctor:
                cb(msg.doctor)
            self.called_at = time.monotonic()
            await self._connect(first=True)
        elif isinstance(msg, sig.Answer) and self.peer is not None:
            if self.peer.awaiting_answer():  # else the answer to an offer already replaced
                await self.peer.accept_answer(msg.sdp)
        elif isinstance(msg, sig.Ice) and self.peer is not None:
            await self.peer.add_ice(msg.candidate, msg.sdpMid, msg.sdpMLineIndex)
        elif isinstance(msg, sig.Hangup | sig.Cancelled):
            await self.close()

    # --- connection ------------------------------------------------------------------------------

    async def _connect(self, first: bool) -> None:
        if self.peer is not None:
            old, self.peer = self.peer, None  # late answers must not reach the closing peer
            await old.close()
            if self.state == "ended":  # the call was closed while the old peer was closing
                return
        self._set_state("connecting" if first else "reconnecting")
        self.peer = StationPeer(
            self._ice_servers, self.video, self.audio, self.remote_video, self.player,
            self._on_channel_message, self.encoding,
            relay_only=self.relay_only or self._hub_relay,
        )  # fmt: skip
        self.peer.channel.on("open", self._send_hello)
        offer = await self.peer.make_offer()
        await self.signaling.send(sig.Offer(encounter_id=self.encounter_id, sdp=offer))
        if self._watchdog is None:
            self._watchdog = asyncio.ensure_future(self._watch())

    def _send_hello(self) -> None:
        self.send(
            dc.Hello(station_id=self.station_id, encounter_id=self.encounter_id,
                     cameras=[r for r in self.cameras if r in dc.CAMERA_ROLES],
                     live_camera=self.video.role, stethoscope=self.audio.stethoscope_on)
        )  # fmt: skip
        if self.context is not None:
            try:
                context = self.context()
            except Exception:  # the call goes on without it; the doctor can ask the cabin
                log.exception("patient context unavailable")
                context = None
            if context is not None:
                self.send(context)
        for message in list(self._outbox.values()):
            self.send(message)

    async def _watch(self) -> None:
        """Connection supervisor: detect stalls, rebuild the peer, sample quality."""
        attempt_started = time.monotonic()
        lost_since: float | None = None
        next_quality = 0.0
        while self.state not in ("ended", "idle"):
            await asyncio.sleep(0.25)
            peer, now = self.peer, time.monotonic()
            if peer is None:
                continue
            if peer.connected.is_set() and self.state in ("connecting", "reconnecting"):
                if self.state == "reconnecting":
                    await self._incident("reconnect", f"after {now - (lost_since or now):.1f} s")
                self.connected_at = self.connected_at or now
                lost_since = None
                self._set_state("in_call")
            if self.state == "in_call":
                stalled = now - peer.last_inbound > self.timing.stall_s
                if stalled or peer.failed.is_set():
                    # The record gets the time media actually stopped, not when we noticed.
                    lost_since = min(now, peer.last_inbound)
                    await self._incident(
                        "disconnect", "no media" if stalled else "ice failed",
                        ago_s=now - lost_since,
                    )  # fmt: skip
                    self.restarts += 1
                    attempt_started = now
                    await self._connect(first=False)
                    continue
                if now >= next_quality:
                    next_quality = now + self.timing.quality_every_s
                    await self._sample_quality(peer, now)
            elif now - attempt_started > self.timing.attempt_s:
                if lost_since is not None and now - lost_since > self.timing.give_up_s:
                    await self._incident("call_failed", "gave up reconnecting")
                    await self.hangup("network")
                    return
                if lost_since is None and self.state == "connecting":
                    lost_since = attempt_started  # first connection never came: keep trying
                self.restarts += 1
                attempt_started = now
                await self._connect(first=False)

    def _adapt_resolution(self, now: float) -> None:
        sent, encoding = self.video.frames_sent, ENCODE_STATS.wall_s
        if self._fps_mark is not None and now > self._fps_mark[0]:
            dt = now - self._fps_mark[0]
            fps = (sent - self._fps_mark[1]) / dt
            spent = encoding - self._fps_mark[2]  # (negative if a benchmark reset the totals)
            busy = spent / dt if spent >= 0 else None
            height = self.resolution.update(fps, now, busy)
            if height is not None:
                log.info("encoder at %.0f fps, busy %s: sending %d lines", fps,
                         "?" if busy is None else f"{busy:.0%}", height)  # fmt: skip
                self.video.max_height = height
        self._fps_mark = (now, sent, encoding)

    async def _sample_quality(self, peer: StationPeer, now: float) -> None:
        self._adapt_resolution(now)
        try:
            sample = await peer.sample()
        except Exception:  # stats are best effort
            return
        sustained = self.quality.update(sample, now)
        for cb in self.observers.on_quality:
            cb(self.quality.level, describe(self.quality.level))
        if sustained:
            await self._incident("poor_quality", f"level={self.quality.level}")

    # --- data channel in -------------------------------------------------------------------------

    async def _on_channel_message(self, msg: Any) -> None:
        if isinstance(msg, dc.Ack):
            self._outbox.pop(msg.id, None)
            return
        msg_id = getattr(msg, "id", None)
        if msg_id is not None and not isinstance(msg, _DOCUMENT_MESSAGES):
            self.send(dc.Ack(id=msg_id))
            if msg_id in self._seen_ids:
                return  # sent again after a reconnection: already acted on
            if len(self._seen_ids) >= MAX_SEEN_IDS:
                self._seen_ids.clear()  # ids are random: forgetting old ones risks nothing
            self._seen_ids.add(msg_id)
        if isinstance(msg, dc.SwitchCamera):
            if not self.switch_camera(msg.role):
                self.send(
                    dc.Error(code="no_camera", message="Caméra absente / camera not available")
                )
        elif isinstance(msg, dc.StethoscopeRequest):
            self.set_stethoscope(msg.on)
        elif isinstance(msg, dc.DocumentBegin | dc.DocumentChunk | dc.DocumentEnd):
            await self._on_document_message(msg)
        for cb in self.observers.on_doctor_message:
            result = cb(msg)
            if asyncio.iscoroutine(result):
                await result

    async def _on_document_message(self, msg: Any) -> None:
        if msg.id in self._documents_done:  # the console sent it again (it missed our ack)
            if isinstance(msg, dc.DocumentEnd):
                self.send(dc.DocumentAck(id=msg.id, ok=True))
            return
        try:
            if isinstance(msg, dc.DocumentBegin):
                self._documents.begin(msg)
            elif isinstance(msg, dc.DocumentChunk):
                self._documents.chunk(msg)
            else:
                doc = self._documents.end(msg)
                self._documents_done.add(doc.id)
                for cb in self.observers.on_document:
                    await cb(doc)
                self.send(dc.DocumentAck(id=doc.id, ok=True))
        except DocumentError as exc:
            await self._incident("document_rejected", exc.code)
            self.send(dc.DocumentAck(id=exc.doc_id, ok=False, error=exc.code))

    # --- helpers ---------------------------------------------------------------------------------

    def _set_state(self, state: CallState) -> None:
        if state == self.state:
            return
        self.state = state
        for cb in self.observers.on_state:
            cb(state)

    async def _incident(self, kind: IncidentKind, detail: str = "", ago_s: float = 0.0) -> None:
        at = datetime.now(UTC) - timedelta(seconds=ago_s)
        incident = Incident(kind=kind, at=at, detail=detail)
        self.incidents.append(incident)
        log.warning("call incident %s %s", kind, detail)
        for cb in self.observers.on_incident:
            result = cb(incident)
            if asyncio.iscoroutine(result):
                await result
