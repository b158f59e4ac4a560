"""Wrap-up screen: doctor's act and outcome (from the end-of-call summary, or by hand),
accompanying act, documents printed, disinfection checklist (who, when), then close.

Screen contract: ``sig_next``, ``sig_back``, ``on_enter(ctx)``, ``clear()``, ``retranslate()``.
Closing writes the billing record and its outbox row in one transaction (``WrapUpService``),
renders the consultation record PDF (CSP R6316) and keeps it with the encounter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    OUTCOMES,
    Closed,
    Disinfection,
    DoctorAct,
    WrapUpContext,
    WrapUpError,
    WrapUpForm,
    WrapUpService,
)
from telecabine.services.wrapup_record import outcome_words
from telecabine.ui.record_pdf import render_record_pdf
from telecabine.ui.screens.base import Screen
from telecabine.ui.screens.wrapup_coverage import EXONERATIONS, CoverageBox

__all__ = ["EXONERATIONS", "NURSE_SETTINGS", "ROLES", "WrapUpScreen"]

log = logging.getLogger(__name__)
_C = "WrapUpScreen"
ACT_CODES = ("TCG", "TC", "TE1", "TE2", "RQD")
ROLES = (("pharmacist", "Pharmacien(ne)", "Pharmacist"), ("nurse", "Infirmier(e)", "Nurse"),
         ("doctor", "Médecin", "Doctor"), ("other", "Autre", "Other"))  # fmt: skip
# Staff account roles (store) -> accompanying role on the bill; an admin of a pharmacy cabin is
# usually its pharmacist, a care assistant bills no accompanying act. Staff can change it.
STAFF_TO_BILLING_ROLE = {"pharmacist": "pharmacist", "nurse": "nurse", "admin": "pharmacist",
                         "care_assistant": "other", "doctor": "doctor"}  # fmt: skip
NURSE_SETTINGS = (("planned_visit", "Soin prévu (TLS)", "Planned visit (TLS)"),
                  ("dedicated_place", "Lieu dédié (TLL)", "Dedicated place (TLL)"),
                  ("home_visit", "Domicile (TLD)", "Home visit (TLD)"))  # fmt: skip


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


def _ctx_get(ctx: Any, key: str) -> Any:
    value = getattr(ctx, key, None)
    if value is None and isinstance(ctx, Mapping):
        value = ctx.get(key)
    return value


class WrapUpScreen(Screen):
    """End of the consultation: confirm acts, documents, disinfection; close the encounter."""

    screen_name = "wrapup"
    sig_closed = Signal(object)  # Closed (record uuid + payload)

    def __init__(
        self,
        service: WrapUpService,
        *,
        lang: str = "fr",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        print_record: Callable[[bytes, str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("wrapUpScreen")
        self._service = service
        # Prints a PDF, returns where it went (QtPdfPrinter.print_now): the only way the record
        # leaves the encrypted store in clear, on the staff's request.
        self._print_record = print_record
        self._lang = lang
        self._clock = clock
        self._ctx: WrapUpContext | None = None
        self._doc_boxes: dict[str, QCheckBox] = {}
        self._from_summary = False
        self._build()
        self.retranslate(lang)

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        big = QFont(self.font().family(), 14)
        self.title = QLabel()
        self.title.setFont(QFont(self.font().family(), 22, QFont.Weight.Bold))
        self.summary_note = QLabel()
        self.summary_note.setWordWrap(True)
        self.act_code = QComboBox()
        self.act_code.setEditable(True)
        self.act_code.addItems(ACT_CODES)
        self.outcome = QComboBox()
        self.doctor_name, self.doctor_rpps, self.doctor_specialty = (
            QLineEdit(), QLineEdit(), QLineEdit()
        )  # fmt: skip
        self.doctor_rpps.setMaxLength(11)
        self.doctor_box = QGroupBox()
        f = QFormLayout(self.doctor_box)
        self._doctor_labels = [QLabel() for _ in range(5)]
        for label, w in zip(self._doctor_labels, (self.act_code, self.outcome, self.doctor_name,
                            self.doctor_rpps, self.doctor_specialty), strict=True):  # fmt: skip
            f.addRow(label, w)
        self.role = QComboBox()
        self.nurse_setting = QComboBox()
        self.staff_name, self.staff_rpps = QLineEdit(), QLineEdit()
        self.staff_rpps.setMaxLength(11)
        self.acc_box = QGroupBox()
        f2 = self._acc_form = QFormLayout(self.acc_box)
        self._acc_labels = [QLabel() for _ in range(4)]
        for label, w in zip(self._acc_labels, (self.role, self.nurse_setting, self.staff_name,
                            self.staff_rpps), strict=True):  # fmt: skip
            f2.addRow(label, w)
        self.role.currentIndexChanged.connect(self._on_role)
        self.cov_box = CoverageBox()
        cov = self.cov_box  # its widgets, named on the screen as the tests and a11y walk see them
        self.in_parcours, self.exoneration, self.has_amc = (
            cov.in_parcours,
            cov.exoneration,
            cov.has_amc,
        )
        self.eligibility_note, self.preview_label = cov.eligibility_note, cov.preview_label
        cov.sig_changed.connect(self._update_preview)
        for combo in (self.act_code, self.role, self.nurse_setting):
            combo.currentIndexChanged.connect(self._update_preview)
        self.act_code.editTextChanged.connect(self._update_preview)
        self.doctor_specialty.editingFinished.connect(self._update_preview)
        self.docs_box = QGroupBox()
        self._docs_layout = QVBoxLayout(self.docs_box)
        self.no_docs = QLabel()
        self._docs_layout.addWidget(self.no_docs)
        self.print_record_box = QCheckBox()
        self.print_record_box.setMinimumHeight(48)
        self.print_record_box.setVisible(self._print_record is not None)
        self._docs_layout.addWidget(self.print_record_box)
        self.dis_box = QGroupBox()
        dl = QVBoxLayout(self.dis_box)
        self.dis_items: dict[str, QCheckBox] = {}
        for key, _fr, _en in DISINFECTION_CHECKLIST:
            cb = QCheckBox()
            cb.setMinimumHeight(48)
            self.dis_items[key] = cb
            dl.addWidget(cb)
        self.dis_by = QLineEdit()
        self.dis_by_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.dis_by_label)
        row.addWidget(self.dis_by)
        dl.addLayout(row)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorMessage")
        self.error_label.setWordWrap(True)
        self.error_label.setFont(big)
        self.back_button, self.close_button = QPushButton(), QPushButton()
        self.close_button.setObjectName("primaryAction")
        self.close_button.setDefault(True)
        for b in (self.back_button, self.close_button):
            b.setMinimumSize(QSize(180, 56))
            b.setFont(big)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.close_button.clicked.connect(self.close_encounter)
        self.set_primary(self.close_button)  # Enter closes, Esc goes back (kiosk keyboard)
        self.set_back(self.back_button)
        body = QWidget()
        bl = QVBoxLayout(body)
        for w in (self.summary_note, self.doctor_box, self.acc_box, self.cov_box, self.docs_box,
                  self.dis_box):  # fmt: skip
            bl.addWidget(w)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        root = QVBoxLayout(self)
        root.addWidget(self.title)
        root.addWidget(scroll, 1)
        root.addWidget(self.error_label)
        root.addLayout(buttons)

    # --- screen contract -----------------------------------------------------------------------
    def on_enter(self, ctx: Any) -> None:
        """Load the encounter in ``ctx`` (``encounter_id``; optional ``lang``, ``staff_name``)."""
        self.clear()
        lang = _ctx_get(ctx, "lang")
        self.retranslate(lang if lang in ("fr", "en") else None)
        self._ctx = self._service.load(_ctx_get(ctx, "encounter_id"))
        act = self._ctx.summary_act
        self._from_summary = act is not None
        if act is not None:
            self.act_code.setCurrentText(act.act_code)
            self.outcome.setCurrentIndex(max(0, OUTCOMES.index(act.outcome)))
            self.doctor_name.setText(act.name)
            self.doctor_rpps.setText(act.rpps)
            self.doctor_specialty.setText(act.specialty)
        staff = _ctx_get(ctx, "staff_name") or ""
        self.staff_name.setText(staff)
        self.dis_by.setText(staff)
        role = STAFF_TO_BILLING_ROLE.get(_ctx_get(ctx, "staff_role") or "", "pharmacist")
        self.role.setCurrentIndex([k for k, _, _ in ROLES].index(role))
        self.staff_rpps.setText(_ctx_get(ctx, "staff_rpps") or "")
        hint = self._ctx.in_parcours_hint
        eligibility = _ctx_get(ctx, "eligibility")  # decided at intake (domain.eligibility)
        if hint is None and eligibility is not None:
            hint = bool(getattr(eligibility, "in_parcours", True))
        self.cov_box.load(self._ctx, hint)
        for doc in self._ctx.documents:
            cb = QCheckBox(doc.filename)
            cb.setMinimumHeight(48)
            cb.setChecked(doc.printed)
            self._doc_boxes[doc.id] = cb
            self._docs_layout.insertWidget(self._docs_layout.count() - 1, cb)
        self.no_docs.setVisible(not self._ctx.documents)
        self._retranslate_summary()

    def clear(self) -> None:
        """Forget the previous encounter (no patient's data left on screen)."""
        self._ctx = None
        self._from_summary = False
        for w in (self.doctor_name, self.doctor_rpps, self.doctor_specialty, self.staff_name,
                  self.staff_rpps, self.dis_by):  # fmt: skip
            w.clear()
        self.act_code.setCurrentIndex(0)
        self.outcome.setCurrentIndex(0)
        for cb in self.dis_items.values():
            cb.setChecked(False)
        for cb in self._doc_boxes.values():
            cb.setParent(None)
            cb.deleteLater()
        self._doc_boxes.clear()
        self.error_label.clear()
        self.cov_box.clear()
        self.print_record_box.setChecked(False)
        self.close_button.setEnabled(True)

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every string in ``lang``."""
        self._lang = lang or self._lang
        super().retranslate(self._lang)
        fr = self._lang == "fr"
        self.title.setText(_tr("Fin de consultation"))
        self.doctor_box.setTitle(_tr("Acte du médecin"))
        for label, text in zip(self._doctor_labels, ("Acte (NGAP)", "Issue", "Médecin", "RPPS",
                               "Spécialité"), strict=True):  # fmt: skip
            label.setText(_tr(text))
        self.act_code.setAccessibleName(_tr("Acte du médecin (code NGAP)"))
        current = max(0, self.outcome.currentIndex())
        self.outcome.clear()
        self.outcome.addItems([outcome_words(o)[0 if fr else 1] for o in OUTCOMES])
        self.outcome.setCurrentIndex(current)
        self.acc_box.setTitle(_tr("Professionnel accompagnant"))
        for label, text in zip(self._acc_labels, ("Rôle", "Cadre infirmier", "Nom", "RPPS"),
                               strict=True):  # fmt: skip
            label.setText(_tr(text))
        for combo, items in ((self.role, ROLES), (self.nurse_setting, NURSE_SETTINGS)):
            i = max(0, combo.currentIndex())
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([fr_ if fr else en for _, fr_, en in items])
            combo.setCurrentIndex(i)
            combo.blockSignals(False)
        self._on_role()
        self.cov_box.retranslate(self._lang)
        self.docs_box.setTitle(_tr("Documents imprimés"))
        self.print_record_box.setText(_tr("Imprimer le compte rendu pour le patient"))
        self.no_docs.setText(_tr("Aucun document reçu."))
        self.dis_box.setTitle(_tr("Désinfection de la cabine"))
        for key, fr_text, en_text in DISINFECTION_CHECKLIST:
            self.dis_items[key].setText(fr_text if fr else en_text)
        self.dis_by_label.setText(_tr("Faite par"))
        self.back_button.setText(_tr("Retour"))
        self.close_button.setText(_tr("Clôturer la consultation"))
        self._retranslate_summary()

    def _retranslate_summary(self) -> None:
        self._update_preview()
        self.summary_note.setText(
            _tr("Acte repris du résumé du médecin : vérifiez-le.")
            if self._from_summary
            else _tr("Le médecin n'a pas envoyé de résumé : saisissez l'acte.")
        )

    def _on_role(self, *_: Any) -> None:
        nurse = self.role.currentIndex() == 1
        self.nurse_setting.setEnabled(nurse)
        self._acc_form.setRowVisible(self.nurse_setting, nurse)  # only a nurse has a setting

    def _update_preview(self, *_: Any) -> None:
        """Who pays what, recomputed as the staff changes the act, role or coverage."""
        if self._ctx is None:
            return
        try:
            self.cov_box.show_preview(self._service.preview(self._ctx.encounter_id, self.form()))
        except WrapUpError as exc:
            self.cov_box.show_preview(None, exc.message(self._lang))

    # --- closing ---------------------------------------------------------------------------------
    def form(self) -> WrapUpForm:
        """The form as the staff filled it."""
        act = DoctorAct(
            name=self.doctor_name.text().strip(), rpps=self.doctor_rpps.text().strip(),
            specialty=self.doctor_specialty.text().strip(),
            act_code=self.act_code.currentText().strip().upper(),
            outcome=OUTCOMES[max(0, self.outcome.currentIndex())],
            note=self._ctx.summary_act.note if self._ctx and self._ctx.summary_act else None,
            from_summary=self._from_summary,
        )  # fmt: skip
        ticked = tuple(k for k, cb in self.dis_items.items() if cb.isChecked())
        role = ROLES[max(0, self.role.currentIndex())][0]
        in_parcours, exoneration, has_amc = self.cov_box.values()
        return WrapUpForm(
            doctor=act if act.act_code else None, accompanying_role=role,
            staff_name=self.staff_name.text(), staff_rpps=self.staff_rpps.text().strip() or None,
            nurse_setting=NURSE_SETTINGS[self.nurse_setting.currentIndex()][0]
            if role == "nurse" else None,
            in_parcours=in_parcours, exoneration=exoneration, has_complementary=has_amc,
            printed_document_ids=[i for i, cb in self._doc_boxes.items() if cb.isChecked()],
            disinfection=Disinfection(ticked, self._clock(), self.dis_by.text().strip())
            if ticked else None,
        )  # fmt: skip

    def close_encounter(self) -> Closed | None:
        """Validate and close; on a problem, say it next to the buttons and keep everything."""
        if self._ctx is None:
            return None
        eid = self._ctx.encounter_id
        try:
            closed = self._service.close(eid, self.form())
        except WrapUpError as exc:
            self.error_label.setText(exc.message(self._lang))
            return None
        self.close_button.setEnabled(False)
        pdf = None
        try:  # the record is a copy of what is stored: a rendering failure must not undo closing
            pdf = render_record_pdf(self._service.record(eid), self._lang)
            self._service.attach_record_pdf(eid, pdf)
        except Exception:
            log.exception("consultation record PDF failed")
        if pdf and self._print_record is not None and self.print_record_box.isChecked():
            try:
                self._print_record(pdf, "compte-rendu.pdf")
            except Exception as exc:  # kept in the store: it can be printed again later
                self._service.note_print_failed(eid, type(exc).__name__)
        self.sig_closed.emit(closed)
        self.sig_next.emit()
        return closed
