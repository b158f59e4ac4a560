"""Inputs that keep their value while the page scrolls (issue 17 item 1).

Qt lets the mouse wheel change a combo box, spin box, date edit or slider under the pointer:
scrolling the patient form silently turned the sex into "Indéterminé" and the specialty into
"Ophtalmologie" (which changes the tariff). One application-wide event filter, installed once,
fixes every screen at the same time, present and future:

- a wheel event over an input never reaches it; it scrolls the nearest scroll area instead;
- inputs take focus only from a tap or Tab (``StrongFocus``), never from the wheel;
- combo boxes get a delegate that honours the stylesheet, so the drop-down rows are as tall as
  the kiosk's other targets (``QComboBox QAbstractItemView::item { min-height: 48px }``);
- page scroll areas scroll under a finger (``QScroller`` touch gesture): a finger that moves is
  a scroll, only a finger that stays put reaches the input under it as a tap, so a stray
  touch while the page scrolls changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollArea,
    QScrollBar,
    QScroller,
    QStyledItemDelegate,
    QWidget,
)

_GUARD_NAME = "telecabineFieldGuard"


def value_input(widget: QObject | None) -> QWidget | None:
    """The value-changing input ``widget`` belongs to (itself or an ancestor), if any.

    A spin box's inner line edit receives the wheel first, so the walk goes up to the window.
    Scroll bars are sliders too, but scrolling them is what the wheel is for.
    """
    while isinstance(widget, QWidget):
        if isinstance(widget, (QComboBox, QAbstractSpinBox)):
            return widget
        if isinstance(widget, QAbstractSlider) and not isinstance(widget, QScrollBar):
            return widget
        if widget.isWindow():
            return None
        widget = widget.parentWidget()
    return None


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area holding ``widget`` (within its window)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        if parent.isWindow():
            return None
        parent = parent.parentWidget()
    return None


class FieldGuard(QObject):
    """Application-wide filter: the wheel scrolls the page, never an input's value."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Swallow wheel events aimed at inputs (forwarded to the page); tune inputs on polish."""
        kind = event.type()
        if kind == QEvent.Type.Wheel:
            target = value_input(watched)
            if target is None:
                return False
            self._forward(target, event)
            return True
        if kind == QEvent.Type.Polish and isinstance(watched, QWidget):
            tune_input(watched)
        return False

    @staticmethod
    def _forward(target: QWidget, event: QWheelEvent) -> None:
        area = scroll_area_of(target)
        if area is None:
            return
        viewport = area.viewport()
        global_pos = event.globalPosition()
        local = viewport.mapFromGlobal(global_pos.toPoint())
        forwarded = QWheelEvent(
            local.toPointF(), global_pos, event.pixelDelta(), event.angleDelta(),
            event.buttons(), event.modifiers(), event.phase(), event.inverted(),
        )  # fmt: skip
        QApplication.sendEvent(viewport, forwarded)


def tune_input(widget: QWidget) -> None:
    """Focus from tap or Tab only; combo rows that honour the stylesheet's min-height."""
    if isinstance(widget, QScrollArea):
        # Pages only (not lists or text boxes): a touch drag scrolls, a still tap clicks.
        QScroller.grabGesture(widget.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        return
    if value_input(widget) is not widget:
        return
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    if isinstance(widget, QComboBox) and not isinstance(widget.itemDelegate(), QStyledItemDelegate):
        # Fusion's default combo delegate ignores QSS item sizes; the styled one applies them.
        widget.setItemDelegate(QStyledItemDelegate(widget))


def install_field_guard(app: QApplication | None = None) -> FieldGuard:
    """Install the guard on the application once (later calls return the same filter)."""
    app = app or QApplication.instance()
    guard = app.findChild(FieldGuard, _GUARD_NAME)
    if guard is None:
        guard = FieldGuard(app)  # owned by the application: lives as long as it does
        guard.setObjectName(_GUARD_NAME)
        app.installEventFilter(guard)
    return guard
