"""The screen contract every station screen follows, plus the kiosk helpers they share.

A screen is a ``QWidget`` with ``sig_next`` / ``sig_back`` (Spyder naming: ``sig_…`` signals,
``on_…`` slots), ``on_enter(ctx)`` when shown, ``clear()`` for the next patient and
``retranslate(lang)`` for the run-time language switch. The main window owns navigation;
screens only say "forward" or "back". Enter triggers the screen's primary action and Esc its
back action (keyboard-complete kiosk, HOUSE_STYLE habit 14).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

TOUCH_TARGET_PX = 56  # ≥ 48 px touch targets, with a margin for thick borders


def touch_button(parent: QWidget | None, *, primary: bool = False, name: str = "") -> QPushButton:
    """A push button sized for a finger; ``primary`` gets the accent style (one per screen)."""
    button = QPushButton(parent)
    button.setMinimumHeight(TOUCH_TARGET_PX)
    button.setMinimumWidth(TOUCH_TARGET_PX * 3)
    button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    button.setProperty("primary", primary)
    button.setAutoDefault(False)
    if name:
        button.setObjectName(name)
    return button


def title_label(parent: QWidget | None) -> QLabel:
    """The big heading at the top of a screen."""
    label = QLabel(parent)
    label.setObjectName("screenTitle")
    label.setWordWrap(True)
    label.setAccessibleName("title")
    return label


class Screen(QWidget):
    """Base class of the station screens (see the module docstring for the contract)."""

    sig_next = Signal()
    sig_back = Signal()

    #: The name the main window registers this screen under (``MainWindow.add_screen``).
    screen_name = "screen"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang = "fr"
        self._primary: QPushButton | None = None
        self._back: QPushButton | None = None

    # --- contract ------------------------------------------------------------------------------
    def on_enter(self, ctx: Any) -> None:
        """Called each time the screen is shown, with the current encounter context."""

    def clear(self) -> None:
        """Forget everything shown (next patient, lock)."""

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again in ``lang`` (``None`` keeps the current one)."""
        if lang in ("fr", "en"):
            self.lang = lang

    # --- keyboard ------------------------------------------------------------------------------
    def set_primary(self, button: QPushButton) -> None:
        """Declare the screen's one primary action (Enter clicks it when enabled)."""
        self._primary = button
        button.setProperty("primary", True)

    def set_back(self, button: QPushButton) -> None:
        """Declare the Back/Cancel button (Esc clicks it)."""
        self._back = button

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter/Return = primary action, Esc = back (keys inputs leave unhandled reach here)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.on_primary_shortcut()
            event.accept()
        elif event.key() == Qt.Key.Key_Escape:
            self.on_back_shortcut()
            event.accept()
        else:
            super().keyPressEvent(event)

    def on_primary_shortcut(self) -> None:
        """Enter: click the primary button if it can be used."""
        if self._primary is not None and self._primary.isEnabled() and self._primary.isVisible():
            self._primary.click()

    def on_back_shortcut(self) -> None:
        """Esc: click Back/Cancel if there is one, else emit ``sig_back``."""
        if self._back is not None:
            if self._back.isEnabled():
                self._back.click()
            return
        self.sig_back.emit()
