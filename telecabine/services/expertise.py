"""Télé-expertise from the station: ask a specialist about a patient with full-resolution
photos, the vitals that matter and a question; the answer comes back days later.

:class:`ExpertiseService` builds and queues a request (``protocol.expertise``) with its photos
in one store transaction; :class:`ExpertiseSyncWorker` sends it exactly once when the hub is
reachable (offline cabins queue, like billing: the request uuid is the idempotency key; 409 →
parked "conflict", 422 → parked "refused" with the hub's reason, e.g. the 4-per-year limit;
network/5xx → retried with full-jitter back-off), then fetches the answers and keeps them
(text, outcome, PDF, the TE2/RQD acts the hub recorded) with the request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from telecabine.domain.errors import DomainError
from telecabine.protocol.expertise import ExpertiseAnswer, ExpertiseRequest
from telecabine.services.audit import AuditTrail
from telecabine.store.repositories.expertise import PhotoIn
from telecabine.sync.backoff import Backoff
from telecabine.sync.passes import PassLoop

if TYPE_CHECKING:
    from telecabine.devices.still import Still
    from telecabine.store.engine import Store
    from telecabine.sync.expertise_client import ExpertiseClient

log = logging.getLogger(__name__)


class ExpertiseInputError(DomainError):
    """The request cannot be sent as it is (``field`` names what to correct)."""


@dataclass(frozen=True)
class RequesterInfo:
    """The professional asking (requérant)."""

    name: str
    role: str  # doctor | nurse | pharmacist | care_assistant | admin
    rpps: str | None = None


@dataclass(frozen=True)
class ExpertiseView:
    """One request as the station's list shows it."""

    request_uuid: str
    created_at: datetime
    status: str  # pending | sent | answered | refused | conflict
    expert_username: str
    urgency: str
    question: str
    photos: int
    answer: ExpertiseAnswer | None
    refusal_fr: str | None
    refusal_en: str | None


_FIELD_OF = {"question": "question", "expert_username": "expert", "urgency": "urgency",
             "photos": "photos", "requester": "requester", "patient": "patient"}  # fmt: skip


