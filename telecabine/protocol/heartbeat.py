"""Station heartbeat (``POST /api/v1/stations/heartbeat``, station token) and the TLM
allowance answer (``GET /api/v1/stations/tlm-allowance``). No patient data in either.

A heartbeat says the cabin is alive and how it is: software version, last equipment check per
item, billing records waiting in the outbox, last successful sync, free disk, clock skew and the
head of its audit chain (so the hub notices a chain cut or rewritten after it saw it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

HEARTBEAT_PATH = "/api/v1/stations/heartbeat"
TLM_ALLOWANCE_PATH = "/api/v1/stations/tlm-allowance"
MY_ACTIVITY_PATH = "/api/v1/stations/activity"
MAX_EQUIPMENT_ITEMS = 32

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EquipmentStatus(_Strict):
    """Last check of one item (camera, otoscope, spo2...): ok or a failure code."""

    item: Code
    ok: bool
    code: Code | None = None  # failure code for the fleet page (e.g. "not_found")
    checked_at: AwareDatetime | None = None


class AuditHead(_Strict):
    """Last entry of the station's hash-chained audit trail: (seq, sha256 hex)."""

    seq: Annotated[int, Field(ge=0)]
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Heartbeat(_Strict):
    """What a station reports every ``heartbeat_interval_s`` (20 s by default)."""

    version: Annotated[str, Field(min_length=1, max_length=32)]
    sent_at: AwareDatetime  # station clock: the hub derives the skew from it
    equipment: Annotated[list[EquipmentStatus], Field(max_length=MAX_EQUIPMENT_ITEMS)] = []
    pending_outbox: Annotated[int, Field(ge=0)] = 0
    last_sync_at: AwareDatetime | None = None
    free_disk_bytes: Annotated[int, Field(ge=0)] | None = None
    audit_head: AuditHead | None = None


class HeartbeatAck(_Strict):
    """The hub's answer: its clock (the station shows skew) and the audit verdict."""

    received_at: AwareDatetime
    clock_skew_s: int
    audit_flag: str | None = None


class TlmAllowance(_Strict):
    """TLM used this year by the organisation the station belongs to (cap per pharmacy)."""

    year: int
    organisation: str | None  # None: the station has no organisation; the count is its own
    used: str  # decimal string, e.g. "245.00"
    cap: str  # "750.00"
    stations: int
