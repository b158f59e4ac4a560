"""Signaling and waiting-room messages between station, hub and doctor console (protocol v1).

Every message is a JSON object ``{"v": 1, "type": ..., ...}`` of at most 64 KiB. The station
connects to ``/ws/station`` (Bearer station token), the doctor's browser to ``/ws/doctor``
(session cookie). Both sides validate with these models; :func:`parse_message` turns any input
into a model or a :class:`~telecabine.protocol.envelope.ProtocolError` (never another exception).

Flow: station ``announce`` -> hub ``queued``/``position`` -> doctor ``take`` -> hub ``taken``
(doctor) + ``doctor_joined`` (station) -> station ``offer`` -> doctor ``answer`` (+ ``ice``)
-> ``hangup``/``cancel``. Extra fields are ignored (forward compatibility); missing or wrong
ones are an ``invalid`` error.

``error.code`` values: ``too_large``, ``bad_json``, ``bad_version``, ``unknown_type``,
``invalid``, ``not_allowed`` (parsing); ``already_taken``, ``not_found``, ``not_in_room``,
``conflict`` (encounter id used by another station), ``closed`` (re-announce of an ended or
cancelled encounter), ``rate_limited``, ``internal`` (hub). ``cancelled.reason`` from the hub:
``doctor_disconnected`` / ``station_disconnected`` after the grace delay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from telecabine.protocol.envelope import (
    ERR_INVALID,
    ERR_NOT_ALLOWED,
    ERR_UNKNOWN_TYPE,
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    ProtocolError,
    decode_envelope,
    describe_validation_error,
)

__all__ = [
    "DOCTOR_TO_HUB",
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "STATION_TO_HUB",
    "Announce",
    "Answer",
    "Cancel",
    "Cancelled",
    "DoctorJoined",
    "DoctorPublic",
    "Error",
    "Hangup",
    "Ice",
    "IceServer",
    "Offer",
    "Ping",
    "Pong",
    "Position",
    "ProtocolError",
    "Queue",
    "QueueEntry",
    "Queued",
    "SignalingMessage",
    "Take",
    "Taken",
    "encode",
    "error_from",
    "parse_message",
]

EncounterId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ShortText = Annotated[str, Field(max_length=200)]
Sdp = Annotated[str, Field(min_length=1, max_length=60_000)]


class _Message(BaseModel):
    """Base of every signaling message: protocol version and ``type`` tag."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = PROTOCOL_VERSION


class IceServer(BaseModel):
    """One RTCIceServer entry as the browser and aiortc expect it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None


class DoctorPublic(BaseModel):
    """What the station is told about the doctor who joins (no RPPS needed there)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(max_length=120)]
    specialty: Annotated[str, Field(max_length=120)]


# --- waiting room ------------------------------------------------------------------------------


class Announce(_Message):
    """Station -> hub: an encounter is ready; only what the doctor needs to choose."""

    type: Literal["announce"] = "announce"
    encounter_id: EncounterId
    reason: ShortText
    age_band: Annotated[str, Field(min_length=1, max_length=16)]
    flagged_vitals: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=20)] = []
    cabin: Annotated[str, Field(min_length=1, max_length=64)]


class Queued(_Message):
    """Hub -> station: the announce was accepted; 1-based position in the queue."""

    type: Literal["queued"] = "queued"
    encounter_id: EncounterId
    position: Annotated[int, Field(ge=1)]


class Position(_Message):
    """Hub -> station: the encounter moved in the queue."""

    type: Literal["position"] = "position"
    encounter_id: EncounterId
    position: Annotated[int, Field(ge=1)]


class DoctorJoined(_Message):
    """Hub -> station: a doctor took the encounter; the station now sends its ``offer``."""

    type: Literal["doctor_joined"] = "doctor_joined"
    encounter_id: EncounterId
    doctor: DoctorPublic
    ice_servers: list[IceServer] = []
    # "relay": use TURN relay candidates only (the hub's force_relay setting).
    ice_transport_policy: Literal["all", "relay"] = "all"


class Cancel(_Message):
    """Station or doctor -> hub: withdraw the encounter (queued or in call)."""

    type: Literal["cancel"] = "cancel"
    encounter_id: EncounterId
    reason: ShortText = ""


class Cancelled(_Message):
    """Hub -> the other side: the encounter was cancelled, by whom and why."""

    type: Literal["cancelled"] = "cancelled"
    encounter_id: EncounterId
    by: Literal["doctor", "station", "hub"]
    reason: ShortText = ""


