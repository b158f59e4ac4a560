"""Banner shown at start when the previous run ended abruptly (``telecabine/crash.py``).

Says what happened in words (French, English through the Qt catalogue), that the patient in
progress can be resumed from the home page (the drafts) and that the call can be started
again; no patient data. Dismissed by the staff ("Compris").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

CTX = "CrashNotice"


def _tr(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


class CrashNotice(QFrame):
    """The banner; ``previous`` has ``kind`` ("fatal" or "killed") and ``started_at``."""

    def __init__(self, previous: Any, parent=None) -> None:
        super().__init__(parent, objectName="crashNotice")
        self.previous = previous
        self.setStyleSheet("#crashNotice{background:#fdecea;color:#611a15;padding:8px;}")
        self.label = QLabel(wordWrap=True)
        self.dismiss_button = QPushButton()
        self.dismiss_button.setMinimumHeight(44)
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.dismiss_button)
        self.retranslate()

    def retranslate(self, _lang: str | None = None) -> None:
        """Re-apply the words (the language switch calls this)."""
        started = getattr(self.previous, "started_at", None)
        when = started.astimezone().strftime("%d/%m/%Y %H:%M") if isinstance(
            started, dt.datetime) else "?"  # fmt: skip
        what = (_tr("erreur interne") if self.previous.kind == "fatal"
                else _tr("arrêt brutal"))  # fmt: skip
        self.label.setText(
            _tr(
                "La station s'est arrêtée de façon inattendue ({what} ; session ouverte le "
                "{when}). Rien n'est perdu : reprenez le patient depuis l'accueil ; l'appel "
                "peut être relancé."
            ).format(what=what, when=when)
        )
        self.label.setAccessibleName(_tr("Arrêt inattendu de la station"))
        self.dismiss_button.setText(_tr("Compris"))
