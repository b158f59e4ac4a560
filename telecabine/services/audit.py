"""Named audit events for the screens and services (issue 9 item 3), on the hash-chained trail.

One method per event the issue lists, so every caller writes the same action names and only
ids (never names, NIR, dates of birth or free text) go into the details.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telecabine.store.engine import Store
    from telecabine.store.repositories.audit import ChainBreak


def staff_actor(staff_id: int | None) -> str:
    """The actor string of a staff member (``system`` when nobody is signed in)."""
    return f"staff:{staff_id}" if staff_id is not None else "system"


class AuditTrail:
    """Write audit entries with fixed action names; ``now`` is optional (tests pass one)."""

    def __init__(self, store: Store) -> None:
        self._audit = store.audit

    def patient_created(self, staff_id: int | None, patient_id: int, now: datetime | None = None):
        """A new patient identity was saved."""
        self._audit.record(
            staff_actor(staff_id), "patient_created", "patient", str(patient_id), now=now
        )

    def patient_viewed(self, staff_id: int | None, patient_id: int, now: datetime | None = None):
        """A patient's identity or record was shown on screen."""
        self._audit.record(
            staff_actor(staff_id), "patient_viewed", "patient", str(patient_id), now=now
        )

    def consent_recorded(
        self, staff_id: int | None, encounter_id: str, granted: bool, now: datetime | None = None
    ):
        """Consent given or refused for an encounter."""
        self._audit.record(
            staff_actor(staff_id), "consent_recorded", "encounter", encounter_id,
            {"granted": granted}, now=now,
        )  # fmt: skip

    def call_started(self, staff_id: int | None, encounter_id: str, now: datetime | None = None):
        """The video call with the doctor started."""
        self._audit.record(
            staff_actor(staff_id), "call_started", "encounter", encounter_id, now=now
        )

    def call_ended(
        self, staff_id: int | None, encounter_id: str, by: str, now: datetime | None = None
    ):
        """The call ended (``by``: doctor, station, network)."""
        self._audit.record(
            staff_actor(staff_id), "call_ended", "encounter", encounter_id, {"by": by}, now=now
        )

    def document_received(
        self, encounter_id: str, document_id: str, kind: str, now: datetime | None = None
    ):
        """A document arrived from the doctor (prescription, report)."""
        self._audit.record(
            "doctor", "document_received", "document", document_id,
            {"encounter_id": encounter_id, "kind": kind}, now=now,
        )  # fmt: skip

    def document_printed(self, staff_id: int | None, document_id: str, now: datetime | None = None):
        """A document was printed at the cabin."""
        self._audit.record(
            staff_actor(staff_id), "document_printed", "document", document_id, now=now
        )

    def export(self, staff_id: int | None, what: str, count: int, now: datetime | None = None):
        """Data left the station by export (``what``: billing_csv, record_pdf...)."""
        self._audit.record(
            staff_actor(staff_id), "export", details={"what": what, "count": count}, now=now
        )

    def settings_changed(self, staff_id: int | None, keys: list[str], now: datetime | None = None):
        """Settings changed (names of the settings only, not their values)."""
        self._audit.record(
            staff_actor(staff_id), "settings_changed", details={"keys": sorted(keys)}, now=now
        )

    def report_event(
        self, staff_id: int | None, encounter_id: str, event: str, now: datetime | None = None
    ):
        """What happened to the report for the médecin traitant (queued, sent, objected,
        no_address, refused...); ids and the event code only."""
        self._audit.record(
            staff_actor(staff_id), f"mt_report_{event}", "encounter", encounter_id, now=now
        )

    def expertise_event(
        self, staff_id: int | None, request_uuid: str, event: str, now: datetime | None = None
    ):
        """A télé-expertise request queued / answered / printed (ids only)."""
        self._audit.record(
            staff_actor(staff_id), f"expertise_{event}", "expertise", request_uuid, now=now
        )

    def verify(self) -> ChainBreak | None:
        """First broken link of the chain, or None."""
        return self._audit.find_break()


class CallAudit:
    """The consultation's audit events, bound to whoever is signed in at the cabin right now.

    ``ConsultationService`` only knows encounters and documents; the staff id comes from the
    shell's context through ``staff_id`` (a getter), so the trail names the person present.
    """

    def __init__(self, trail: AuditTrail, staff_id: Callable[[], int | None]) -> None:
        self._trail = trail
        self._staff_id = staff_id

    def call_started(self, encounter_id: str) -> None:
        """The doctor joined: the teleconsultation started."""
        self._trail.call_started(self._staff_id(), encounter_id)

    def call_ended(self, encounter_id: str, by: str) -> None:
        """The call ended (``by``: doctor or station)."""
        self._trail.call_ended(self._staff_id(), encounter_id, by)

    def document_received(self, encounter_id: str, document_id: str, kind: str) -> None:
        """A document from the doctor was stored (encrypted) on the encounter."""
        self._trail.document_received(encounter_id, document_id, kind)

    def document_printed(self, document_id: str) -> None:
        """A received document was printed at the cabin."""
        self._trail.document_printed(self._staff_id(), document_id)
