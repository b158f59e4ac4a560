"""Télé-expertise at the station: ask a specialist about the current patient with
full-resolution photos (dermatoscope, document camera), the vitals that matter and a question;
follow the requests sent and read, print the answers.

The screen calls :class:`telecabine.services.expertise.ExpertiseService` only. Photos are taken
by ``capture(role)`` (``DeviceRegistry.capture_still``) in a worker thread: an 8 MP capture and
JPEG encode take a few hundred milliseconds and must not freeze the kiosk. The request is
stored encrypted and queued at once; it leaves when the hub is reachable (offline-first).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.errors import DomainError
from telecabine.domain.vitals import VITAL_SIGNS, display_unit
from telecabine.services.expertise import ExpertiseService, RequesterInfo
from telecabine.ui.screens.base import Screen, title_label, touch_button

_CTX = "ExpertiseScreen"
_T = QCoreApplication.translate
THUMB_PX = 120
CHECKED_QSS = "QPushButton:checked { background: #0b5cad; color: white; }"  # not user text
STATUS_TEXT = {
    "pending": "En attente d'envoi", "sent": "Envoyée, en attente de réponse",
    "answered": "Réponse reçue", "refused": "Refusée", "conflict": "À vérifier",
}  # fmt: skip
ROLE_TEXT = {"dermatoscope": "Photo dermatoscope", "document": "Photo caméra document",
             "otoscope": "Photo otoscope", "room": "Photo caméra cabine"}  # fmt: skip
_VITAL_BY_CODE = {v.code: v for v in VITAL_SIGNS.values()}
_VITAL_BY_CODE.setdefault("59408-5", _VITAL_BY_CODE.get("2708-6"))  # SpO2, pulse oximetry code


class ExpertiseScreen(Screen):
    """Compose and send a request (left), follow the requests and answers (right)."""

    screen_name = "expertise"
    sig_photo = Signal(object)  # a Still, or a StillError, from the capture thread

    def __init__(
        self,
        service: ExpertiseService,
        *,
        capture: Callable[[str], Any] | None = None,
        photo_roles: Sequence[str] = ("dermatoscope", "document"),
        experts: Sequence[tuple[str, str]] = (),
        print_pdf: Callable[[bytes, str], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._capture = capture
        self._print_pdf = print_pdf
        self._ctx: Any = None
        self._stills: list[Any] = []
        self._vital_boxes: list[QCheckBox] = []
        self.title = title_label(self)
        self.expert_label = QLabel(self)
        self.expert = QComboBox(self)
        self.expert.setEditable(True)  # offline: type the expert's username given by the hub
        self.expert_label.setBuddy(self.expert)
        self.set_experts(experts)
        self.urgency_label = QLabel(self)
        self.routine = touch_button(self, name="routine")
        self.urgent = touch_button(self, name="urgent")
        self._urgency = QButtonGroup(self)
        for b in (self.routine, self.urgent):
            b.setCheckable(True)
            # The chosen urgency must be seen at a glance, not only by a focus ring.
            b.setStyleSheet(CHECKED_QSS)
            self._urgency.addButton(b)
        self.routine.setChecked(True)
        self.question_label = QLabel(self)
        self.question = QPlainTextEdit(self)
        self.question.setMinimumHeight(120)
        self.question_label.setBuddy(self.question)
        self.vitals_label = QLabel(self)
        self.vitals_box = QHBoxLayout()
        self.photos_label = QLabel(self)
        self.photo_buttons: dict[str, QPushButton] = {}
        photo_row = QHBoxLayout()
        for role in photo_roles:
            b = touch_button(self, name=f"photo_{role}")
            b.clicked.connect(lambda _=False, r=role: self.on_take_photo(r))
            self.photo_buttons[role] = b
            photo_row.addWidget(b)
        photo_row.addStretch(1)
        self.thumbs = QHBoxLayout()
        self.thumbs.addStretch(1)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.sent_label = QLabel(self)
        self.requests = QListWidget(self)
        self.answer = QTextBrowser(self)
        self.print_button = touch_button(self, name="print_answer")
        self.print_button.setEnabled(False)
        self.back_button = touch_button(self, name="back")
        self.send_button = touch_button(self, primary=True, name="send")
        self.set_primary(self.send_button)
        self.set_back(self.back_button)

        form = QGridLayout()
        form.addWidget(self.expert_label, 0, 0)
        form.addWidget(self.expert, 0, 1)
        urg = QHBoxLayout()
        urg.addWidget(self.routine)
        urg.addWidget(self.urgent)
        urg.addStretch(1)
        form.addWidget(self.urgency_label, 1, 0)
        form.addLayout(urg, 1, 1)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.question_label)
        left.addWidget(self.question, 1)
        left.addWidget(self.vitals_label)
        left.addLayout(self.vitals_box)
        left.addWidget(self.photos_label)
        left.addLayout(photo_row)
        left.addLayout(self.thumbs)
        left.addWidget(self.error)
        left.addWidget(self.info)
        right = QVBoxLayout()
        right.addWidget(self.sent_label)
        right.addWidget(self.requests, 1)
        right.addWidget(self.answer, 1)
        right.addWidget(self.print_button)
        # The form scrolls on small screens and in large text; Send stays in the bottom row.
        left_box = QWidget(self)
        left_box.setLayout(left)
        left_scroll = QScrollArea(self)
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left_scroll.setWidget(left_box)
        body = QHBoxLayout()
        body.addWidget(left_scroll, 3)
        body.addSpacing(24)
        body.addLayout(right, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

        self.sig_photo.connect(self._on_photo)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.send_button.clicked.connect(self.on_send)
        self.requests.currentItemChanged.connect(self._on_request_selected)
        self.print_button.clicked.connect(self.on_print)
        self.retranslate()

    # --- contract ---------------------------------------------------------------------------
    def on_enter(self, ctx: Any) -> None:
        """Show the form for the current patient and the requests already sent."""
        self._ctx = ctx
        self.error.clear()
        self.retranslate(getattr(ctx, "lang", None))
        self._fill_vitals()
        self.refresh()

    def clear(self) -> None:
        """Forget the patient's draft request (next patient, lock)."""
        self._ctx = None
        self._stills.clear()
        self.question.clear()
        self.routine.setChecked(True)
        self._reset_thumbs()
        self._fill_vitals()
        self.error.clear()
        self.info.clear()
        self.answer.clear()
        self.requests.clear()

    def set_experts(self, experts: Sequence[tuple[str, str]]) -> None:
        """The hub's experts as (username, "name — specialty"), when known."""
        current = self.expert.currentText()
        self.expert.clear()
        for username, label in experts:
            self.expert.addItem(label, username)
        if current and not experts:
            self.expert.setEditText(current)

    # --- actions ----------------------------------------------------------------------------
    def on_take_photo(self, role: str) -> None:
        """Capture a full-resolution still in a worker thread."""
        if self._capture is None:
            return
        for b in self.photo_buttons.values():
            b.setEnabled(False)
        self.info.setText(_T(_CTX, "Photo en cours…"))

        def work() -> None:
            try:
                result = self._capture(role)
            except Exception as exc:  # StillError or a driver failure: shown, never raised
                result = exc
            self.sig_photo.emit(result)

        threading.Thread(target=work, name="still-capture", daemon=True).start()

    def _on_photo(self, result: Any) -> None:
        for b in self.photo_buttons.values():
            b.setEnabled(True)
        if isinstance(result, Exception):
            self.info.clear()
            self.error.setText(_T(_CTX, "Photo impossible : vérifiez que la caméra est branchée."))
            return
        self.error.clear()
        self._stills.append(result)
        self.info.setText(
            _T(_CTX, "Photo ajoutée ({w} × {h} pixels).").format(w=result.width, h=result.height)
        )
        self._add_thumb(result)

    def _add_thumb(self, still: Any) -> None:
        box = QVBoxLayout()
        image = QImage.fromData(still.jpeg, "JPG")  # decoded into Qt's own buffer (no alias)
        label = QLabel(self)
        label.setPixmap(
            QPixmap.fromImage(image).scaled(
                THUMB_PX,
                THUMB_PX,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        label.setAccessibleName(_T(_CTX, "Photo {n}").format(n=len(self._stills)))
        remove = touch_button(self, name="remove_photo")
        remove.setMinimumWidth(THUMB_PX)
        remove.setMaximumWidth(THUMB_PX)
        remove.setText(_T(_CTX, "Retirer"))
        remove.setAccessibleName(_T(_CTX, "Retirer la photo {n}").format(n=len(self._stills)))

        def drop() -> None:
            if still in self._stills:
                self._stills.remove(still)
            label.deleteLater()
            remove.deleteLater()

        remove.clicked.connect(drop)
        box.addWidget(label)
        box.addWidget(remove)
        self.thumbs.insertLayout(max(0, self.thumbs.count() - 1), box)

    def on_send(self) -> None:
        """Queue the request (stored at once, sent when the hub is reachable)."""
        ctx = self._ctx
        patient_id = getattr(ctx, "patient_id", None)
        if patient_id is None:
            self.error.setText(_T(_CTX, "Identifiez d'abord le patient."))
            return
        expert = self.expert.currentData() or self.expert.currentText().strip()
        codes = [b.property("code") for b in self._vital_boxes if b.isChecked()]
        requester = RequesterInfo(
            name=getattr(ctx, "staff_name", "") or "?",
            role=getattr(ctx, "staff_role", None) or "care_assistant",
            rpps=getattr(ctx, "staff_rpps", None),
        )
        try:
            self._service.create(
                patient_id=patient_id, question=self.question.toPlainText().strip(),
                urgency="urgent" if self.urgent.isChecked() else "routine",
                expert_username=expert, stills=list(self._stills), requester=requester,
                vital_codes=codes, encounter_id=getattr(ctx, "encounter_id", None),
                staff_id=getattr(ctx, "staff_id", None),
            )  # fmt: skip
        except DomainError as exc:
            self.error.setText(self._field_message(exc.field))
            return
        self.error.clear()
        self.info.setText(
            _T(_CTX, "Demande enregistrée : elle part dès que le serveur est joignable.")
        )
        self._stills.clear()
        self._reset_thumbs()
        self.question.clear()
        self.refresh()

    def _field_message(self, field: str | None) -> str:
        return {
            "question": _T(_CTX, "Écrivez la question (au moins 3 caractères)."),
            "expert": _T(_CTX, "Choisissez l'expert."),
            "photos": _T(_CTX, "Trop de photos (6 au plus)."),
            "requester": _T(_CTX, "Le demandeur n'est pas reconnu : reconnectez-vous."),
        }.get(field or "", _T(_CTX, "Demande incomplète : vérifiez chaque champ."))

    def refresh(self) -> None:
        """Reload the list of requests and their states."""
        self.requests.clear()
        for view in self._service.recent(30):
            when = view.created_at.astimezone().strftime("%d/%m %H:%M")
            text = f"{when} · {_T(_CTX, STATUS_TEXT.get(view.status, view.status))} · "
            item = QListWidgetItem(text + view.question[:60], self.requests)
            item.setData(Qt.ItemDataRole.UserRole, view)
        self.answer.clear()
        self.print_button.setEnabled(False)

    def _on_request_selected(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        view = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if view is None:
            return
        if view.answer is not None:
            a = view.answer
            outcome = (_T(_CTX, "Une téléconsultation est nécessaire.")
                       if a.outcome == "needs_teleconsultation" else "")  # fmt: skip
            self.answer.setPlainText(f"{a.expert_name} — {a.answered_at:%d/%m/%Y}\n\n{a.text}\n\n"
                                     f"{outcome}")  # fmt: skip
        elif view.status == "refused":
            self.answer.setPlainText(view.refusal_en if self.lang == "en" else view.refusal_fr)
        else:
            self.answer.setPlainText(_T(_CTX, STATUS_TEXT.get(view.status, view.status)))
        self.print_button.setEnabled(
            self._print_pdf is not None and bool(self._service.answer_pdf(view.request_uuid))
        )

    def on_print(self) -> None:
        """Print the expert's PDF for the patient's file."""
        item = self.requests.currentItem()
        if item is None or self._print_pdf is None:
            return
        view = item.data(Qt.ItemDataRole.UserRole)
        pdf = self._service.answer_pdf(view.request_uuid)
        if pdf:
            self._print_pdf(pdf, "tele-expertise.pdf")
            self._service.mark_printed(view.request_uuid)
            self.info.setText(_T(_CTX, "Réponse imprimée."))

    # --- helpers ----------------------------------------------------------------------------
    def _fill_vitals(self) -> None:
        self._clear_layout(self.vitals_box)
        self._vital_boxes = []
        encounter_id = getattr(self._ctx, "encounter_id", None)
        for code, value, unit in self._service.measured_vitals(encounter_id):
            sign = _VITAL_BY_CODE.get(code)
            label = (sign.label_en if self.lang == "en" else sign.label_fr) if sign else code
            box = QCheckBox(f"{label} : {value:g} {display_unit(unit)}", self)
            box.setProperty("code", code)
            box.setChecked(True)
            box.setMinimumHeight(48)
            self._vital_boxes.append(box)
            self.vitals_box.addWidget(box)
        self.vitals_box.addStretch(1)
        if not self._vital_boxes:
            empty = QLabel(_T(_CTX, "Aucune constante mesurée pour ce patient."), self)
            empty.setProperty("role", "hint")
            self.vitals_box.addWidget(empty)

    def _reset_thumbs(self) -> None:
        self._clear_layout(self.thumbs)
        self.thumbs.addStretch(1)

    @staticmethod
    def _clear_layout(layout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
            elif item.layout() is not None:
                ExpertiseScreen._clear_layout(item.layout())

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_T(_CTX, "Demande de télé-expertise"))
        self.expert_label.setText(_T(_CTX, "Expert"))
        self.expert.setAccessibleName(_T(_CTX, "Expert sollicité"))
        self.urgency_label.setText(_T(_CTX, "Urgence"))
        self.routine.setText(_T(_CTX, "Non urgent"))
        self.urgent.setText(_T(_CTX, "Urgent"))
        self.question_label.setText(_T(_CTX, "Question posée à l'expert"))
        self.question.setAccessibleName(_T(_CTX, "Question posée à l'expert"))
        self.vitals_label.setText(_T(_CTX, "Constantes jointes"))
        self.photos_label.setText(_T(_CTX, "Photos (pleine résolution)"))
        for role, b in self.photo_buttons.items():
            b.setText(_T(_CTX, ROLE_TEXT.get(role, role)))
            b.setAccessibleName(_T(_CTX, ROLE_TEXT.get(role, role)))
        self.sent_label.setText(_T(_CTX, "Demandes envoyées"))
        self.requests.setAccessibleName(_T(_CTX, "Demandes envoyées"))
        self.answer.setAccessibleName(_T(_CTX, "Réponse de l'expert"))
        self.print_button.setText(_T(_CTX, "Imprimer la réponse"))
        self.print_button.setAccessibleName(_T(_CTX, "Imprimer la réponse"))
        self.back_button.setText(_T(_CTX, "Retour"))
        self.back_button.setAccessibleName(_T(_CTX, "Retour"))
        self.send_button.setText(_T(_CTX, "Envoyer la demande"))
        self.send_button.setAccessibleName(_T(_CTX, "Envoyer la demande"))
