"""Main window navigation, keyboard and language switch with plain screens (no services)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from telecabine.ui.main_window import MainWindow
from telecabine.ui.screens.base import Screen, touch_button


class _Probe(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.entered = 0
        self.cleared = 0
        self.langs: list[str | None] = []
        self.ok = touch_button(self, primary=True)
        self.ok.clicked.connect(self.sig_next.emit)
        self.set_primary(self.ok)

    def on_enter(self, ctx) -> None:
        self.entered += 1

    def clear(self) -> None:
        self.cleared += 1

    def retranslate(self, lang=None) -> None:
        self.langs.append(lang)


def _window(qtbot, names):
    window = MainWindow("Cabine test")
    qtbot.addWidget(window)
    screens = {n: _Probe() for n in names}
    for name, screen in screens.items():
        window.add_screen(name, screen)
    return window, screens


def test_flow_skips_missing_screens_and_wraps_to_next_patient(qtbot):
    window, screens = _window(qtbot, ["home", "patient", "summary", "call"])
    window.go_to("home")
    assert window.flow_after("patient") == "summary"
    assert window.flow_before("call") == "summary"
    screens["home"].sig_next.emit()
    assert window.current_name == "patient"
    screens["patient"].sig_back.emit()
    assert window.current_name == "home"
    screens["call"].sig_next.emit()  # not on show: ignored (a late end must not navigate)
    assert window.current_name == "home"
    window.go_to("call")
    with qtbot.waitSignal(window.sig_next_patient):
        screens["call"].sig_next.emit()


def test_enter_clicks_primary_and_escape_goes_back(qtbot):
    window, screens = _window(qtbot, ["home", "patient"])
    window.show()
    qtbot.waitExposed(window)
    window.go_to("home")
    screens["home"].ok.setFocus()
    qtbot.keyClick(screens["home"].ok, Qt.Key.Key_Return)
    assert window.current_name == "patient"
    screens["patient"].ok.setFocus()
    qtbot.keyClick(screens["patient"].ok, Qt.Key.Key_Escape)
    assert window.current_name == "home"


def test_language_switch_reaches_every_screen_and_header(qtbot):
    window, screens = _window(qtbot, ["home", "patient"])
    seen = []
    window.set_language_hook(seen.append)
    window.set_language("en")
    assert seen == ["en"]
    assert all(s.langs[-1] == "en" for s in screens.values())
    assert window.language_button.text() == "Français"
    assert window.context["lang"] == "en"


def test_touch_targets_are_big_enough(qtbot):
    window, _ = _window(qtbot, ["home"])
    for button in (window.lock_button, window.language_button, window.next_patient_button):
        assert button.minimumHeight() >= 48
        assert button.accessibleName()
