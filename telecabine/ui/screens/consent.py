"""Consent: the versioned information text, then the patient's (or representative's) answer.

Both answers are recorded (CSP R6316); a refusal closes the encounter as abandoned with reason
``consent_refused`` and the station goes back to home for the next patient.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.errors import DomainError
from telecabine.services.intake import IntakeContext, IntakeService
from telecabine.ui.screens.base import Screen, title_label, touch_button

_CTX = "ConsentScreen"
_T = QCoreApplication.translate
_GIVERS = (("patient", "Le patient"), ("legal_representative", "Représentant légal"),
           ("trusted_person", "Personne de confiance"))  # fmt: skip


class ConsentScreen(Screen):
    """Information text, who answers, and two answers: agree (primary) or refuse."""

    screen_name = "consent"
    sig_refused = Signal()

    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._intake = intake
        self._ctx: IntakeContext = IntakeContext()
        self.title = title_label(self)
        self.text = QTextBrowser(self)
        self.text.setObjectName("informationText")
        self.version = QLabel(self)
        self.version.setProperty("role", "hint")
        self.giver_label = QLabel(self)
        self.giver = QComboBox(self)
        for value, _label in _GIVERS:
            self.giver.addItem("", value)
        self.giver_label.setBuddy(self.giver)
        self.name_label = QLabel(self)
        self.giver_name = QLineEdit(self)
        self.name_label.setBuddy(self.giver_name)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.back_button = touch_button(self, name="back")
        self.refuse_button = touch_button(self, name="refuse")
        self.agree_button = touch_button(self, primary=True, name="agree")
        self.set_primary(self.agree_button)
        self.set_back(self.back_button)
        who = QHBoxLayout()
        who.addWidget(self.giver_label)
        who.addWidget(self.giver, 1)
        who.addSpacing(24)
        who.addWidget(self.name_label)
        who.addWidget(self.giver_name, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refuse_button)
        buttons.addWidget(self.agree_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.version)
        layout.addLayout(who)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.giver.currentIndexChanged.connect(self.on_giver_changed)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.agree_button.clicked.connect(lambda: self.on_answer("given"))
        self.refuse_button.clicked.connect(lambda: self.on_answer("refused"))
        self.retranslate()
        self.on_giver_changed(0)

    def on_enter(self, ctx: Any) -> None:
        """Show the text in force today, in the current language."""
        self._ctx = ctx
        self.error.clear()
        self.retranslate(getattr(ctx, "lang", None))

    def clear(self) -> None:
        """Forget who answered."""
        self._ctx = IntakeContext()
        self.giver.setCurrentIndex(0)
        self.giver_name.clear()
        self.error.clear()

    def on_giver_changed(self, _index: int) -> None:
        """A representative or trusted person must be named; the patient need not."""
        patient = self.giver.currentData() == "patient"
        self.giver_name.setEnabled(not patient)
        if patient:
            self.giver_name.clear()

    def on_answer(self, decision: str) -> None:
        """Record the answer; a refusal ends the encounter (kept), consent goes on."""
        try:
            given = self._intake.record_consent(
                self._ctx, decision, self.giver.currentData(), self.giver_name.text() or None
            )
        except DomainError as exc:
            self.error.setText(exc.message(self.lang))
            return
        self.error.clear()
        if given:
            self.sig_next.emit()
        else:
            self.sig_refused.emit()

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again (the information text comes from the domain)."""
        super().retranslate(lang)
        info = self._intake.information_text()
        self.title.setText(info.title(self.lang))
        self.text.setPlainText(info.body(self.lang))
        self.text.setAccessibleName(info.title(self.lang))
        self.version.setText(_T(_CTX, "Version du texte : {ref}").format(ref=info.ref))
        self.giver_label.setText(_T(_CTX, "Qui répond"))
        self.giver.setAccessibleName(_T(_CTX, "Qui répond"))
        for index, (_value, label) in enumerate(_GIVERS):
            self.giver.setItemText(index, _T(_CTX, label))
        self.name_label.setText(_T(_CTX, "Nom"))
        self.giver_name.setAccessibleName(_T(_CTX, "Nom de la personne qui répond"))
        self.back_button.setText(_T(_CTX, "Retour"))
        self.back_button.setAccessibleName(_T(_CTX, "Retour à l'identité"))
        self.refuse_button.setText(_T(_CTX, "Refuse"))
        self.refuse_button.setAccessibleName(_T(_CTX, "Le patient refuse la téléconsultation"))
        self.agree_button.setText(_T(_CTX, "Accepte"))
        self.agree_button.setAccessibleName(_T(_CTX, "Le patient accepte la téléconsultation"))
