"""Data-channel messages between the station and the doctor's browser (protocol v1).

The channel is labelled :data:`CHANNEL_LABEL`, created by the station, ordered and reliable,
and carries JSON text ``{"v": 1, "type": ...}`` of at most 64 KiB. :func:`parse` turns any
input into a model or a :class:`~telecabine.protocol.envelope.ProtocolError` (never another
exception); ``allowed`` restricts which direction's types are accepted
(:data:`DOCTOR_TO_STATION` on the station, :data:`STATION_TO_DOCTOR` in the browser).

Vitals carry LOINC codes and UCUM units (the values the BLE service publishes). Documents are
sent as ``document_begin`` / ``document_chunk`` (base64 of at most 16 KiB each) /
``document_end`` and verified with SHA-256 before being acknowledged with ``document_ack``.

Nothing is lost across a reconnection: a message that carries an ``id`` (chat, measurement
request, camera and stethoscope requests, vital) is kept by its sender until the other side
answers ``ack`` with that id, and sent again when a new channel opens; the receiver acts on an
id once and acknowledges duplicates without acting again. ``patient_context`` (station ->
doctor, on every channel open) tells the doctor who took the call who the patient is: INS
traits, the INS matricule only for a *qualified* identity (otherwise the NIR masked), the
reason, the parcours verdict, the vitals already measured and the accompanying professional.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

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
    "CAMERA_ROLES",
    "CHANNEL_LABEL",
    "DOCTOR_TO_STATION",
    "MAX_CHUNK_BYTES",
    "MAX_DOCUMENT_BYTES",
    "MEASUREMENT_KINDS",
    "STATION_TO_DOCTOR",
    "Ack",
    "CameraChanged",
    "Chat",
    "ContextEligibility",
    "ContextIdentity",
    "ContextStaff",
    "DataChannelMessage",
    "DoctorInfo",
    "DocumentAck",
    "DocumentBegin",
    "DocumentChunk",
    "DocumentEnd",
    "EndCall",
    "Error",
    "Hello",
    "MeasurementStatus",
    "PatientContext",
    "RequestMeasurement",
    "StethoscopeChanged",
    "StethoscopeRequest",
    "SwitchCamera",
    "Vital",
    "encode",
    "parse",
]

CHANNEL_LABEL = "telecabine"
MAX_CHUNK_BYTES = 16 * 1024  # decoded bytes per document_chunk
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # a prescription is a few pages; refuse anything larger
CAMERA_ROLES = ("room", "otoscope", "dermatoscope", "document")
MEASUREMENT_KINDS = ("temperature", "blood_pressure", "spo2", "weight", "heart_rate")

CameraRole = Literal["room", "otoscope", "dermatoscope", "document"]
MeasurementKind = Literal["temperature", "blood_pressure", "spo2", "weight", "heart_rate"]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Text = Annotated[str, Field(max_length=2000)]
Short = Annotated[str, Field(max_length=200)]
# base64 of 16 KiB is 21 848 characters (4 * ceil(16384 / 3)).
B64Chunk = Annotated[str, Field(min_length=1, max_length=21_848, pattern=r"^[A-Za-z0-9+/]+=*$")]


class _Message(BaseModel):
    """Base of every data-channel message: protocol version and ``type`` tag."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = PROTOCOL_VERSION


# --- station -> doctor ---------------------------------------------------------------------------


class Hello(_Message):
    """First message from the station: which cameras exist and which one is live."""

    type: Literal["hello"] = "hello"
    station_id: Short
    encounter_id: Id
    cameras: list[CameraRole] = []
    live_camera: CameraRole = "room"
    stethoscope: bool = False


class Vital(_Message):
    """One measurement (LOINC code, UCUM unit) as it arrives in the cabin."""

    type: Literal["vital"] = "vital"
    code: Annotated[str, Field(min_length=1, max_length=32)]
    label_fr: Short
    label_en: Short
    value: float | str
    unit: Annotated[str, Field(max_length=32)]
    method: Annotated[str, Field(max_length=80, pattern=r"^(manual|device:.+)$")]
    measured_at: datetime
    flag: Literal["normal", "low", "high", "critical"] | None = None
    id: Id | None = None  # set when sent live (acknowledged); absent inside patient_context


