"""Télé-expertise between a station and its hub (version 1).

``POST /api/v1/expertise`` (station token): an :class:`ExpertiseRequest` without the photos'
bytes; ``request_uuid`` is the idempotency key (same body → 200, other body → 409). Then each
photo: ``PUT /api/v1/expertise/{uuid}/photos/{index}`` with the JPEG bytes, checked against its
SHA-256 in the manifest (idempotent). The request is open to the expert once every photo
arrived. ``GET /api/v1/expertise/answers?since=`` returns :class:`ExpertiseAnswer` items for
the station's requests.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 12 * 1024 * 1024
EXPERTISE_PATH = "/api/v1/expertise"
ANSWERS_PATH = "/api/v1/expertise/answers"

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ExpertisePatient(_Strict):
    """Identity the expert needs to answer and to bill TE2 (NIR for the bill)."""

    birth_name: Annotated[str, Field(min_length=1, max_length=100)]
    first_names: Annotated[str, Field(min_length=1, max_length=200)]
    birth_date: date
    sex: Literal["M", "F", "X"]
    nir: Annotated[str, Field(pattern=r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$")] | None = None
    ins_qualified: bool = False


class Requester(_Strict):
    """The professional asking (requérant)."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    role: Literal["doctor", "nurse", "pharmacist", "care_assistant", "admin"]
    rpps: Annotated[str, Field(pattern=r"^[0-9]{11}$")] | None = None


class VitalLine(_Strict):
    """A selected vital sign (LOINC + UCUM) measured for the patient."""

    code: Annotated[str, Field(pattern=r"^[0-9]{1,7}-[0-9]$")]
    value: float
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    flag: Literal["normal", "low", "high", "critical"] | None = None
    measured_at: AwareDatetime


class PhotoManifest(_Strict):
    """One still photo: its checksum, size and pixel dimensions."""

    sha256: Sha256
    size: Annotated[int, Field(gt=0, le=MAX_PHOTO_BYTES)]
    width: Annotated[int, Field(gt=0, le=20000)]
    height: Annotated[int, Field(gt=0, le=20000)]
    source: Literal["dermatoscope", "document", "otoscope", "room"]


class ExpertiseRequest(_Strict):
    """A télé-expertise request as the station sends it."""

    v: Literal[1] = 1
    request_uuid: UUID
    station_id: Annotated[str, Field(min_length=1, max_length=64)]
    created_at: AwareDatetime
    expert_username: Annotated[str, Field(min_length=1, max_length=120)]
    urgency: Literal["routine", "urgent"]
    question: Annotated[str, Field(min_length=3, max_length=4000)]
    patient: ExpertisePatient
    requester: Requester
    vitals: Annotated[list[VitalLine], Field(max_length=20)] = []
    photos: Annotated[list[PhotoManifest], Field(max_length=MAX_PHOTOS)] = []

    def canonical_json(self) -> str:
        """Deterministic JSON used to compare a replay with the stored request."""
        import json

        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


class BilledAct(_Strict):
    """An act the hub recorded for this télé-expertise (TE2 expert, RQD requérant)."""

    code: Literal["TE2", "RQD"]
    amount: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]{2}$")]
    biller: Literal["expert", "requester"]


class ExpertiseAnswer(_Strict):
    """The expert's answer, as the station receives it."""

    request_uuid: UUID
    answered_at: datetime
    outcome: Literal["answered", "needs_teleconsultation"]
    text: Annotated[str, Field(min_length=1, max_length=8000)]
    expert_name: str
    expert_rpps: str
    pdf_b64: str | None = None
    acts: list[BilledAct] = []
    rqd_refused: str | None = None
