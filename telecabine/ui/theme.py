"""Kiosk look: the stylesheet from ``resources/qss`` (plus large-text and high-contrast layers).

``kiosk.qss`` is the base; ``large_text.qss`` and ``high_contrast.qss`` are appended when their
mode is on, so their rules win. The modes come from the settings at start-up
(``TELECABINE_LARGE_TEXT``, ``TELECABINE_HIGH_CONTRAST``) and from the accessibility menu at
run time (``apply_theme`` again: Qt re-polishes every widget).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication

from telecabine.ui.field_safety import install_field_guard

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
QSS_DIR = RESOURCES / "qss"
QSS_PATH = QSS_DIR / "kiosk.qss"
ICONS = RESOURCES / "icons"


@dataclass(frozen=True)
class ThemeModes:
    """Which accessibility layers are on."""

    large_text: bool = False
    high_contrast: bool = False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def stylesheet(modes: ThemeModes = ThemeModes()) -> str:
    """The kiosk stylesheet text for ``modes`` (empty when the resources folder is missing)."""
    text = _read(QSS_PATH)
    if modes.large_text:
        text += "\n" + _read(QSS_DIR / "large_text.qss")
    if modes.high_contrast:
        text += "\n" + _read(QSS_DIR / "high_contrast.qss")
    # QSS resolves url() against the working directory: give it an absolute path.
    return text.replace("@ICONS@", ICONS.as_posix())


def current_modes(app: QApplication | None = None) -> ThemeModes:
    """The modes last applied to the application (default: none)."""
    app = app or QApplication.instance()
    return ThemeModes(
        large_text=bool(app.property("telecabineLargeText")),
        high_contrast=bool(app.property("telecabineHighContrast")),
    )


def apply_theme(app: QApplication, modes: ThemeModes | None = None) -> None:
    """Apply the kiosk theme (and the accessibility layers in ``modes``) to the application."""
    modes = modes or ThemeModes()
    app.setStyle("Fusion")  # same look on every platform; the QSS relies on it
    app.setProperty("telecabineLargeText", modes.large_text)
    app.setProperty("telecabineHighContrast", modes.high_contrast)
    app.setStyleSheet(stylesheet(modes))
    install_field_guard(app)
