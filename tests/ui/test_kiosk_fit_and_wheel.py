"""Kiosk checks over every station screen (issue 17 items 1-2), with the key banner shown.

- The mouse wheel over any input (combo, spin box, date, slider) leaves its value unchanged and
  scrolls the page instead; the same event without the guard does change it (the test can fail).
- Combo drop-down rows are at least 48 px high.
- At 1280×800, 1366×768 and 1920×1080 the window keeps its size, every visible button outside a
  scroll area (every primary button) lies inside the window, and no widget spills out of its
  parent.
"""

from __future__ import annotations

import pytest
from kiosk_testlib import SIZES, all_names, build_station, dispose, show_page
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QPushButton,
    QScrollBar,
    QWidget,
)

from telecabine.ui.field_safety import install_field_guard
from telecabine.ui.theme import stylesheet


@pytest.fixture
def station(qtbot, station_store, data_dir):
    shell = build_station(qtbot, station_store, data_dir)
    window = shell.window
    window.setStyleSheet(stylesheet())  # the kiosk look (sizes) on this window only
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield shell
    dispose(shell)


def _wheel(widget: QWidget, dy: int) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, dy),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def _value(widget: QWidget):
    if isinstance(widget, QComboBox):
        return widget.currentIndex()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    return widget.value()


def _inputs(page: QWidget) -> list[QWidget]:
    found = page.findChildren(QComboBox) + page.findChildren(QAbstractSpinBox)
    found += [s for s in page.findChildren(QAbstractSlider) if not isinstance(s, QScrollBar)]
    return found


def _page(shell, name: str) -> QWidget:
    return shell.window.screens.get(name) or getattr(shell, name)


def test_wheel_never_changes_an_input_on_any_screen(station, qtbot) -> None:
    checked = 0
    for name in all_names(station):
        show_page(station, name)
        for widget in _inputs(_page(station, name)):
            if isinstance(widget, QComboBox) and widget.count() > 1:
                widget.setCurrentIndex(1)  # room to move both ways
            before = _value(widget)
            targets = [widget]
            if isinstance(widget, QAbstractSpinBox):
                targets += widget.findChildren(QWidget)  # the inner line edit gets it first
            for target in targets:
                for dy in (-120, 120, -360):
                    _wheel(target, dy)
            widget.setFocus()  # focused inputs are protected too
            _wheel(widget, -120)
            assert _value(widget) == before, f"{name}: {widget.objectName() or widget}"
            assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus, name
            checked += 1
    assert checked >= 10  # sex, no-NIR, specialty, consent giver, role, units, wrap-up...


def test_without_the_guard_the_wheel_would_change_the_sex(station) -> None:
    app = QApplication.instance()
    guard = install_field_guard(app)
    show_page(station, "patient")
    sex = station.patient.inputs["sex"]
    sex.setCurrentIndex(1)
    app.removeEventFilter(guard)
    try:
        _wheel(sex, -120)
        assert sex.currentIndex() == 2  # what happened to the new user ("Indéterminé")
    finally:
        app.installEventFilter(guard)
    _wheel(sex, -120)
    assert sex.currentIndex() == 2


def test_wheel_over_an_input_scrolls_the_form_instead(station) -> None:
    show_page(station, "patient")
    station.window.resize(1280, 800)
    QApplication.processEvents()
    bar = station.patient.scroll.verticalScrollBar()
    assert bar.maximum() > 0  # the form is taller than the window at this size
    bar.setValue(0)
    specialty = station.patient.specialty
    index = specialty.currentIndex()
    _wheel(station.patient.inputs["sex"], -240)
    assert bar.value() > 0
    assert specialty.currentIndex() == index


def test_page_scroll_areas_scroll_under_a_finger(station) -> None:
    from PySide6.QtWidgets import QScrollArea, QScroller

    areas = []
    for name in all_names(station):
        show_page(station, name)
        areas += [a for a in _page(station, name).findChildren(QScrollArea) if a.isVisible()]
    assert len(areas) >= 3  # patient form, summary, wrap-up, home overview...
    for area in areas:
        assert QScroller.hasScroller(area.viewport()), area.parentWidget()


def test_combo_drop_down_rows_are_finger_sized(station) -> None:
    show_page(station, "patient")
    combo = station.patient.inputs["sex"]
    combo.showPopup()
    try:
        view = combo.view()
        heights = [view.visualRect(combo.model().index(r, 0)).height() for r in range(3)]
    finally:
        combo.hidePopup()
    assert min(heights) >= 48, heights


def _scrolled(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _overflows(page: QWidget, window: QWidget) -> list[str]:
    problems = []
    frame = window.rect().adjusted(-1, -1, 1, 1)
    for widget in page.findChildren(QWidget):
        if not widget.isVisibleTo(window) or widget.isWindow() or _scrolled(widget):
            continue
        parent = widget.parentWidget()
        inside_parent = parent.rect().adjusted(-1, -1, 1, 1).contains(widget.geometry())
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        label = f"{widget.metaObject().className()} {widget.objectName()!r} {rect}"
        if not frame.contains(rect):
            problems.append(f"outside the window: {label}")
        elif not inside_parent and not isinstance(parent, QAbstractScrollArea):
            problems.append(f"cut by its parent: {label}")
    header = window.findChild(QWidget, "header")
    for button in page.findChildren(QPushButton) + header.findChildren(QPushButton):
        visible = button.isVisibleTo(window) and not _scrolled(button)
        if visible and button.width() < button.sizeHint().width() - 2:
            problems.append(f"text clipped: {button.objectName()!r} {button.text()!r}")
        if button.isVisibleTo(window) and button.property("primary"):
            rect = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
            if not frame.contains(rect) or button.height() < 48:
                problems.append(f"primary button not usable: {button.objectName()} {rect}")
    return problems


def test_every_screen_fits_the_window_with_the_banner(qtbot, station_store, data_dir) -> None:
    station = build_station(qtbot, station_store, data_dir)
    station.window.setStyleSheet(stylesheet())
    station.window.show()
    window = station.window
    problems: list[str] = []
    for size in SIZES:
        for name in all_names(station):
            show_page(station, name)
            window.resize(*size)
            QApplication.processEvents()
            where = f"{size[0]}×{size[1]} {name}"
            if (window.width(), window.height()) != size:
                problems.append(f"{where}: window forced to {window.width()}×{window.height()}")
            page = _page(station, name)
            problems += [f"{where}: {p}" for p in _overflows(page, window)]
    dispose(station)
    assert not problems, "\n".join(problems)
