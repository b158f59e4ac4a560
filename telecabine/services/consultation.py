"""Consultation use-case: what the call screen calls.

Start a call (announce the encounter to the hub's waiting room, wait for a doctor, connect),
forward vitals as they are measured, turn doctor requests into prompts for the cabin staff,
store incidents and received documents on the encounter (encrypted store), print documents,
and end the call: the doctor's summary is kept and the encounter moves to ``wrap_up``.

Nothing here knows Qt: the screen subscribes to :class:`ConsultationEvents` and the Qt printer
is injected as a :class:`DocumentPrinter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from telecabine.domain.encounter import EncounterState, IllegalTransition, transition
from telecabine.protocol import datachannel as dc
from telecabine.session.call import CallSession, CallTiming, Incident
from telecabine.session.documents import ReceivedDocument
from telecabine.session.signaling_client import HubSignaling, SignalingError
from telecabine.session.tracks import AudioSource, MailboxLike
from telecabine.store.errors import NotFoundError

log = logging.getLogger(__name__)

# What the cabin staff read when the doctor asks for a measurement (French first).
MEASUREMENT_PROMPTS: dict[str, tuple[str, str]] = {
    "temperature": ("Le médecin demande la température", "The doctor asks for the temperature"),
    "blood_pressure": ("Le médecin demande la tension", "The doctor asks for the blood pressure"),
    "spo2": ("Le médecin demande la saturation (SpO₂)", "The doctor asks for the SpO₂"),
    "weight": ("Le médecin demande le poids", "The doctor asks for the weight"),
    "heart_rate": ("Le médecin demande le pouls", "The doctor asks for the pulse"),
}


class EncounterStore(Protocol):
    """The parts of ``store.EncounterRepository`` the consultation uses."""

    def get(self, encounter_id: str) -> Any: ...

    def set_state(
        self, encounter_id: str, state: str, now: datetime | None = None, **kw
    ) -> Any: ...

    def add_incident(
        self, encounter_id: str | None, kind: str, detail: str = "", now: datetime | None = None
    ) -> Any: ...

    def add_document(self, encounter_id: str, **kw) -> Any: ...

    def mark_printed(self, document_id: str, now: datetime | None = None) -> Any: ...

    def save_draft(self, encounter_id: str, step: str, data: dict[str, Any], now=None) -> None: ...

    def load_draft(self, encounter_id: str) -> Any: ...


class Measurer(Protocol):
    """The parts of ``services.measurement.MeasurementService`` the consultation uses."""

    def add_observation_listener(self, listener: Callable[[str, Any], None]) -> Callable: ...

    def add_status_listener(self, listener: Callable[[Any], None]) -> Callable: ...

    async def measure(self, encounter_id: str, kind: Any) -> Any: ...


class ContextSource(Protocol):
    """Reads what the doctor is told about the patient (``services.call_context``)."""

    def read(self, encounter_id: str) -> dc.PatientContext: ...


class DocumentPrinter(Protocol):
    """Prints a PDF (the UI implements it with Qt's print system); returns where it went."""

    async def print_pdf(self, data: bytes, title: str) -> str: ...


class CallAudit(Protocol):
    """Audit events of a consultation (``services.audit.CallAudit``): ids only, no names."""

    def call_started(self, encounter_id: str) -> Any: ...
    def call_ended(self, encounter_id: str, by: str) -> Any: ...
    def document_received(self, encounter_id: str, document_id: str, kind: str) -> Any: ...
    def document_printed(self, document_id: str) -> Any: ...


@dataclass
class ConsultationEvents:
    """Observers for the call screen (plain callables, called on the asyncio loop)."""

    state: list[Callable[[str], None]] = field(default_factory=list)
    position: list[Callable[[int], None]] = field(default_factory=list)
    doctor: list[Callable[[str, str], None]] = field(default_factory=list)
    prompt: list[Callable[[str, str, str], None]] = field(default_factory=list)  # kind, fr, en
    chat: list[Callable[[str, str], None]] = field(default_factory=list)  # from, text
    document: list[Callable[[str, str, bytes, str | None], None]] = field(default_factory=list)
    quality: list[Callable[[str, str], None]] = field(default_factory=list)
    camera: list[Callable[[str], None]] = field(default_factory=list)
    stethoscope: list[Callable[[bool], None]] = field(default_factory=list)
    vital: list[Callable[[Any], None]] = field(default_factory=list)
    ended: list[Callable[[dict | None], None]] = field(default_factory=list)
    incident: list[Callable[[str, str], None]] = field(default_factory=list)


@dataclass(frozen=True)
class CallSetup:
    """Everything needed to reach the hub and feed the call."""

    hub_url: str
    station_token: str
    station_id: str
    cabin: str
    cameras: dict[str, MailboxLike]
    live_camera: str = "room"
    microphone: AudioSource | None = None
    stethoscope: AudioSource | None = None
    play_audio: bool = True
    max_height: int = 720
    timing: CallTiming | None = None
    tls: ssl.SSLContext | None = None  # verified TLS to the hub (operator CA bundle when set)
    relay_only: bool = False  # TURN relay candidates only (Settings.ice_relay_only)


class ConsultationError(RuntimeError):
    """The call could not start; ``message`` is bilingual and fit for the screen."""


class ConsultationService:
    """One consultation at a time for this cabin."""

    def __init__(
        self,
        encounters: EncounterStore,
        setup: CallSetup,
        *,
        measurement: Measurer | None = None,
        printer: DocumentPrinter | None = None,
        audit: CallAudit | None = None,
        context: ContextSource | None = None,
    ) -> None:
        self.encounters = encounters
        if context is None:  # default: the same store the encounter repository works on
            store = getattr(encounters, "_store", None)
            if store is not None and hasattr(store, "patients") and hasattr(store, "staff"):
                from telecabine.services.call_context import CallContextReader

                context = CallContextReader(store)
        self.context = context
        self.audit = audit  # app.py binds it to the signed-in staff (issue 9 audit trail)
        self.setup = setup
        self.measurement = measurement
        self.printer = printer
        self.events = ConsultationEvents()
        self.call: CallSession | None = None
        self.signaling: HubSignaling | None = None
        self.encounter_id: str | None = None
        self.summary: dict | None = None
        self._unsubscribe: list[Callable] = []
        self._tasks: set[asyncio.Task] = set()

    # --- start -------------------------------------------------------------------------------

    async def start_call(
        self, encounter_id: str, reason: str, age_band: str, flagged_vitals: list[str] | None = None
    ) -> None:
        """Announce the encounter and wait for a doctor; raises :class:`ConsultationError`."""
        s = self.setup
        try:
            state = (
                EncounterState(self.encounters.get(encounter_id).state) if encounter_id else None
            )
        except NotFoundError:
            state = None
        if state is None:
            raise ConsultationError(
                "Aucune consultation en cours pour ce patient / no encounter in progress"
            )
        if state is not EncounterState.IN_CALL:  # in_call again = a resumed call
            try:  # announce only an encounter the state machine lets into a call
                transition(state, EncounterState.IN_CALL)
            except IllegalTransition as exc:
                raise ConsultationError(f"{exc.message_fr} / {exc.message_en}") from exc
        self.encounter_id = encounter_id
        call = self.call = CallSession(
            self, s.station_id, s.cameras, live_camera=s.live_camera, microphone=s.microphone,
            stethoscope=s.stethoscope, play_audio=s.play_audio, max_height=s.max_height,
            timing=s.timing, relay_only=s.relay_only,
        )  # fmt: skip
        self._wire(call)
        call.context = self._patient_context
        self._show_known_vitals()
        self.signaling = HubSignaling(s.hub_url, s.station_token, call.on_signal, ssl_context=s.tls)
        try:
            await self.signaling.connect()
        except SignalingError as exc:
            self.encounters.add_incident(encounter_id, "hub_unreachable", type(exc).__name__)
            await call.close()
            raise ConsultationError(str(exc)) from exc
        await call.announce(encounter_id, reason, age_band, s.cabin, flagged_vitals)

    async def send(self, message: Any) -> None:
        """Signaling port for the call session (the hub socket of this consultation)."""
        if self.signaling is None:
            raise SignalingError("Pas de connexion au serveur / not connected to the server")
        await self.signaling.send(message)

    def _patient_context(self) -> dc.PatientContext | None:
        """Identity, reason, verdict, vitals and staff for the doctor (on every channel open)."""
        if self.context is None or self.encounter_id is None:
            return None
        return self.context.read(self.encounter_id)

    def _show_known_vitals(self) -> None:
        """The vitals measured before the call, to the screen's strip (latest per measure)."""
        try:
            context = self._patient_context()
        except Exception:  # the strip fills as new measures come
            log.exception("vitals of the encounter unavailable")
            return
        for vital in context.vitals if context is not None else []:
            for cb in self.events.vital:
                cb(vital)

    def _wire(self, call: CallSession) -> None:
        o = call.observers
        o.on_state.append(self._on_state)
        o.on_position.extend(self.events.position)
        o.on_doctor.append(self._on_doctor)
        o.on_incident.append(self._on_incident)
        o.on_document.append(self._on_document)
        o.on_doctor_message.append(self._on_doctor_message)
        o.on_quality.extend(self.events.quality)
        o.on_camera.extend(self.events.camera)
        o.on_stethoscope.extend(self.events.stethoscope)
        if self.measurement is not None:
            self._unsubscribe.append(
                self.measurement.add_observation_listener(self._on_observation)
            )
            self._unsubscribe.append(self.measurement.add_status_listener(self._on_measure_status))

    # --- session events ------------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        for cb in self.events.state:
            cb(state)
        if state == "ended" and self.call is not None:
            self._spawn(self._after_end())

    def _on_doctor(self, doctor) -> None:
        enc = self.encounters.get(self.encounter_id)
        if enc.state != EncounterState.IN_CALL:
            try:
                self._advance(enc.state, EncounterState.IN_CALL)
            except IllegalTransition:
                # e.g. abandoned by the staff while the doctor was taking it: no call for this
                # encounter; tell the doctor, keep the trace, and stop the session connecting.
                self.encounters.add_incident(self.encounter_id, "encounter_not_callable", enc.state)
                if self.call is not None:
                    self._spawn(self.call.hangup("station"))
                raise
            if self.audit is not None:
                self.audit.call_started(self.encounter_id)
        for cb in self.events.doctor:
            cb(doctor.name, doctor.specialty)

    def _on_incident(self, incident: Incident) -> None:
        self.encounters.add_incident(self.encounter_id, incident.kind, incident.detail, incident.at)
        for cb in self.events.incident:
            cb(incident.kind, incident.detail)

    async def _on_document(self, doc: ReceivedDocument) -> None:
        row = self.encounters.add_document(
            self.encounter_id, kind=doc.kind, filename=doc.filename, content=doc.data,
            mime=doc.mime, sha256=doc.sha256,
        )  # fmt: skip
        if self.audit is not None:
            self.audit.document_received(self.encounter_id, row.id, doc.kind)
        printed_to = None
        if self.printer is not None:
            try:
                printed_to = await self.printer.print_pdf(doc.data, doc.filename)
                self.encounters.mark_printed(row.id)
                if self.audit is not None:
                    self.audit.document_printed(row.id)
            except Exception as exc:  # stored anyway; staff can print again from the record
                self.encounters.add_incident(self.encounter_id, "print_failed", type(exc).__name__)
        for cb in self.events.document:
            cb(doc.kind, doc.filename, doc.data, printed_to)

    async def _on_doctor_message(self, msg: Any) -> None:
        if isinstance(msg, dc.RequestMeasurement):
            fr, en = MEASUREMENT_PROMPTS[msg.kind]
            self.call.send(dc.MeasurementStatus(kind=msg.kind, status="requested"))
            for cb in self.events.prompt:
                cb(msg.kind, fr, en)
        elif isinstance(msg, dc.Chat):
            for cb in self.events.chat:
                cb("doctor", msg.text)
        elif isinstance(msg, dc.EndCall):
            self.summary = msg.model_dump(mode="json", by_alias=True)
            self._save_summary()

    # --- commands from the screen -------------------------------------------------------------

    async def measure(self, kind: str) -> None:
        """Take the measurement the doctor asked for (status goes back to the doctor)."""
        if self.measurement is None or self.encounter_id is None:
            return
        try:
            await self.measurement.measure(self.encounter_id, kind)
        except Exception as exc:  # MeasurementFailed: already shown by the measurement widget
            if self.call:
                self.call.send(
                    dc.MeasurementStatus(kind=kind, status="failed", detail=str(exc)[:200])
                )

    def _on_observation(self, encounter_id: str, obs: Any) -> None:
        if encounter_id != self.encounter_id or self.call is None:
            return
        fields = obs.as_vital_fields() if hasattr(obs, "as_vital_fields") else dict(obs)
        self.call.send_reliable(dc.Vital(**fields, id=f"v-{uuid.uuid4().hex[:16]}"))
        for cb in self.events.vital:
            cb(obs)

    def _on_measure_status(self, update: Any) -> None:
        if self.call is None:
            return
        mapping = {"searching": "in_progress", "connected": "in_progress", "measuring": "in_progress",
                   "done": "done", "failed": "failed"}  # fmt: skip
        status = mapping.get(str(getattr(update.status, "value", update.status)))
        kind = str(getattr(update.kind, "value", update.kind))
        if status and kind in dc.MEASUREMENT_KINDS:
            self.call.send(dc.MeasurementStatus(kind=kind, status=status))

    def send_chat(self, text: str) -> bool:
        """Send a chat line to the doctor (kept and sent again until she acknowledges it).

        False when there is no call or nothing to send; True once it is queued.
        """
        text = text.strip()
        if self.call is None or not text:
            return False
        self.call.send_reliable(dc.Chat(id=f"s-{uuid.uuid4().hex[:16]}", text=text[:2000],
                                        at=datetime.now(UTC), **{"from": "station"}))  # fmt: skip
        return True

    def watch_camera(self, source: Any) -> None:
        """Follow a video source's health (``devices.camera`` listener, called from its thread).

        Lost, black or frozen while live -> the call switches to another camera and the
        incident is stored; back to ok -> the role can be selected again.
        """
        loop = asyncio.get_running_loop()

        def listener(event: Any) -> None:
            status = str(getattr(event.status, "value", event.status))
            loop.call_soon_threadsafe(self._on_camera_status, event.role, status, source.mailbox)

        source.add_listener(listener)

    def _on_camera_status(self, role: str, status: str, mailbox: MailboxLike) -> None:
        call = self.call
        if call is None or call.state == "ended":
            return
        if status in ("lost", "black", "frozen") and role in call.cameras:
            self._spawn(call.device_lost(role))
        elif status == "ok" and role not in call.cameras:
            call.camera_restored(role, mailbox)

    def set_muted(self, muted: bool) -> None:
        """Mute the cabin microphone."""
        if self.call:
            self.call.set_muted(muted)

    async def hang_up(self) -> None:
        """The cabin ends the call."""
        if self.call is not None:
            await self.call.hangup("station")

    async def cancel(self, reason: str = "staff_cancelled") -> None:
        """Withdraw the encounter from the waiting room (before a doctor joined)."""
        from telecabine.protocol import signaling as sig

        if self.signaling is not None and self.encounter_id:
            with contextlib.suppress(SignalingError):
                await self.signaling.send(sig.Cancel(encounter_id=self.encounter_id, reason=reason))
        if self.call is not None:
            await self.call.close()

    # --- end -------------------------------------------------------------------------------------

    def _save_summary(self) -> None:
        draft = self.encounters.load_draft(self.encounter_id)
        data = dict(getattr(draft, "data", {}) or {})
        data["doctor_summary"] = self.summary
        self.encounters.save_draft(self.encounter_id, getattr(draft, "step", None) or "call", data)

    async def _after_end(self) -> None:
        """After the call: encounter to wrap_up (if the doctor was there), sockets closed."""
        enc = self.encounters.get(self.encounter_id)
        if enc.state == EncounterState.IN_CALL:
            self._advance(enc.state, EncounterState.WRAP_UP)
            if self.audit is not None:  # the doctor's end_call summary says who ended it
                self.audit.call_ended(self.encounter_id, "doctor" if self.summary else "station")
        if self.signaling is not None:
            await self.signaling.close()
        for unsub in self._unsubscribe:
            unsub()
        self._unsubscribe.clear()
        for cb in self.events.ended:
            cb(self.summary)

    def _advance(self, current: str, to: EncounterState) -> None:
        """One step through the domain state machine (raises ``IllegalTransition``), stored only
        if nobody moved the encounter meanwhile (checked again in the store's transaction)."""
        transition(EncounterState(current), to)
        self.encounters.set_state(
            self.encounter_id, to, expected_from=current, check_transition=True
        )

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("consultation task failed", exc_info=task.exception())

    async def wait_ended(self) -> None:
        """Wait for the post-call steps to finish (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
