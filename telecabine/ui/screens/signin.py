"""Staff sign-in page, and first-run setup of the administrator when no account exists yet."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from telecabine.services.staff import StaffError, StaffService
from telecabine.services.staff_session import StaffSession
from telecabine.ui.screens.base import title_label, touch_button
from telecabine.ui.screens.lock import PinPad, pin_field

_CTX = "SignInScreen"
_T = QCoreApplication.translate


class SignInScreen(QWidget):
    """Login + PIN with an on-screen keypad; in first-run mode also name, confirmation, RPPS."""

    sig_signed_in = Signal()

    def __init__(
        self, staff: StaffService, session: StaffSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._staff = staff
        self._session = session
        self.lang = "fr"
        self.first_run = False
        self.title = title_label(self)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "hint")
        self.login = QLineEdit(self)
        self.display_name = QLineEdit(self)
        self.rpps = QLineEdit(self)
        self.pin = pin_field(self)
        self.pin_again = pin_field(self)
        self.form = QFormLayout()
        # Labels beside their fields when they fit: the first-run form (five fields) must fit
        # 1280x800 with the key banner in large-text mode too.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.labels: dict[str, QLabel] = {}
        for key, widget in (("login", self.login), ("name", self.display_name),
                            ("rpps", self.rpps), ("pin", self.pin), ("again", self.pin_again)):  # fmt: skip
            label = QLabel(self)
            label.setBuddy(widget)
            self.labels[key] = label
            self.form.addRow(label, widget)
        self.pad = PinPad(self.pin, self)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.submit = touch_button(self, primary=True, name="signIn")
        # Fields and keypad side by side: both fit a 1280x800 kiosk screen without scrolling.
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.hint)
        column.addLayout(self.form)
        column.addWidget(self.error)
        column.addStretch(1)
        column.addWidget(self.submit)
        pad_column = QVBoxLayout()
        pad_column.addStretch(1)
        pad_column.addWidget(self.pad)
        pad_column.addStretch(1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(48, 24, 48, 24)
        outer.addLayout(column, 3)
        outer.addSpacing(48)
        outer.addLayout(pad_column, 2)
        self.submit.clicked.connect(self.on_submit)
        self.pin.returnPressed.connect(self.on_submit)
        self.pin_again.returnPressed.connect(self.on_submit)
        self.retranslate()

    def prepare(self) -> None:
        """Called when shown: first-run mode if no admin exists; every field empty."""
        self.first_run = self._staff.needs_first_run()
        for field in (self.login, self.display_name, self.rpps, self.pin, self.pin_again):
            field.clear()
        for key in ("name", "rpps", "again"):
            self.form.setRowVisible(self.labels[key], self.first_run)
        self.error.clear()
        self.retranslate()
        self.login.setFocus()

    def on_submit(self) -> None:
        """Create the first admin (first run) then sign in; errors stay on screen."""
        try:
            if self.first_run:
                if self.pin.text() != self.pin_again.text():
                    self.error.setText(_T(_CTX, "Les deux codes ne sont pas identiques."))
                    return
                self._staff.create_first_admin(
                    self.login.text().strip().lower(), self.display_name.text().strip(),
                    self.pin.text(), rpps=self.rpps.text().strip() or None,
                )  # fmt: skip
            self._session.sign_in(self.login.text(), self.pin.text())
        except StaffError as exc:
            self.pin.clear()
            self.pin_again.clear()
            self.error.setText(exc.message(self.lang))
            return
        self.pin.clear()
        self.pin_again.clear()
        self.error.clear()
        self.sig_signed_in.emit()

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        if lang in ("fr", "en"):
            self.lang = lang
        if self.first_run:
            self.title.setText(_T(_CTX, "Première mise en service"))
            self.hint.setText(_T(_CTX, "Créez le compte administrateur de la station."))
            self.submit.setText(_T(_CTX, "Créer et se connecter"))
        else:
            self.title.setText(_T(_CTX, "Connexion du personnel"))
            self.hint.setText(_T(_CTX, "Identifiant et code PIN personnels."))
            self.submit.setText(_T(_CTX, "Se connecter"))
        self.submit.setAccessibleName(self.submit.text())
        texts = {"login": "Identifiant", "name": "Nom affiché", "rpps": "N° RPPS (facultatif)",
                 "pin": "Code PIN (6 chiffres ou plus)", "again": "Confirmer le code PIN"}  # fmt: skip
        widgets = {"login": self.login, "name": self.display_name, "rpps": self.rpps,
                   "pin": self.pin, "again": self.pin_again}  # fmt: skip
        for key, text in texts.items():
            self.labels[key].setText(_T(_CTX, text))
            widgets[key].setAccessibleName(_T(_CTX, text))
        self.pad.retranslate(lang)
