"""Kiosk look: the high-contrast stylesheet from ``resources/qss`` and the base font."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from telecabine.ui.field_safety import install_field_guard

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
QSS_PATH = RESOURCES / "qss" / "kiosk.qss"
ICONS = RESOURCES / "icons"


def stylesheet() -> str:
    """The kiosk stylesheet text (empty when the resources folder is missing)."""
    try:
        text = QSS_PATH.read_text(encoding="utf-8")
    except OSError:
        return ""
    # QSS resolves url() against the working directory: give it an absolute path.
    return text.replace("@ICONS@", ICONS.as_posix())


def apply_theme(app: QApplication) -> None:
    """Apply the high-contrast kiosk theme to the whole application."""
    app.setStyle("Fusion")  # same look on every platform; the QSS relies on it
    app.setStyleSheet(stylesheet())
    install_field_guard(app)
