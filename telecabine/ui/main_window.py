"""The kiosk main window: a header, the screen flow in a stack, sign-in and lock pages on top.

Screens register by name (``add_screen``); the flow ``home → patient → consent → summary →
equipment → measurement → call → wrapup → home`` skips names nobody registered. Navigation
lives here only: screens emit ``sig_next`` / ``sig_back`` and never know their neighbours.
The sign-in and lock pages *replace* the flow page (they are not drawn over it), so a locked
station shows no patient datum at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from telecabine.ui.accessibility import AccessibilityMenu
from telecabine.ui.field_safety import install_field_guard
from telecabine.ui.screens.base import touch_button

FLOW = ("home", "patient", "consent", "summary", "equipment", "measurement", "call", "wrapup")


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    """Header + stacked screens; owns navigation, language switch, lock and next patient."""

    sig_language_changed = Signal(str)
    sig_lock_requested = Signal()
    sig_next_patient = Signal()
    sig_screen_changed = Signal(str)
    sig_staff_admin_requested = Signal()

    def __init__(self, cabin_name: str, lang: str = "fr", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        install_field_guard()  # once per application: the wheel never changes an input's value
        self.lang = lang
        self.context: Any = {"lang": lang}
        self.screens: dict[str, QWidget] = {}
        self._current: str | None = None
        self._language_hook: Callable[[str], None] | None = None

        # The key-storage banner sits above every page (flow, sign-in, lock): it must stay seen.
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.key_warning_banner = QLabel("", objectName="keyWarning")
        self.key_warning_banner.setWordWrap(True)
        self.key_warning_banner.hide()
        column.addWidget(self.key_warning_banner)
        self._banner_column = column
        self.pages = QStackedWidget(central)  # flow page, then sign-in / lock pages
        column.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.flow_page = QWidget()
        outer = QVBoxLayout(self.flow_page)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = QWidget(objectName="header")
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 8, 16, 8)
        self.cabin_label = QLabel(cabin_name, objectName="cabinName")
        self.staff_label = QLabel("", objectName="staffName")
        self.next_patient_button = touch_button(header, name="nextPatient")
        self.language_button = touch_button(header, name="language")
        self.lock_button = touch_button(header, name="lock")
        self.staff_admin_button = touch_button(header, name="staffAdmin")
        self.staff_admin_button.hide()  # shown to administrators only
        self.accessibility = AccessibilityMenu(header)  # large text, contrast, spoken guidance
        # Names wrap rather than push the header buttons off a 1280-px screen (admin signed in,
        # large text).
        for label in (self.cabin_label, self.staff_label):
            label.setWordWrap(True)
        row.addWidget(self.cabin_label, 1)
        row.addWidget(self.staff_label)
        row.addWidget(self.accessibility)
        for button in (self.staff_admin_button, self.next_patient_button, self.language_button,
                       self.lock_button):  # fmt: skip
            button.setMinimumWidth(120)
            row.addWidget(button)
        outer.addWidget(header)
        self.stack = QStackedWidget(objectName="flow")
        outer.addWidget(self.stack, 1)
        self.status_area = QVBoxLayout()  # e.g. the billing sync status, under every screen
        self.status_area.setContentsMargins(16, 0, 16, 4)
        outer.addLayout(self.status_area)
        self.pages.addWidget(self.flow_page)

        self.language_button.clicked.connect(self.on_language_clicked)
        self.lock_button.clicked.connect(self.sig_lock_requested.emit)
        self.next_patient_button.clicked.connect(self.sig_next_patient.emit)
        self.staff_admin_button.clicked.connect(self.sig_staff_admin_requested.emit)
        self.retranslate()

    # --- registration --------------------------------------------------------------------------
    def add_screen(self, name: str, screen: QWidget) -> None:
        """Register ``screen`` under a flow name (or any other name, reached with ``go_to``)."""
        if name in self.screens:
            raise ValueError(f"screen {name!r} already registered")
        self.screens[name] = screen
        self.stack.addWidget(screen)
        screen.sig_next.connect(lambda n=name: self.on_screen_next(n))
        screen.sig_back.connect(lambda n=name: self.on_screen_back(n))

    def add_status_widget(self, widget: QWidget) -> None:
        """A widget shown under every flow screen (status lines)."""
        self.status_area.addWidget(widget)

    def add_page(self, page: QWidget) -> None:
        """Add a full-window page (sign-in, lock) that replaces the flow when shown."""
        self.pages.addWidget(page)

    def set_language_hook(self, hook: Callable[[str], None]) -> None:
        """Called with the new language before screens retranslate (installs the translator)."""
        self._language_hook = hook

    # --- navigation ----------------------------------------------------------------------------
    @property
    def current_name(self) -> str | None:
        """Name of the screen shown in the flow."""
        return self._current

    def go_to(self, name: str) -> None:
        """Show screen ``name`` and call its ``on_enter`` with the current context."""
        screen = self.screens[name]
        self._current = name
        self.stack.setCurrentWidget(screen)
        self._set_ctx_lang()
        screen.on_enter(self.context)
        self.sig_screen_changed.emit(name)
        focus = screen.focusWidget() or screen.nextInFocusChain()
        if focus is not None and self.isVisible():
            focus.setFocus()

    def flow_after(self, name: str) -> str:
        """The next registered screen of the flow after ``name`` (``home`` after the last)."""
        present = [n for n in FLOW if n in self.screens]
        if name not in present:
            return present[0] if present else name
        index = present.index(name) + 1
        return present[index] if index < len(present) else present[0]

    def flow_before(self, name: str) -> str | None:
        """The previous registered screen of the flow (``None`` before the first)."""
        present = [n for n in FLOW if n in self.screens]
        if name not in present or present.index(name) == 0:
            return None
        return present[present.index(name) - 1]

    def on_screen_next(self, name: str) -> None:
        """A screen is done: go forward; after the last one, start over for the next patient.

        Only the screen on show moves the flow: a screen left behind whose work ends later (a
        call withdrawn after "next patient") must not pull the station into wrap-up.
        """
        if name != self._current:
            return
        present = [n for n in FLOW if n in self.screens]
        if name in present and name == present[-1]:
            self.sig_next_patient.emit()  # the app clears every screen, then shows home
            return
        self.go_to(self.flow_after(name))

    def on_screen_back(self, name: str) -> None:
        """The screen on show asked to go back (others are ignored, as for ``on_screen_next``)."""
        if name != self._current:
            return
        if name not in FLOW:  # a screen reached from home (residents, appointments…)
            self.go_to(FLOW[0])
            return
        previous = self.flow_before(name)
        if previous is not None:
            self.go_to(previous)

    def reset_navigation(self) -> None:
        """Forget the current screen (next patient, sign-out): the next show starts at home."""
        self._current = None

    def clear_all(self) -> None:
        """Every screen forgets what it showed (next patient, or the station locks)."""
        for screen in self.screens.values():
            screen.clear()

    def show_flow(self) -> None:
        """Bring the flow back after sign-in or unlock."""
        self.pages.setCurrentWidget(self.flow_page)

    def show_page(self, page: QWidget) -> None:
        """Replace the flow by ``page`` (sign-in or lock): nothing of the flow stays drawn."""
        self.pages.setCurrentWidget(page)

    def show_key_warning(self, visible: bool) -> None:
        """Show (or hide) the banner saying the database key is not in a secure keyring."""
        self.key_warning_banner.setVisible(visible)

    def add_banner(self, widget: QWidget) -> None:
        """A notice above every page (sign-in included), under the key-storage banner."""
        self._banner_column.insertWidget(1, widget)

    def set_staff_name(self, text: str) -> None:
        """Who is signed in, shown in the header."""
        self.staff_label.setText(text)

    # --- language ------------------------------------------------------------------------------
    def on_language_clicked(self) -> None:
        """Toggle FR ⇄ EN."""
        self.set_language("en" if self.lang == "fr" else "fr")

    def set_language(self, lang: str) -> None:
        """Switch the whole UI to ``lang`` at run time."""
        if lang not in ("fr", "en"):
            raise ValueError(f"unsupported language {lang!r}")
        self.lang = lang
        if self._language_hook is not None:
            self._language_hook(lang)
        self._set_ctx_lang()
        self.retranslate()
        for screen in self.screens.values():
            screen.retranslate(lang)
        for index in range(self.pages.count()):
            page = self.pages.widget(index)
            if page is not self.flow_page and hasattr(page, "retranslate"):
                page.retranslate(lang)
        self.sig_language_changed.emit(lang)

    def retranslate(self) -> None:
        """The header's strings."""
        self.setWindowTitle(_tr("Télécabine"))
        # The button names the *other* language, in that language, as kiosks usually do.
        self.language_button.setText("English" if self.lang == "fr" else "Français")
        self.language_button.setAccessibleName(_tr("Changer de langue"))
        self.lock_button.setText(_tr("Verrouiller"))
        self.lock_button.setAccessibleName(_tr("Verrouiller la station"))
        self.next_patient_button.setText(_tr("Patient suivant"))
        self.next_patient_button.setAccessibleName(_tr("Patient suivant : tout effacer"))
        self.cabin_label.setAccessibleName(_tr("Nom de la cabine"))
        self.staff_admin_button.setText(_tr("Personnel"))
        self.staff_admin_button.setAccessibleName(_tr("Comptes du personnel"))
        self.key_warning_banner.setText(
            _tr(
                "Attention : la clé de chiffrement de la base est gardée dans un fichier non "
                "protégé (aucun trousseau sécurisé). Réservé aux tests et aux démonstrations : "
                "n'utilisez pas cette station avec de vrais patients."
            )
        )
        self.key_warning_banner.setAccessibleName(_tr("Avertissement de sécurité"))
        self.accessibility.retranslate()

    def _set_ctx_lang(self) -> None:
        ctx = self.context
        if isinstance(ctx, dict):
            ctx["lang"] = self.lang
        elif hasattr(ctx, "lang"):
            ctx.lang = self.lang
