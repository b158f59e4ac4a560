"""The consultation record PDF is rendered by Qt and its text holds what CSP R6316 requires;
it is never written to disk in clear by the wrap-up (only the encrypted store keeps it)."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpForm,
    WrapUpService,
)
from telecabine.ui.record_pdf import render_record_pdf
from telecabine.ui.screens.wrapup import WrapUpScreen

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    return unicodedata.normalize("NFKC", text)  # Qt's fonts use ligatures ("ﬁ")


def _closed(store, *, ins_status: str | None = None) -> tuple[WrapUpService, str]:
    eid = encounter_in_wrap_up(store)
    if ins_status is not None:
        store.patients.update(store.encounters.get(eid).patient_id, ins_status=ins_status,
                              birth_place_insee="75056")  # fmt: skip
    svc = WrapUpService(store, station_id="cabine-test", clock=lambda: NOW)
    ctx = svc.load(eid)
    svc.close(eid, WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        staff_rpps="10000000002", printed_document_ids=[d.id for d in ctx.documents],
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "Claire"),
    ))  # fmt: skip
    return svc, eid


def test_record_pdf_text(qapp, station_store):
    svc, eid = _closed(station_store)
    pdf = render_record_pdf(svc.record(eid), "fr")
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in (
        "Compte rendu de téléconsultation / Teleconsultation record",
        # identity: INS traits; an unqualified identity shows the NIR masked
        "MARTIN Jeanne Marie", "né(e) le 12/05/1948", "sexe F", "2 48 •• •• ••• ••• 90",
        "Identité provisoire : matricule INS non communiqué",
        "Professionnels / Professionals",
        "Dr Paul Lefèvre", "RPPS 10000000001", "Médecine générale",
        "Claire Dubois (Pharmacien(ne), RPPS 10000000002)",
        "Date et heure / Date and time", "Début", "Fin",
        "Actes / Acts", "TCG Téléconsultation du médecin généraliste — 25.00 €",
        "Issue : Ordonnance", "Accompagnement : TLM — 5.00 €",
        "Conclusion du médecin : Angine virale probable",
        "Prescriptions et documents / Prescriptions and documents",
        "Ordonnance « ordonnance.pdf » (imprimé)",
        "Incidents techniques / Technical incidents",
        "Image figée (caméra otoscope figée 4 s)",
        "Consentement / Consent",
        "Consentement donné (teleconsultation, texte d'information version 2026-01) par le "
        "patient",
        "Désinfection de la cabine / Cabin disinfection", "Confirmée par Claire",
    ):  # fmt: skip
        assert expected in text, (expected, text)
    assert "248057512345690" not in text and "2 48 05 75" not in text
    doc_id = svc.attach_record_pdf(eid, pdf)
    assert station_store.encounters.get_document(doc_id).kind == "record"
    english = _text(render_record_pdf(svc.record(eid), "en"))
    for expected in ("Patient / Patient", "GP teleconsultation", "Consent given",
                     "Provisional identity: INS number not shown", "Frozen picture",
                     "Teleconsulting doctor", "(Pharmacist, RPPS 10000000002)"):  # fmt: skip
        assert expected in english, (expected, english)


def test_qualified_identity_prints_the_ins_matricule(qapp, station_store):
    svc, eid = _closed(station_store, ins_status="qualifiee")
    text = _text(render_record_pdf(svc.record(eid), "fr"))
    assert "Matricule INS 2 48 05 75 123 456 90 (OID urn:oid:1.2.250.1.213.1.4.8)" in text
    assert "Identité qualifiée" in text and "lieu de naissance (INSEE) 75056" in text


def test_wrap_up_keeps_the_record_only_in_the_encrypted_store(qtbot, station_store, data_dir):
    eid = encounter_in_wrap_up(station_store)
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    screen = WrapUpScreen(svc, clock=lambda: NOW)
    qtbot.addWidget(screen)
    screen.on_enter({"encounter_id": eid, "staff_name": "Claire Dubois"})
    for box in screen.dis_items.values():
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(12, box.height() // 2))
    with qtbot.waitSignal(screen.sig_closed, timeout=10_000):
        qtbot.mouseClick(screen.close_button, Qt.MouseButton.LeftButton)
    record = [d for d in station_store.encounters.documents(eid) if d.kind == "record"]
    assert len(record) == 1 and record[0].content.startswith(b"%PDF")
    assert "MARTIN" in _text(record[0].content)
    # Nothing in the data directory (database, WAL, key file, any temp file) holds a PDF or
    # the patient's name in clear.
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert b"%PDF" not in raw and b"MARTIN" not in raw, path.name


def test_record_printed_for_the_patient_on_request_and_a_failure_is_an_incident(
    qtbot, station_store
):
    printed: list[tuple[bytes, str]] = []

    def printer(data: bytes, title: str) -> str:  # stands for QtPdfPrinter.print_now
        printed.append((data, title))
        if len(printed) > 1:
            raise OSError("paper jam")
        return "Imprimante cabine"

    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    screen = WrapUpScreen(svc, clock=lambda: NOW, print_record=printer)
    qtbot.addWidget(screen)
    screen.show()
    for attempt in range(2):
        eid = encounter_in_wrap_up(station_store)
        screen.on_enter({"encounter_id": eid, "staff_name": "Claire Dubois"})
        assert screen.print_record_box.isVisible() and not screen.print_record_box.isChecked()
        for box in [screen.print_record_box, *screen.dis_items.values()]:
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(12, box.height() // 2))
        with qtbot.waitSignal(screen.sig_closed, timeout=10_000):
            qtbot.mouseClick(screen.close_button, Qt.MouseButton.LeftButton)
        data, title = printed[attempt]
        assert title == "compte-rendu.pdf" and "MARTIN Jeanne Marie" in _text(data)
        kinds = [i.kind for i in station_store.encounters.incidents(eid)]
        assert kinds.count("print_failed") == attempt  # the second print failed: recorded
        assert station_store.encounters.get(eid).state == "closed"


def test_no_printer_no_print_choice(qtbot, station_store):
    screen = WrapUpScreen(WrapUpService(station_store, station_id="cabine-test"))
    qtbot.addWidget(screen)
    screen.show()
    assert not screen.print_record_box.isVisible()