class CameraChanged(_Message):
    """The live camera changed (on the doctor's request or after a device loss)."""

    type: Literal["camera_changed"] = "camera_changed"
    role: CameraRole


class StethoscopeChanged(_Message):
    """The stethoscope was switched into (or out of) the outgoing audio."""

    type: Literal["stethoscope_changed"] = "stethoscope_changed"
    on: bool


class MeasurementStatus(_Message):
    """Progress of a measurement the doctor requested."""

    type: Literal["measurement_status"] = "measurement_status"
    kind: MeasurementKind
    status: Literal["requested", "in_progress", "done", "failed"]
    detail: Short = ""


class DocumentAck(_Message):
    """Result of receiving a document: stored and verified, or why not."""

    type: Literal["document_ack"] = "document_ack"
    id: Id
    ok: bool
    error: Short | None = None


class Error(_Message):
    """A message could not be accepted (``code`` stable, ``message`` bilingual)."""

    type: Literal["error"] = "error"
    code: Annotated[str, Field(max_length=64)]
    message: Annotated[str, Field(max_length=500)] = ""


INS_STATUSES = ("provisoire", "recuperee", "validee", "qualifiee")


class ContextIdentity(BaseModel):
    """The patient's INS traits as the doctor may see them.

    ``matricule`` (the INS matricule, grouped digits) and ``ins_oid`` only for a qualified
    identity (ANS "Référentiel INS"); otherwise at most ``nir_masked``.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    birth_name: Annotated[str, Field(min_length=1, max_length=100)]
    first_names: Annotated[str, Field(min_length=1, max_length=200)]
    used_name: Annotated[str, Field(max_length=100)] | None = None
    birth_date: date | None = None
    sex: Literal["M", "F", "I"] | None = None
    ins_status: Literal["provisoire", "recuperee", "validee", "qualifiee"] = "provisoire"
    matricule: Annotated[str, Field(pattern=r"^[0-9AB ]{15,21}$")] | None = None
    ins_oid: Annotated[str, Field(pattern=r"^(urn:oid:)?[0-9.]{1,64}$")] | None = None
    nir_masked: Annotated[str, Field(max_length=32)] | None = None
    no_nir_reason: Annotated[str, Field(max_length=40)] | None = None

    @model_validator(mode="after")
    def _matricule_only_when_qualified(self) -> ContextIdentity:
        if (self.matricule or self.ins_oid) and self.ins_status != "qualifiee":
            raise ValueError("matricule INS réservé à une identité qualifiée / INS number only"
                             " for a qualified identity")  # fmt: skip
        return self


class ContextEligibility(BaseModel):
    """The parcours de soins verdict of the intake answers (None = not known)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    in_parcours: bool | None = None
    explanation_fr: Text = ""
    explanation_en: Text = ""


