"""Consultation record as PDF through Qt (QTextDocument -> QPdfWriter), CSP R6316 content:
identities, professionals, date and time, acts, prescriptions, technical incidents, consent.

Qt-only (``ui/``); the content comes from ``services.wrapup_record.ConsultationRecord``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from telecabine.services.wrapup_record import ConsultationRecord, RecordLine, outcome_words

_CTX = "RecordPdf"


def _t(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def _when(at: datetime | None) -> str:
    return at.astimezone().strftime("%d/%m/%Y %H:%M") if at else "—"


def _lines(lines: tuple[RecordLine, ...], lang: str, empty: str) -> str:
    if not lines:
        return f"<p><i>{escape(empty)}</i></p>"
    items = "".join(
        f"<li>{escape(_when(li.at))} — {escape(li.text_fr if lang == 'fr' else li.text_en)}</li>"
        for li in lines
    )
    return f"<ul>{items}</ul>"


def record_html(rec: ConsultationRecord, lang: str = "fr") -> str:
    """The record as simple HTML (what QTextDocument lays out)."""
    fr = lang == "fr"
    d = rec.doctor or {}
    acc = rec.accompanying or {}
    label = rec.doctor_act_label[0 if fr else 1] if rec.doctor_act_label else ""
    outcome = outcome_words(d.get("outcome"))[0 if fr else 1]
    dis = rec.disinfection
    parts = [
        f"<h1>{escape(_t('Compte rendu de téléconsultation'))}</h1>",
        f"<p>{escape(_t('Consultation'))} {escape(rec.encounter_id)} — "
        f"{escape(_t('Cabine'))} {escape(rec.station_id)}</p>",
        f"<h2>{escape(_t('Date et heure'))}</h2>",
        f"<p>{escape(_t('Début'))} : {_when(rec.started_at)} — {escape(_t('Fin'))} : "
        f"{_when(rec.closed_at)}</p>",
        f"<h2>{escape(_t('Patient'))}</h2>",
        f"<p>{escape(rec.patient_name)} — {escape(_t('né(e) le'))} "
        f"{rec.patient_birth_date.strftime('%d/%m/%Y') if rec.patient_birth_date else '—'}"
        f"<br/>NIR : {escape(rec.patient_nir or '—')} — INS : {escape(rec.ins_status or '—')}</p>",
        f"<h2>{escape(_t('Professionnels'))}</h2>",
        f"<p>{escape(_t('Médecin téléconsultant'))} : {escape(d.get('name') or '—')} "
        f"(RPPS {escape(d.get('rpps') or '—')}, {escape(d.get('specialty') or '—')})<br/>"
        f"{escape(_t('Professionnel accompagnant'))} : {escape(acc.get('staff_name') or '—')} "
        f"({escape(acc.get('role') or '—')}, RPPS {escape(acc.get('rpps') or '—')})</p>",
        f"<h2>{escape(_t('Actes'))}</h2>",
        f"<p>{escape(d.get('act_code') or '—')} {escape(label)} — {escape(_t('Issue'))} : "
        f"{escape(outcome)}</p>",
    ]
    if d.get("note"):
        parts.append(f"<p>{escape(_t('Conclusion du médecin'))} : {escape(d['note'])}</p>")
    parts += [
        f"<h2>{escape(_t('Prescriptions et documents'))}</h2>",
        _lines(rec.prescriptions, lang, _t("Aucun document.")),
        f"<h2>{escape(_t('Constantes'))}</h2>",
        _lines(rec.vitals, lang, _t("Aucune mesure.")),
        f"<h2>{escape(_t('Incidents techniques'))}</h2>",
        _lines(rec.incidents, lang, _t("Aucun incident technique.")),
        f"<h2>{escape(_t('Consentement'))}</h2>",
        _lines(rec.consents, lang, _t("Aucun consentement enregistré.")),
        f"<h2>{escape(_t('Désinfection de la cabine'))}</h2>",
        "<p>"
        + (
            f"{escape(_t('Confirmée par'))} {escape(dis['by'])} — "
            f"{_when(datetime.fromisoformat(dis['at']))}"
            if dis
            else escape(_t("Non confirmée"))
        )
        + "</p>",
    ]
    return "<html><body>" + "".join(parts) + "</body></html>"


def render_record_pdf(rec: ConsultationRecord, lang: str = "fr") -> bytes:
    """The consultation record as PDF bytes (A4, text kept as text, searchable)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(_t("Compte rendu de téléconsultation"))
    writer.setCreator("Telecabine")
    writer.setResolution(300)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    doc = QTextDocument()
    doc.setDefaultStyleSheet("h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 8px; }")
    doc.setHtml(record_html(rec, lang))
    doc.print_(writer)
    del writer  # finishes the PDF into the buffer
    data: QByteArray = buffer.data()
    buffer.close()
    return bytes(data)
