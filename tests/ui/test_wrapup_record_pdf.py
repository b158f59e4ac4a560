"""The consultation record PDF is rendered by Qt and its text holds what CSP R6316 requires."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

from pypdf import PdfReader
from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpForm,
    WrapUpService,
)
from telecabine.ui.record_pdf import render_record_pdf

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    return unicodedata.normalize("NFKC", text)  # Qt's fonts use ligatures ("ﬁ")


def test_record_pdf_text(qapp, station_store):
    eid = encounter_in_wrap_up(station_store)
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    ctx = svc.load(eid)
    svc.close(eid, WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        staff_rpps="10000000002", printed_document_ids=[d.id for d in ctx.documents],
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "Claire"),
    ))  # fmt: skip
    pdf = render_record_pdf(svc.record(eid), "fr")
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in (
        "Compte rendu de téléconsultation",
        "MARTIN Jeanne Marie", "12/05/1948", "248057512345690",  # identity
        "Dr Paul Lefèvre", "10000000001", "Claire Dubois",  # professionals
        "Début", "Fin",  # date and time
        "TCG", "Téléconsultation du médecin généraliste", "Ordonnance",  # acts, outcome
        "ordonnance.pdf", "imprimé",  # prescriptions
        "video_frozen",  # technical incidents
        "Consentement donné", "2026-01",  # consent
        "Confirmée par Claire",  # disinfection
    ):  # fmt: skip
        assert expected in text, (expected, text)
    doc_id = svc.attach_record_pdf(eid, pdf)
    assert station_store.encounters.get_document(doc_id).kind == "record"
    english = _text(render_record_pdf(svc.record(eid), "en"))
    assert "GP teleconsultation" in english and "Consent given" in english
