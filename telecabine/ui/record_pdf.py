"""Consultation record as PDF through Qt (QTextDocument -> QPdfWriter), CSP R6316 content:
identities, professionals, date and time, acts, prescriptions, technical incidents, consent.

Headings are bilingual, French first ("Patient / Patient"), so the record reads the same for a
French doctor and an English-speaking patient; the body is in the screen's language. The PDF is
built in memory (QBuffer) and kept only in the encrypted store: it reaches the disk in clear
only when the staff prints or exports it.

Qt-only (``ui/``); the content comes from ``services.wrapup_record.ConsultationRecord``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from telecabine.services.wrapup_record import (
    ConsultationRecord,
    RecordLine,
    outcome_words,
    role_words,
)

# (French, English): printed together, French first (bilingual headings on a legal record).
H = {
    "title": ("Compte rendu de téléconsultation", "Teleconsultation record"),
    "when": ("Date et heure", "Date and time"),
    "patient": ("Patient", "Patient"),
    "pros": ("Professionnels", "Professionals"),
    "acts": ("Actes", "Acts"),
    "docs": ("Prescriptions et documents", "Prescriptions and documents"),
    "vitals": ("Constantes", "Vital signs"),
    "incidents": ("Incidents techniques", "Technical incidents"),
    "consent": ("Consentement", "Consent"),
    "disinfection": ("Désinfection de la cabine", "Cabin disinfection"),
}
# Body words (French, English), picked by the record's language.
W = {
    "encounter": ("Consultation", "Encounter"),
    "cabin": ("Cabine", "Cabin"),
    "start": ("Début", "Start"),
    "end": ("Fin", "End"),
    "born": ("né(e) le", "born"),
    "sex": ("sexe", "sex"),
    "place": ("lieu de naissance (INSEE)", "place of birth (INSEE)"),
    "used": ("nom d'usage", "used name"),
    "doctor": ("Médecin téléconsultant", "Teleconsulting doctor"),
    "staff": ("Professionnel accompagnant", "Accompanying professional"),
    "outcome": ("Issue", "Outcome"),
    "accompaniment": ("Accompagnement", "Accompaniment"),
    "conclusion": ("Conclusion du médecin", "Doctor's conclusion"),
    "no_docs": ("Aucun document.", "No document."),
    "no_vitals": ("Aucune mesure.", "No measurement."),
    "no_incident": ("Aucun incident technique.", "No technical incident."),
    "no_consent": ("Aucun consentement enregistré.", "No consent recorded."),
    "confirmed": ("Confirmée par", "Confirmed by"),
    "not_confirmed": ("Non confirmée", "Not confirmed"),
}


def _when(at: datetime | None) -> str:
    return at.astimezone().strftime("%d/%m/%Y %H:%M") if at else "—"


def _e(value: object) -> str:
    return escape(str(value)) if value not in (None, "") else "—"


def _lines(lines: tuple[RecordLine, ...], fr: bool, empty: str) -> str:
    if not lines:
        return f"<p><i>{escape(empty)}</i></p>"
    items = "".join(
        f"<li>{escape(_when(li.at))} — {escape(li.text_fr if fr else li.text_en)}</li>"
        for li in lines
    )
    return f"<ul>{items}</ul>"


def _h2(key: str) -> str:
    fr, en = H[key]
    return f"<h2>{escape(fr)} / {escape(en)}</h2>"


def _patient(rec: ConsultationRecord, w) -> str:
    p = rec.patient
    if p is None:
        return "<p>—</p>"
    born = p.birth_date.strftime("%d/%m/%Y") if p.birth_date else "—"
    used = f" — {w('used')} : {_e(p.used_name)}" if p.used_name else ""
    return (
        f"<p><b>{_e(p.birth_name)}</b> {_e(p.first_names)}{used}<br/>"
        f"{w('born')} {born} — {w('sex')} {_e(p.sex)} — {w('place')} {_e(p.birth_place_insee)}"
        f"<br/>{escape(p.matricule_fr if w.fr else p.matricule_en)}</p>"
    )


class _Words:
    """Body words in one language (callable: ``w("start")``)."""

    def __init__(self, fr: bool) -> None:
        self.fr = fr

    def __call__(self, key: str) -> str:
        return escape(W[key][0 if self.fr else 1])


def record_html(rec: ConsultationRecord, lang: str = "fr") -> str:
    """The record as simple HTML (what QTextDocument lays out)."""
    fr = lang != "en"
    w = _Words(fr)
    i = 0 if fr else 1
    d = rec.doctor or {}
    acc = rec.accompanying or {}
    label = rec.doctor_act_label[i] if rec.doctor_act_label else ""
    amount = f" — {_e(rec.doctor_amount)} €" if rec.doctor_amount else ""
    acc_act = ""
    if rec.accompanying_act:
        code, acc_amount = rec.accompanying_act
        acc_act = f"<br/>{w('accompaniment')} : {_e(code)} — {_e(acc_amount)} €"
    dis = rec.disinfection
    title_fr, title_en = H["title"]
    parts = [
        f"<h1>{escape(title_fr)} / {escape(title_en)}</h1>",
        f"<p>{w('encounter')} {_e(rec.encounter_id)} — {w('cabin')} {_e(rec.station_id)}</p>",
        _h2("when"),
        f"<p>{w('start')} : {_when(rec.started_at)} — {w('end')} : {_when(rec.closed_at)}</p>",
        _h2("patient"),
        _patient(rec, w),
        _h2("pros"),
        f"<p>{w('doctor')} : {_e(d.get('name'))} (RPPS {_e(d.get('rpps'))}, "
        f"{_e(d.get('specialty'))})<br/>"
        f"{w('staff')} : {_e(acc.get('staff_name'))} ({escape(role_words(acc.get('role'))[i])}, "
        f"RPPS {_e(acc.get('rpps'))})</p>",
        _h2("acts"),
        f"<p>{_e(d.get('act_code'))} {escape(label)}{amount} — {w('outcome')} : "
        f"{escape(outcome_words(d.get('outcome'))[i])}{acc_act}</p>",
    ]
    if d.get("note"):
        parts.append(f"<p>{w('conclusion')} : {escape(d['note'])}</p>")
    parts += [
        _h2("docs"),
        _lines(rec.prescriptions, fr, W["no_docs"][i]),
        _h2("vitals"),
        _lines(rec.vitals, fr, W["no_vitals"][i]),
        _h2("incidents"),
        _lines(rec.incidents, fr, W["no_incident"][i]),
        _h2("consent"),
        _lines(rec.consents, fr, W["no_consent"][i]),
        _h2("disinfection"),
        "<p>"
        + (
            f"{w('confirmed')} {_e(dis['by'])} — {_when(datetime.fromisoformat(dis['at']))}"
            if dis
            else w("not_confirmed")
        )
        + "</p>",
    ]
    return "<html><body>" + "".join(parts) + "</body></html>"


def render_record_pdf(rec: ConsultationRecord, lang: str = "fr") -> bytes:
    """The consultation record as PDF bytes (A4, text kept as text, searchable), in memory."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(" / ".join(H["title"]))
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
