"""Staff accounts page for an administrator: create an account, reset someone's PIN.

Nobody can read a PIN: a reset sets a temporary one that the person must change (the staff
service marks it). Roles and professional numbers (RPPS, Assurance Maladie) feed billing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from telecabine.services.staff import StaffError, StaffService
from telecabine.ui.screens.base import TOUCH_TARGET_PX, title_label, touch_button
from telecabine.ui.screens.lock import pin_field

_CTX = "StaffAdminScreen"
_T = QCoreApplication.translate
_ROLES = (("pharmacist", "Pharmacien"), ("nurse", "Infirmier"),
          ("care_assistant", "Aide-soignant"), ("admin", "Administrateur"))  # fmt: skip


class StaffAdminScreen(QWidget):
    """Account list, new-account form and PIN reset; ``sig_close`` goes back to the flow."""

    sig_close = Signal()

    def __init__(
        self, staff: StaffService, admin_id: Callable[[], int | None], parent=None
    ) -> None:
        super().__init__(parent)
        self._staff = staff
        self._admin_id = admin_id
        self.lang = "fr"
        self.title = title_label(self)
        self.accounts = QListWidget(self)
        self.accounts.setMinimumWidth(320)
        self.reset_pin = pin_field(self)
        self.reset_button = touch_button(self, name="resetPin")
        self.login, self.name = QLineEdit(self), QLineEdit(self)
        self.rpps, self.am_number = QLineEdit(self), QLineEdit(self)
        self.role = QComboBox(self)
        for value, _label in _ROLES:
            self.role.addItem("", value)
        self.pin = pin_field(self)
        self.create_button = touch_button(self, primary=True, name="createAccount")
        self.close_button = touch_button(self, name="close")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        self._fields = {"login": self.login, "name": self.name, "role": self.role,
                        "rpps": self.rpps, "am": self.am_number, "pin": self.pin}  # fmt: skip
        for key, widget in self._fields.items():
            label = QLabel(self)
            label.setBuddy(widget)
            # As tall as the 56 px field and centred: a label at the top of the row read as
            # belonging to the row above on the screenshots.
            label.setMinimumHeight(TOUCH_TARGET_PX)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.labels[key] = label
            form.addRow(label, widget)
        left = QVBoxLayout()
        left.addWidget(self.accounts, 1)
        left.addWidget(self.reset_pin)
        left.addWidget(self.reset_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.create_button)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(32)
        columns.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addLayout(columns, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.close_button)
        self.create_button.clicked.connect(self.on_create)
        self.reset_button.clicked.connect(self.on_reset)
        self.close_button.clicked.connect(self.sig_close.emit)
        self.retranslate()

    def prepare(self) -> None:
        """Refresh the list; every field empty."""
        self.accounts.clear()
        for account in self._staff.accounts():
            item = QListWidgetItem(f"{account.display_name} ({account.login}, {account.role})")
            item.setData(256, account.id)  # Qt.UserRole
            self.accounts.addItem(item)
        for widget in (self.login, self.name, self.rpps, self.am_number, self.pin, self.reset_pin):
            widget.clear()
        self.message.clear()

    def on_create(self) -> None:
        """Create the account (the service checks the PIN rules and professional numbers)."""
        try:
            self._staff.create_account(
                self._admin_id() or 0, self.login.text().strip().lower(), self.name.text().strip(),
                self.role.currentData(), self.pin.text(), rpps=self.rpps.text().strip() or None,
                am_number=self.am_number.text().strip() or None,
            )  # fmt: skip
        except (StaffError, ValueError) as exc:
            self._say(exc, error=True)
            return
        self.prepare()
        self.message.setText(_T(_CTX, "Compte créé."))

    def on_reset(self) -> None:
        """Give the selected person a temporary PIN (to change at their next sign-in)."""
        item = self.accounts.currentItem()
        if item is None:
            self.message.setText(_T(_CTX, "Choisissez un compte dans la liste."))
            return
        try:
            self._staff.reset_pin(self._admin_id() or 0, item.data(256), self.reset_pin.text())
        except (StaffError, ValueError) as exc:
            self._say(exc, error=True)
            return
        self.reset_pin.clear()
        self.message.setText(_T(_CTX, "Code provisoire enregistré."))

    def _say(self, exc: Exception, *, error: bool) -> None:
        text = exc.message(self.lang) if isinstance(exc, StaffError) else str(exc)
        self.message.setProperty("role", "error" if error else "")
        self.message.setText(text)

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        if lang in ("fr", "en"):
            self.lang = lang
        self.title.setText(_T(_CTX, "Comptes du personnel"))
        texts = {"login": "Identifiant", "name": "Nom affiché", "role": "Rôle",
                 "rpps": "N° RPPS", "am": "N° Assurance Maladie",
                 "pin": "Code PIN provisoire"}  # fmt: skip
        for key, text in texts.items():
            self.labels[key].setText(_T(_CTX, text))
            self._fields[key].setAccessibleName(_T(_CTX, text))
        for index, (_value, label) in enumerate(_ROLES):
            self.role.setItemText(index, _T(_CTX, label))
        self.accounts.setAccessibleName(_T(_CTX, "Comptes"))
        self.reset_pin.setPlaceholderText(_T(_CTX, "Nouveau code provisoire"))
        self.reset_pin.setAccessibleName(_T(_CTX, "Nouveau code provisoire"))
        self.reset_button.setText(_T(_CTX, "Réinitialiser le code"))
        self.reset_button.setAccessibleName(_T(_CTX, "Réinitialiser le code du compte choisi"))
        self.create_button.setText(_T(_CTX, "Créer le compte"))
        self.create_button.setAccessibleName(_T(_CTX, "Créer le compte"))
        self.close_button.setText(_T(_CTX, "Fermer"))
        self.close_button.setAccessibleName(_T(_CTX, "Fermer et revenir"))