class QueueEntry(BaseModel):
    """One waiting patient as the doctor sees it: never a name or a NIR."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    encounter_id: EncounterId
    reason: ShortText
    age_band: str
    flagged_vitals: list[str] = []
    cabin: str
    waiting_since: datetime
    waited_s: Annotated[int, Field(ge=0)]


class Queue(_Message):
    """Hub -> doctor: the whole waiting room (sent on connect and on every change)."""

    type: Literal["queue"] = "queue"
    entries: list[QueueEntry] = []


class Take(_Message):
    """Doctor -> hub: take this encounter (atomic: one doctor wins)."""

    type: Literal["take"] = "take"
    encounter_id: EncounterId


class Taken(_Message):
    """Hub -> doctor: the encounter is yours; the station's offer follows."""

    type: Literal["taken"] = "taken"
    encounter_id: EncounterId
    ice_servers: list[IceServer] = []
    ice_transport_policy: Literal["all", "relay"] = "all"
    # What the waiting room showed (no identity), so a console reloaded mid-call keeps its
    # header; optional for older hubs.
    cabin: Annotated[str, Field(max_length=64)] | None = None
    age_band: Annotated[str, Field(max_length=16)] | None = None
    reason: ShortText | None = None


# --- relayed inside an encounter room ------------------------------------------------------------


class Offer(_Message):
    """SDP offer (the station offers; a new offer is an ICE restart)."""

    type: Literal["offer"] = "offer"
    encounter_id: EncounterId
    sdp: Sdp


class Answer(_Message):
    """SDP answer (the browser answers)."""

    type: Literal["answer"] = "answer"
    encounter_id: EncounterId
    sdp: Sdp


class Ice(_Message):
    """One trickled ICE candidate (empty ``candidate`` = end of candidates)."""

    type: Literal["ice"] = "ice"
    encounter_id: EncounterId
    candidate: Annotated[str, Field(max_length=2_000)]
    sdpMid: Annotated[str, Field(max_length=64)] | None = None  # WebRTC field name
    sdpMLineIndex: Annotated[int, Field(ge=0, le=1_000)] | None = None


class Hangup(_Message):
    """Either side ends the call."""

    type: Literal["hangup"] = "hangup"
    encounter_id: EncounterId
    reason: ShortText = ""


# --- housekeeping --------------------------------------------------------------------------------


class Error(_Message):
    """Reply to a message that could not be accepted (``code`` stable, ``message`` bilingual)."""

    type: Literal["error"] = "error"
    code: Annotated[str, Field(max_length=64)]
    message: Annotated[str, Field(max_length=500)] = ""
    ref_type: Annotated[str, Field(max_length=64)] | None = None
    encounter_id: EncounterId | None = None


class Ping(_Message):
    """Keep-alive request."""

    type: Literal["ping"] = "ping"


class Pong(_Message):
    """Keep-alive reply."""

    type: Literal["pong"] = "pong"


SignalingMessage = Annotated[
    Announce
    | Queued
    | Position
    | DoctorJoined
    | Cancel
    | Cancelled
    | Queue
    | Take
    | Taken
    | Offer
    | Answer
    | Ice
    | Hangup
    | Error
    | Ping
    | Pong,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(SignalingMessage)
ALL_TYPES = frozenset(
    m.model_fields["type"].default
    for m in (
        Announce,
        Queued,
        Position,
        DoctorJoined,
        Cancel,
        Cancelled,
        Queue,
        Take,
        Taken,
        Offer,
        Answer,
        Ice,
        Hangup,
        Error,
        Ping,
        Pong,
    )
)
RELAYED_TYPES = frozenset({"offer", "answer", "ice", "hangup"})
STATION_TO_HUB = frozenset({"announce", "cancel", "ping", "pong", "error"} | RELAYED_TYPES)
DOCTOR_TO_HUB = frozenset({"take", "cancel", "ping", "pong", "error"} | RELAYED_TYPES)


def parse_message(raw: str | bytes, allowed: frozenset[str] | None = None) -> Any:
    """Parse one signaling message into its model.

    ``allowed`` restricts the types accepted (e.g. :data:`STATION_TO_HUB` on the hub's station
    socket). Raises :class:`ProtocolError` only.
    """
    data = decode_envelope(raw, max_bytes=MAX_MESSAGE_BYTES)
    msg_type = data["type"]
    if msg_type not in ALL_TYPES:
        raise ProtocolError(ERR_UNKNOWN_TYPE, ref_type=msg_type[:64])
    if allowed is not None and msg_type not in allowed:
        raise ProtocolError(ERR_NOT_ALLOWED, ref_type=msg_type)
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        detail = describe_validation_error(exc.errors(include_input=False))
        raise ProtocolError(
            ERR_INVALID,
            f"Message invalide / invalid message ({detail})"[:500],
            ref_type=msg_type,
        ) from None


def encode(message: BaseModel) -> str:
    """JSON text of a message (``None`` fields left out, as the browser side expects)."""
    return message.model_dump_json(exclude_none=True)


def error_from(exc: ProtocolError, encounter_id: str | None = None) -> Error:
    """The ``error`` message answering a rejected input."""
    return Error(
        code=exc.code, message=exc.message[:500], ref_type=exc.ref_type, encounter_id=encounter_id
    )
