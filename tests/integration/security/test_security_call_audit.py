"""Call start/end and received/printed documents reach the audit trail (issue 9 item 3).

Drives ``ConsultationService``'s session callbacks directly (the real call path is covered by
the e2e tests with Chromium); the store, the audit chain and the state machine are real.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

from telecabine.services.audit import AuditTrail, CallAudit
from telecabine.services.consultation import CallSetup, ConsultationService
from telecabine.session.documents import ReceivedDocument

T = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


class _Printer:
    async def print_pdf(self, data: bytes, title: str) -> str:
        return "/tmp/printed.pdf"


async def test_call_and_documents_are_audited_under_the_signed_in_staff(station_store):
    s = station_store
    enc = s.encounters.create("cab", now=T)
    for state in ("identified", "consented"):
        s.encounters.set_state(enc.id, state, now=T)
    setup = CallSetup(hub_url="http://127.0.0.1:9", station_token="t", station_id="cab",
                      cabin="cab", cameras={})  # fmt: skip
    staff = {"id": 7}
    service = ConsultationService(
        s.encounters, setup, printer=_Printer(),
        audit=CallAudit(AuditTrail(s), lambda: staff["id"]),
    )  # fmt: skip
    service.encounter_id = enc.id

    service._on_doctor(SimpleNamespace(name="Dr A", specialty="MG"))
    pdf = b"%PDF-1.4 test\n%%EOF"
    doc = ReceivedDocument("d1", "prescription", "o.pdf", "application/pdf",
                           hashlib.sha256(pdf).hexdigest(), pdf)  # fmt: skip
    await service._on_document(doc)
    service.summary = {"act_code": "TCG"}
    staff["id"] = 8  # another person took over the cabin before the end
    await service._after_end()

    entries = [e for e in s.audit.entries() if e.object_type in ("encounter", "document")]
    got = [(e.action, e.actor) for e in entries]
    assert got == [
        ("call_started", "staff:7"),
        ("document_received", "doctor"),
        ("document_printed", "staff:7"),
        ("call_ended", "staff:8"),
    ]
    assert '"by":"doctor"' in entries[-1].details_json
    assert s.encounters.get(enc.id).state == "wrap_up"
    assert s.audit.verify_chain() is None
