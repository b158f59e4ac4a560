"""The header's accessibility menu: large text, high contrast, spoken guidance (issue 17 item 4).

Each choice applies at once (the theme is re-applied to the whole application; spoken guidance
is a signal the composition root connects to the measurement screen). Start-up values come from
``TELECABINE_LARGE_TEXT``, ``TELECABINE_HIGH_CONTRAST`` and ``TELECABINE_SPEECH_GUIDANCE``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMenu, QPushButton, QWidget

from telecabine.ui.screens.base import touch_button
from telecabine.ui.theme import ThemeModes, apply_theme, current_modes

_CTX = "KioskA11y"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


class AccessibilityMenu(QWidget):
    """A header button opening three checkable choices."""

    sig_speech_changed = Signal(bool)
    sig_modes_changed = Signal(object)  # ThemeModes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button: QPushButton = touch_button(self, name="accessibility")
        self.button.setMinimumWidth(120)
        self.menu = QMenu(self.button)
        self.menu.setObjectName("accessibilityMenu")
        self.large_text = QAction(self.menu, checkable=True)
        self.high_contrast = QAction(self.menu, checkable=True)
        self.speech = QAction(self.menu, checkable=True)
        self.speech.setChecked(True)
        for action in (self.large_text, self.high_contrast, self.speech):
            self.menu.addAction(action)
        self.button.setMenu(self.menu)
        modes = current_modes()
        self.large_text.setChecked(modes.large_text)
        self.high_contrast.setChecked(modes.high_contrast)
        self.large_text.toggled.connect(self.on_theme_toggled)
        self.high_contrast.toggled.connect(self.on_theme_toggled)
        self.speech.toggled.connect(self.sig_speech_changed.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        self.retranslate()

    def set_speech(self, enabled: bool, available: bool = True) -> None:
        """Start-up state of spoken guidance (greyed out when no speech engine is installed)."""
        self.speech.setEnabled(available)
        self.speech.setChecked(enabled and available)

    def modes(self) -> ThemeModes:
        """The theme modes currently chosen."""
        return ThemeModes(self.large_text.isChecked(), self.high_contrast.isChecked())

    def on_theme_toggled(self, _on: bool) -> None:
        """Re-apply the theme to the whole application with the chosen layers."""
        modes = self.modes()
        apply_theme(QApplication.instance(), modes)
        self.sig_modes_changed.emit(modes)

    def retranslate(self) -> None:
        """Every string again (the main window calls it on a language switch)."""
        self.button.setText(_tr("Accessibilité"))
        self.button.setAccessibleName(_tr("Options d'accessibilité"))
        self.large_text.setText(_tr("Grands caractères"))
        self.high_contrast.setText(_tr("Contraste élevé"))
        self.speech.setText(_tr("Guidage vocal des mesures"))
        if not self.speech.isEnabled():
            self.speech.setText(_tr("Guidage vocal indisponible (aucune synthèse vocale)"))


def connect_speech(menu: AccessibilityMenu, screen: QWidget, *, enabled: bool) -> None:
    """Wire spoken guidance: start-up state (``TELECABINE_SPEECH_GUIDANCE``) and the menu toggle.

    ``screen`` is the measurement screen built with ``speech=system_speech()`` (``None`` when
    no engine is installed: the menu then says guidance is unavailable).
    """
    available = getattr(screen, "_speech", None) is not None
    menu.set_speech(enabled, available)
    screen.set_speech_enabled(enabled and available)
    menu.retranslate()
    menu.sig_speech_changed.connect(screen.set_speech_enabled)
