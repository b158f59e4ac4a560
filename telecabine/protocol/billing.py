"""Billing record sent by a station to the hub (``POST /api/v1/billing-records``).

Also the batch envelope of ``POST /api/v1/billing-records/batch`` (version 1): up to
:data:`MAX_BATCH_RECORDS` records, each with its own idempotency key, stored in one hub
transaction and answered record by record (see :class:`BatchRequest`, :class:`BatchItemResult`).

The station's job is a correct, complete, synced record of the acts of one teleconsultation
(not the FSE itself, which goes through SESAM-Vitale software). Amounts are decimal strings with
two decimals ("25.00"), never floats. The record's ``record_uuid`` is also the request's
``Idempotency-Key``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

_CENT = Decimal("0.01")


def _no_float(value: Any) -> Any:
    """Amounts must be strings (or ints/Decimals): a float has already lost cents."""
    if isinstance(value, float | bool):
        raise ValueError("amount must be a decimal string like '25.00'")
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError("amount must be a decimal string like '25.00'") from exc
    return value


def _to_cents(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be finite")
    if value != value.quantize(_CENT):
        raise ValueError("amount has more than two decimals")
    return value.quantize(_CENT)


Amount = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, le=Decimal("100000")),
    AfterValidator(_to_cents),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
]
"""Euro amount, >= 0, exactly two decimals, serialised as a string."""

Rpps = Annotated[str, Field(pattern=r"^[0-9]{11}$")]
"""RPPS number: 11 digits."""

_NIR_RE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$")


def nir_key_ok(nir: str) -> bool:
    """Check a 15-character NIR's key: 97 - (first 13 digits mod 97), 2A->19, 2B->18 (Corsica)."""
    body = nir[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or len(body) != 13:
        return False
    return 97 - int(body) % 97 == int(nir[13:])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Patient(_Strict):
    """Patient identity needed on the bill (FSE data): names, NIR, birth date, rang gémellaire."""

    birth_name: Annotated[str, Field(min_length=1, max_length=100)]
    first_names: Annotated[str, Field(min_length=1, max_length=200)]
    nir: str | None = None
    birth_date: date
    rang_gemellaire: Annotated[int, Field(ge=1, le=9)] | None = None

    @field_validator("nir")
    @classmethod
    def _nir_valid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = value.replace(" ", "").upper()
        if not _NIR_RE.match(compact):
            raise ValueError("NIR must have 15 characters (13 + key)")
        if not nir_key_ok(compact):
            raise ValueError("NIR key does not match")
        return compact


class Accompanying(_Strict):
    """The professional present with the patient (pharmacist: TLM, nurse: TLS/TLL/TLD)."""

    role: Literal["pharmacist", "nurse", "doctor", "other"]
    staff_name: Annotated[str, Field(min_length=1, max_length=120)]
    rpps: Rpps | None = None
    am_number: Annotated[str, Field(pattern=r"^[0-9A-Z]{8,9}$")] | None = None
    act_code: Literal["TLM", "TLS", "TLL", "TLD"] | None = None
    amount: Amount


class Doctor(_Strict):
    """The teleconsulting doctor and the act billed (NGAP code: TCG, TC, TE2...)."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    rpps: Rpps
    specialty: Annotated[str, Field(min_length=1, max_length=120)]
    act_code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,5}$")]
    amount: Amount


class Coverage(_Strict):
    """Who pays what (AMO = Assurance Maladie, AMC = complémentaire)."""

    amo: Amount
    amc: Amount
    patient: Amount
    participation_forfaitaire: Amount


class BillingRecord(_Strict):
    """One teleconsultation's billing record, as synced from the station's outbox."""

    record_uuid: UUID
    station_id: Annotated[str, Field(min_length=1, max_length=64)]
    encounter_id: Annotated[str, Field(min_length=1, max_length=64)]
    created_at: AwareDatetime
    act_date: date
    patient: Patient
    accompanying: Accompanying
    doctor: Doctor
    coverage: Coverage
    exoneration: Literal["ald", "maternity", "ehpad", "other"] | None = None
    in_parcours: bool
    currency: Literal["EUR"] = "EUR"

    def canonical_json(self) -> str:
        """Deterministic JSON (sorted keys) used to compare a replay with the stored record."""
        import json

        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


BATCH_PATH = "/api/v1/billing-records/batch"
BATCH_VERSION = 1
MAX_BATCH_RECORDS = 500
"""Largest batch the hub accepts (more -> 413 ``batch_too_large``: split and send again)."""
MAX_BATCH_BYTES = 2 * 1024 * 1024
"""Largest batch body in bytes (a record is ~1 KiB, at most ~3 KiB with the longest names)."""

BatchOutcome = Literal["created", "replayed", "conflict", "invalid", "forbidden"]
BATCH_HTTP_STATUS: dict[str, int] = {
    "created": 201,
    "replayed": 200,
    "conflict": 409,
    "invalid": 422,
    "forbidden": 403,
}
"""The single-record endpoint's status for each per-record outcome (clients reuse its rules)."""


class BatchItem(BaseModel):
    """One entry of a batch: the record's idempotency key and its body (validated one by one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: Annotated[str, Field(min_length=1, max_length=64)]
    record: dict[str, Any]


class BatchRequest(BaseModel):
    """Body of ``POST /api/v1/billing-records/batch``: ``{"v": 1, "records": [BatchItem...]}``.

    Only the envelope is checked here; each record is validated on its own so that one bad
    record is answered ``invalid`` without blocking the others.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1]
    records: Annotated[list[BatchItem], Field(min_length=1, max_length=MAX_BATCH_RECORDS)]


class BatchItemResult(BaseModel):
    """Answer for one record of a batch, in request order (``index``).

    ``status`` is what the single-record endpoint would have answered (201/200/409/422/403);
    ``error`` has the same ``{code, message, fields?}`` shape as its error bodies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    idempotency_key: str
    outcome: BatchOutcome
    status: int
    received_at: AwareDatetime | None = None
    error: dict[str, Any] | None = None


class BatchResponse(BaseModel):
    """Body of a 200 answer to a batch: one result per record, same order as the request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    results: list[BatchItemResult]


CSV_COLUMNS: tuple[str, ...] = (
    "record_uuid",
    "station_id",
    "encounter_id",
    "created_at",
    "act_date",
    "patient.birth_name",
    "patient.first_names",
    "patient.nir",
    "patient.birth_date",
    "patient.rang_gemellaire",
    "accompanying.role",
    "accompanying.staff_name",
    "accompanying.rpps",
    "accompanying.am_number",
    "accompanying.act_code",
    "accompanying.amount",
    "doctor.name",
    "doctor.rpps",
    "doctor.specialty",
    "doctor.act_code",
    "doctor.amount",
    "coverage.amo",
    "coverage.amc",
    "coverage.patient",
    "coverage.participation_forfaitaire",
    "exoneration",
    "in_parcours",
    "currency",
)
"""Column order of the operator's CSV export (dotted paths into the record's JSON)."""


def flatten(record_json: dict[str, Any]) -> list[str]:
    """One CSV row (strings) from a record's JSON dict, in :data:`CSV_COLUMNS` order."""
    row = []
    for col in CSV_COLUMNS:
        value: Any = record_json
        for part in col.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        row.append(
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
    return row