class ExpertiseService:
    """Builds, queues and lists télé-expertise requests (the screen calls this)."""

    def __init__(
        self,
        store: Store,
        *,
        station_id: str,
        on_queued: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._station_id = station_id
        self._on_queued = on_queued
        self._clock = clock

    def create(
        self,
        *,
        patient_id: int,
        question: str,
        urgency: str,
        expert_username: str,
        stills: Sequence[Still],
        requester: RequesterInfo,
        vital_codes: Sequence[str] = (),
        encounter_id: str | None = None,
        staff_id: int | None = None,
    ) -> str:
        """Validate and queue a request with its photos; returns its uuid. Raises
        :class:`ExpertiseInputError` (code + FR/EN + field) for what must be corrected."""
        patient = self._store.patients.get(patient_id)
        now = self._clock()
        request_uuid = str(uuid.uuid4())
        vitals = self._vitals(encounter_id, vital_codes)
        photos = [
            PhotoIn(s.jpeg, hashlib.sha256(s.jpeg).hexdigest(), s.width, s.height, s.role)
            for s in stills
        ]
        try:
            req = ExpertiseRequest(
                request_uuid=uuid.UUID(request_uuid), station_id=self._station_id,
                created_at=now, expert_username=expert_username, urgency=urgency,
                question=question,
                patient={"birth_name": patient.birth_name, "first_names": patient.first_names,
                         "birth_date": patient.birth_date,
                         "sex": patient.sex if patient.sex in ("M", "F") else "X",
                         "nir": patient.nir, "ins_qualified": patient.ins_status == "qualifiee"},
                requester={"name": requester.name, "role": requester.role,
                           "rpps": requester.rpps},
                vitals=vitals,
                photos=[{"sha256": p.sha256, "size": len(p.content), "width": p.width,
                         "height": p.height, "source": p.source} for p in photos],
            )  # fmt: skip
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            field = _FIELD_OF.get(str(first["loc"][0]), str(first["loc"][0]))
            raise ExpertiseInputError(
                f"expertise_{field}_invalid",
                f"Demande incomplète ou invalide : {field}.",
                f"Incomplete or invalid request: {field}.",
                field=field,
            ) from None
        self._store.expertise.create(
            request_uuid, patient_id=patient_id, payload=req.model_dump(mode="json"),
            photos=photos, encounter_id=encounter_id, staff_id=staff_id, now=now,
        )  # fmt: skip
        AuditTrail(self._store).expertise_event(staff_id, request_uuid, "queued", now=now)
        if self._on_queued is not None:
            self._on_queued()
        return request_uuid

    def _vitals(self, encounter_id: str | None, codes: Sequence[str]) -> list[dict[str, Any]]:
        if not encounter_id or not codes:
            return []
        latest: dict[str, Any] = {}
        for o in self._store.encounters.observations(encounter_id):
            if o.code in codes:
                latest[o.code] = o
        return [{"code": o.code, "value": o.value, "unit": o.unit, "flag": o.flag,
                 "measured_at": o.measured_at} for o in latest.values()]  # fmt: skip

    def recent(self, limit: int = 50) -> list[ExpertiseView]:
        """The latest requests with their state and answer."""
        out = []
        for row in self._store.expertise.recent(limit):
            payload = json.loads(row.payload_json)
            answer = (
                ExpertiseAnswer.model_validate_json(row.answer_json) if row.answer_json else None
            )
            refusal = json.loads(row.last_error) if row.status == "refused" else {}
            out.append(
                ExpertiseView(
                    request_uuid=row.request_uuid,
                    created_at=row.created_at,
                    status=row.status,
                    expert_username=payload["expert_username"],
                    urgency=payload["urgency"],
                    question=payload["question"],
                    photos=len(payload["photos"]),
                    answer=answer,
                    refusal_fr=refusal.get("message_fr"),
                    refusal_en=refusal.get("message_en"),
                )
            )
        return out

    def measured_vitals(self, encounter_id: str | None) -> list[tuple[str, float, str]]:
        """The latest value of each vital measured in the encounter (code, value, unit)."""
        if not encounter_id:
            return []
        latest: dict[str, tuple[str, float, str]] = {}
        for o in self._store.encounters.observations(encounter_id):
            latest[o.code] = (o.code, o.value, o.unit)
        return list(latest.values())

    def mark_printed(self, request_uuid: str) -> None:
        """The answer was printed (audited)."""
        self._store.expertise.mark_printed(request_uuid, self._clock())
        AuditTrail(self._store).expertise_event(None, request_uuid, "printed", now=self._clock())

    def answer_pdf(self, request_uuid: str) -> bytes | None:
        """The expert's PDF, when she attached one."""
        return self._store.expertise.get(request_uuid).answer_pdf


@dataclass(frozen=True)
class SyncPass:
    """What one pass did."""

    sent: int
    answers: int
    stopped: str | None = None  # "unauthorized" when the hub refused the token


class ExpertiseSyncWorker(PassLoop):
    """Sends queued requests and fetches answers on the running asyncio loop."""

    def __init__(
        self,
        store: Store,
        client: ExpertiseClient,
        *,
        backoff: Backoff | None = None,
        idle_s: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_answer: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(idle_s)
        self._store = store
        self._client = client
        self._backoff = backoff or Backoff(base_s=5.0, cap_s=300.0)
        self._clock = clock
        self._on_answer = on_answer

    async def sync_once(self) -> SyncPass:
        """Send what is due (request then photos), then fetch new answers."""
        sent = 0
        due = await asyncio.to_thread(self._store.expertise.due, 10, self._clock())
        for row in due:
            outcome = await self._send(row)
            if outcome == "sent":
                sent += 1
            elif outcome in ("retry", "unauthorized"):
                if outcome == "unauthorized":
                    return SyncPass(sent, 0, "unauthorized")
                break  # the hub is unreachable: the others would fail the same way
        answers = await self._fetch_answers()
        return SyncPass(sent, answers)

    async def _send(self, row) -> str:
        payload = json.loads(row.payload_json)
        res = await self._client.file_request(payload)
        if res.status in (200, 201):
            photos = await asyncio.to_thread(self._store.expertise.photos, row.request_uuid)
            for p in photos:
                put = await self._client.put_photo(row.request_uuid, p.idx, p.content)
                if put.status != 200:
                    return await self._failed(row, put.status, put.body, put.error)
            await asyncio.to_thread(
                self._store.expertise.mark_sent, row.request_uuid, self._clock()
            )
            return "sent"
        return await self._failed(row, res.status, res.body, res.error)

    async def _failed(self, row, status: int, body: Any, error: str | None) -> str:
        repo = self._store.expertise
        if status == 401:
            return "unauthorized"
        if status == 409:
            await asyncio.to_thread(repo.park, row.request_uuid, "conflict", "409 conflict")
            return "parked"
        if status == 422:
            err = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            reason = {"code": err.get("code", "invalid"),
                      "message_fr": err.get("message_fr") or err.get("message"),
                      "message_en": err.get("message_en") or err.get("message")}  # fmt: skip
            await asyncio.to_thread(repo.park, row.request_uuid, "refused", json.dumps(reason))
            return "parked"
        retry_at = self._clock() + self._backoff.delay(row.attempts)
        what = error or f"http {status}"
        await asyncio.to_thread(repo.mark_retry, row.request_uuid, what, retry_at)
        return "retry"

    async def _fetch_answers(self) -> int:
        last = await asyncio.to_thread(self._store.expertise.last_answered_at)
        res = await self._client.answers(last.isoformat() if last else None)
        if res.status != 200 or not isinstance(res.body, dict):
            return 0
        n = 0
        for item in res.body.get("answers", []):
            try:
                answer = ExpertiseAnswer.model_validate(item)
            except ValidationError:
                log.warning("answer refused: malformed")
                continue
            pdf = base64.b64decode(answer.pdf_b64) if answer.pdf_b64 else None
            kept = answer.model_dump(mode="json", exclude={"pdf_b64"})
            saved = await asyncio.to_thread(
                self._store.expertise.save_answer, str(answer.request_uuid), kept,
                answer.answered_at, pdf,
            )  # fmt: skip
            if saved:
                n += 1
                if self._on_answer is not None:
                    self._on_answer(str(answer.request_uuid))
        return n

    async def run_pass(self) -> SyncPass:
        """One pass of the loop (:class:`PassLoop`)."""
        return await self.sync_once()

    async def aclose(self) -> None:
        """Stop the loop and close the HTTP session."""
        await self.stop_loop()
        await self._client.close()
