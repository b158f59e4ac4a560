"""Encounters: lifecycle state, crash-safe intake draft, search, closing with billing.

The legal transitions live in ``telecabine.domain`` (the encounter state machine); this
repository stores the state the service decided on, and refuses values outside
``ENCOUNTER_STATES`` or a change from an unexpected state (``expected_from``: lost update guard).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from telecabine.domain.encounter import EncounterState, transition
from telecabine.store.clock import utc_now
from telecabine.store.errors import IntegrityProblem, not_found
from telecabine.store.repositories.audit import append_in
from telecabine.store.repositories.patients import seen
from telecabine.store.repositories.records import EncounterRecordsMixin
from telecabine.store.search_keys import (
    day_bounds,
    looks_like_nir_prefix,
    name_key,
    normalise_nir,
    parse_search_date,
    prefix_upper_bound,
)
from telecabine.store.tables import (
    ENCOUNTER_STATES,
    BillingRecordRow,
    Document,
    Encounter,
    OutboxEntry,
    Patient,
    PharmacistTally,
)

if TYPE_CHECKING:
    from telecabine.store.engine import Store

RESUMABLE_STATES = ("created", "identified", "consented", "measuring", "in_call", "wrap_up")
TERMINAL_STATES = ("closed", "abandoned")


@dataclass(frozen=True)
class Draft:
    """The in-progress intake of an encounter: last step reached and the form data."""

    encounter_id: str
    step: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class EncounterSummary:
    """One search hit: the encounter and the identity shown in a result list."""

    encounter_id: str
    state: str
    created_at: datetime
    patient_id: int | None
    birth_name: str | None
    first_names: str | None
    birth_date: date | None


def _summary(e: Encounter, p: Patient | None) -> EncounterSummary:
    return EncounterSummary(
        encounter_id=e.id,
        state=e.state,
        created_at=e.created_at,
        patient_id=e.patient_id,
        birth_name=p.birth_name if p else None,
        first_names=p.first_names if p else None,
        birth_date=p.birth_date if p else None,
    )


class EncounterRepository(EncounterRecordsMixin):
    """The only way to read or write encounters and what hangs off them."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- lifecycle -------------------------------------------------------------------------
    def create(
        self,
        station_id: str,
        staff_id: int | None = None,
        now: datetime | None = None,
        encounter_id: str | None = None,
    ) -> Encounter:
        """A new encounter in state ``created`` (uuid4 id unless given)."""
        ts = utc_now(now)
        enc = Encounter(
            id=encounter_id or str(uuid.uuid4()),
            state="created",
            station_id=station_id,
            staff_id=staff_id,
            created_at=ts,
            updated_at=ts,
        )
        with self._store.write() as session:
            session.add(enc)
        return enc

    def get(self, encounter_id: str) -> Encounter:
        """The encounter or ``NotFoundError``."""
        with self._store.read() as session:
            enc = session.get(Encounter, encounter_id)
        if enc is None:
            raise not_found("encounter", encounter_id)
        return enc

    def set_state(
        self,
        encounter_id: str,
        state: str,
        now: datetime | None = None,
        *,
        abandon_reason: str | None = None,
        expected_from: str | None = None,
        check_transition: bool = True,
    ) -> Encounter:
        """Store a new state (``abandoned`` needs a reason; terminal states set ``closed_at``).

        The domain state machine (``telecabine.domain.encounter.transition``) validates the move
        inside the same transaction and raises ``IllegalTransition`` for an illegal one.
        ``check_transition=False`` is for repairs by support tooling only, never for a flow.
        """
        state = str(getattr(state, "value", state))
        if state not in ENCOUNTER_STATES:
            raise ValueError(f"unknown encounter state {state!r}")
        if state == "abandoned" and not abandon_reason:
            raise IntegrityProblem(
                "Indiquez la raison de l'abandon.", "Give the reason for abandoning."
            )
        ts = utc_now(now)
        with self._store.write() as session:
            enc = session.get(Encounter, encounter_id)
            if enc is None:
                raise not_found("encounter", encounter_id)
            if expected_from is not None and enc.state != str(
                getattr(expected_from, "value", expected_from)
            ):
                raise IntegrityProblem(
                    f"La consultation a changé d'état entre-temps ({enc.state}).",
                    f"The encounter changed state meanwhile ({enc.state}).",
                )
            if check_transition:
                transition(
                    EncounterState(enc.state),
                    EncounterState(state),
                    reason=abandon_reason if state == "abandoned" else None,
                )
            enc.state = state
            enc.abandon_reason = abandon_reason if state == "abandoned" else enc.abandon_reason
            enc.updated_at = ts
            if state in TERMINAL_STATES:
                enc.closed_at = ts
            session.add(enc)
        return enc

    def attach_patient(
        self, encounter_id: str, patient_id: int, now: datetime | None = None
    ) -> Encounter:
        """Link the identified patient to the encounter."""
        with self._store.write() as session:
            enc = session.get(Encounter, encounter_id)
            if enc is None:
                raise not_found("encounter", encounter_id)
            if session.get(Patient, patient_id) is None:
                raise not_found("patient", patient_id)
            enc.patient_id = patient_id
            enc.updated_at = utc_now(now)
            session.add(enc)
        return enc

    # --- crash-safe draft --------------------------------------------------------------------
    def save_draft(
        self, encounter_id: str, step: str, data: dict[str, Any], now: datetime | None = None
    ) -> None:
        """Replace the intake draft (JSON-serialisable ``data``) and the step reached."""
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        with self._store.write() as session:
            enc = session.get(Encounter, encounter_id)
            if enc is None:
                raise not_found("encounter", encounter_id)
            enc.draft_step = step
            enc.draft_json = payload
            enc.updated_at = utc_now(now)
            session.add(enc)

    def load_draft(self, encounter_id: str) -> Draft:
        """The saved draft (empty dict when nothing saved yet)."""
        enc = self.get(encounter_id)
        return Draft(enc.id, enc.draft_step, json.loads(enc.draft_json or "{}"))

    def find_resumable(self, station_id: str | None = None) -> list[Encounter]:
        """Encounters left open (e.g. by a crash), newest first, to offer resume or abandon."""
        with self._store.read() as session:
            stmt = select(Encounter).where(col(Encounter.state).in_(RESUMABLE_STATES))
            if station_id is not None:
                stmt = stmt.where(Encounter.station_id == station_id)
            return list(session.exec(stmt.order_by(col(Encounter.created_at).desc())))

    def created_between(
        self, start: datetime, end: datetime, station_id: str | None = None, limit: int = 50
    ) -> list[EncounterSummary]:
        """Encounters created in ``[start, end)`` (e.g. today's), newest first, with identity."""
        stmt = (
            select(Encounter, Patient)
            .join(Patient, isouter=True)
            .where(col(Encounter.created_at) >= start, col(Encounter.created_at) < end)
        )
        if station_id is not None:
            stmt = stmt.where(Encounter.station_id == station_id)
        stmt = stmt.order_by(col(Encounter.created_at).desc()).limit(limit)
        with self._store.read() as session:
            return [_summary(e, seen(p)) for e, p in session.exec(stmt)]

    # --- search --------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 20) -> list[EncounterSummary]:
        """Search by NIR prefix, a date (birth date or visit day) or name prefix(es).

        Name hits come in name order (birth name, first names), then newest visit first; date
        and NIR hits newest visit first. Each branch is one index range scan that stops at
        ``limit`` rows (< 50 ms p95 at 100,000 encounters: ``bench/db_search.py``).
        """
        text = text.strip()
        if not text:
            return []
        base = select(Encounter, Patient).join(Patient, isouter=True)
        newest = col(Encounter.created_at).desc()
        by_name = False
        if looks_like_nir_prefix(text):
            nir = normalise_nir(text)
            stmts = [
                base.where(Patient.nir >= nir, Patient.nir < prefix_upper_bound(nir)).order_by(
                    newest
                )
            ]
        elif (day := parse_search_date(text)) is not None:
            start, end = day_bounds(day)
            # Two indexed queries merged here: an OR across the join would scan everything.
            stmts = [
                base.where(Patient.birth_date == day).order_by(newest),
                base.where(col(Encounter.created_at).between(start, end)).order_by(newest),
            ]
        else:
            by_name = True
            words = name_key(text).split(" ")
            head, rest = words[0], words[1:]
            hi = prefix_upper_bound(head)
            stmts = []
            for key in (Patient.name_key, Patient.used_name_key):
                stmt = base.where(key >= head, key < hi)
                for w in rest:
                    stmt = stmt.where(col(Patient.first_name_key).contains(w))
                stmts.append(stmt.order_by(key, col(Patient.first_name_key), newest))
        found: dict[str, tuple[tuple, EncounterSummary]] = {}
        with self._store.read() as session:
            for stmt in stmts:
                for e, p in session.exec(stmt.limit(limit)):
                    order = (
                        (p.name_key, p.first_name_key, -e.created_at.timestamp())
                        if by_name and p is not None
                        else ("", "", -e.created_at.timestamp())
                    )
                    found[e.id] = (order, _summary(e, seen(p)))
        return [hit for _, hit in sorted(found.values(), key=lambda x: x[0])][:limit]

    # --- closing ---------------------------------------------------------------------------------
    def close_with_billing(
        self,
        encounter_id: str,
        billing_payload: dict[str, Any],
        record_uuid: str,
        now: datetime | None = None,
        *,
        actor: str = "system",
        first_attempt_delay: timedelta = timedelta(0),
    ) -> BillingRecordRow:
        """Close the encounter, store its billing record and outbox row: ONE transaction.

        If anything fails (bad payload, duplicate uuid, crash), neither the record nor the
        outbox row exists and the encounter keeps its state.
        """
        ts = utc_now(now)
        with self._store.write() as session:
            return self._close_in(session, encounter_id, billing_payload, record_uuid, ts,
                                  actor=actor, first_attempt_delay=first_attempt_delay)  # fmt: skip

    def close_consultation(
        self,
        encounter_id: str,
        billing_payload: dict[str, Any],
        record_uuid: str,
        now: datetime | None = None,
        *,
        printed_document_ids: tuple[str, ...] | list[str] = (),
        draft_data: dict[str, Any] | None = None,
        tally: dict[str, Any] | None = None,
        check_state: Callable[[str], None] | None = None,
        actor: str = "system",
    ) -> BillingRecordRow:
        """Close a consultation as ONE fact, in ONE transaction: ``check_state(state)`` (the
        state machine, run on the row read inside the transaction), documents marked printed,
        the wrap-up draft, the billing record, its outbox row, the pharmacist's TLM tally row
        (``tally``: station_id, year, act_code, amount) and the audit entry.

        If anything fails, nothing of it is written and the encounter keeps its state.
        """
        ts = utc_now(now)
        with self._store.write() as session:
            enc = session.get(Encounter, encounter_id)
            if enc is None:
                raise not_found("encounter", encounter_id)
            if check_state is not None:
                check_state(enc.state)
            for doc_id in printed_document_ids:
                doc = session.get(Document, doc_id)
                if doc is None or doc.encounter_id != encounter_id:
                    raise not_found("document", doc_id)
                doc.printed_at = ts
                session.add(doc)
            if draft_data is not None:
                enc.draft_step = "wrap_up"
                enc.draft_json = json.dumps(draft_data, ensure_ascii=False, sort_keys=True,
                                            default=str)  # fmt: skip
            record = self._close_in(session, encounter_id, billing_payload, record_uuid, ts,
                                    actor=actor)  # fmt: skip
            if tally is not None:
                session.add(PharmacistTally(record_uuid=record_uuid, created_at=ts, **tally))
                session.flush()
        return record

    def _close_in(
        self, session: Any, encounter_id: str, billing_payload: dict[str, Any],
        record_uuid: str, ts: datetime, *, actor: str,
        first_attempt_delay: timedelta = timedelta(0),
    ) -> BillingRecordRow:  # fmt: skip
        payload = json.dumps(billing_payload, ensure_ascii=False, sort_keys=True, default=str)
        enc = session.get(Encounter, encounter_id)
        if enc is None:
            raise not_found("encounter", encounter_id)
        if enc.state in TERMINAL_STATES:
            raise IntegrityProblem(
                "Cette consultation est déjà terminée.", "This encounter is already finished."
            )
        record = BillingRecordRow(
            record_uuid=record_uuid,
            encounter_id=encounter_id,
            payload_json=payload,
            created_at=ts,
        )
        session.add(record)
        try:
            session.flush()  # the outbox FK needs the record row
        except IntegrityError as exc:
            raise IntegrityProblem(
                "Cet enregistrement de facturation existe déjà.",
                "This billing record already exists.",
            ) from exc
        session.add(
            OutboxEntry(
                record_uuid=record_uuid,
                status="pending",
                next_attempt_at=ts + first_attempt_delay,
                created_at=ts,
            )
        )
        enc.state = "closed"
        enc.closed_at = ts
        enc.updated_at = ts
        session.add(enc)
        append_in(
            session,
            actor=actor,
            action="encounter_closed",
            object_type="encounter",
            object_id=encounter_id,
            details={"record_uuid": record_uuid},
            now=ts,
        )
        return record