class ContextStaff(BaseModel):
    """The professional accompanying the patient in the cabin."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=120)]
    role: Literal["pharmacist", "nurse", "care_assistant", "admin", "other"] = "other"


class PatientContext(_Message):
    """What the doctor who took the call needs: sent on every channel open (never in the
    waiting room, which shows no identity)."""

    type: Literal["patient_context"] = "patient_context"
    encounter_id: Id
    identity: ContextIdentity | None = None
    reason: Text = ""
    eligibility: ContextEligibility | None = None
    vitals: Annotated[list[Vital], Field(max_length=64)] = []
    staff: ContextStaff | None = None


class Ack(_Message):
    """Receipt of a message that carried ``id`` (either direction)."""

    type: Literal["ack"] = "ack"
    id: Id


# --- either direction ----------------------------------------------------------------------------


class Chat(_Message):
    """A short text message in the call."""

    type: Literal["chat"] = "chat"
    id: Id
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    at: datetime
    from_: Literal["station", "doctor"] = Field(alias="from")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


# --- doctor -> station ---------------------------------------------------------------------------


class RequestMeasurement(_Message):
    """The doctor asks the cabin to take a measurement."""

    type: Literal["request_measurement"] = "request_measurement"
    kind: MeasurementKind
    id: Id | None = None


class SwitchCamera(_Message):
    """The doctor asks for another camera on the same video track."""

    type: Literal["switch_camera"] = "switch_camera"
    role: CameraRole
    id: Id | None = None


class StethoscopeRequest(_Message):
    """The doctor switches the stethoscope on or off."""

    type: Literal["stethoscope"] = "stethoscope"
    on: bool
    id: Id | None = None


class DocumentBegin(_Message):
    """Start of a PDF transfer: size, SHA-256 (hex) and the number of chunks that follow."""

    type: Literal["document_begin"] = "document_begin"
    id: Id
    kind: Literal["prescription", "report"]
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00]+$")]
    mime: Literal["application/pdf"] = "application/pdf"
    size: Annotated[int, Field(ge=1, le=MAX_DOCUMENT_BYTES)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
    chunks: Annotated[int, Field(ge=1, le=MAX_DOCUMENT_BYTES // 1024)]


class DocumentChunk(_Message):
    """One piece of a document (base64 of at most 16 KiB), ``index`` from 0."""

    type: Literal["document_chunk"] = "document_chunk"
    id: Id
    index: Annotated[int, Field(ge=0)]
    data: B64Chunk


class DocumentEnd(_Message):
    """End of a document transfer: the station verifies and acknowledges."""

    type: Literal["document_end"] = "document_end"
    id: Id


class DoctorInfo(BaseModel):
    """The doctor who signs the act (RPPS: 11 digits)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=120)]
    rpps: Annotated[str, Field(pattern=r"^\d{11}$")]
    specialty: Annotated[str, Field(max_length=120)] = ""


class EndCall(_Message):
    """The doctor ends the consultation with its summary (NGAP act code and outcome)."""

    type: Literal["end_call"] = "end_call"
    act_code: Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[A-Z0-9]+$")]
    outcome: Literal["prescription", "advice", "referral", "emergency", "other"]
    note: Text | None = None
    doctor: DoctorInfo


_ALL = (
    Hello,
    PatientContext,
    Ack,
    Vital,
    CameraChanged,
    StethoscopeChanged,
    MeasurementStatus,
    DocumentAck,
    Error,
    Chat,
    RequestMeasurement,
    SwitchCamera,
    StethoscopeRequest,
    DocumentBegin,
    DocumentChunk,
    DocumentEnd,
    EndCall,
)
DataChannelMessage = Annotated[
    Hello
    | PatientContext
    | Ack
    | Vital
    | CameraChanged
    | StethoscopeChanged
    | MeasurementStatus
    | DocumentAck
    | Error
    | Chat
    | RequestMeasurement
    | SwitchCamera
    | StethoscopeRequest
    | DocumentBegin
    | DocumentChunk
    | DocumentEnd
    | EndCall,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(DataChannelMessage)
ALL_TYPES = frozenset(m.model_fields["type"].default for m in _ALL)
STATION_TO_DOCTOR = frozenset(
    {
        "hello",
        "patient_context",
        "ack",
        "vital",
        "camera_changed",
        "stethoscope_changed",
        "measurement_status",
        "chat",
        "document_ack",
        "error",
    }
)
DOCTOR_TO_STATION = frozenset(
    {
        "ack",
        "request_measurement",
        "switch_camera",
        "stethoscope",
        "chat",
        "document_begin",
        "document_chunk",
        "document_end",
        "end_call",
        "error",
    }
)


def parse(raw: str | bytes, allowed: frozenset[str] | None = None) -> Any:
    """Parse one data-channel message into its model; raises :class:`ProtocolError` only."""
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
            ERR_INVALID, f"Message invalide / invalid message ({detail})"[:500], ref_type=msg_type
        ) from None


def encode(message: BaseModel) -> str:
    """JSON text of a message (aliases used, ``None`` fields left out)."""
    return message.model_dump_json(by_alias=True, exclude_none=True)


def error_from(exc: ProtocolError) -> Error:
    """The ``error`` message answering a rejected input."""
    return Error(code=exc.code, message=exc.message[:500])
