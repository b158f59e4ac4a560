"""Lock page (idle or manual): nothing of the patient is drawn, the PIN unlocks.

Also home of :class:`PinPad`, the on-screen keypad the sign-in page shares (≥ 48 px keys, so a
PIN can be typed on a touch screen without a physical keyboard).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from telecabine.services.staff import StaffError
from telecabine.services.staff_session import StaffSession
from telecabine.ui.screens.base import TOUCH_TARGET_PX, title_label, touch_button

_CTX = "LockScreen"
_T = QCoreApplication.translate


class PinPad(QWidget):
    """Digits 0-9, erase and clear, typing into ``target`` (a password-mode line edit)."""

    def __init__(self, target: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        grid = QGridLayout(self)
        grid.setSpacing(8)
        self.keys: dict[str, object] = {}
        layout = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "erase")
        for index, key in enumerate(layout):
            button = touch_button(self, name=f"pin:{key}")
            button.setMinimumSize(TOUCH_TARGET_PX + 24, TOUCH_TARGET_PX + 8)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # focus stays in the PIN field
            button.clicked.connect(lambda _=False, k=key: self.on_key(k))
            grid.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.retranslate()

    def on_key(self, key: str) -> None:
        """A key tapped."""
        if key == "erase":
            self.target.backspace()
        elif key == "clear":
            self.target.clear()
        else:
            self.target.insert(key)

    def retranslate(self, lang: str | None = None) -> None:
        """Labels and accessible names of the keys."""
        for key, button in self.keys.items():
            if key == "erase":
                button.setText("⌫")
                button.setAccessibleName(_T(_CTX, "Effacer un chiffre"))
            elif key == "clear":
                button.setText(_T(_CTX, "Vider"))
                button.setAccessibleName(_T(_CTX, "Vider le code"))
            else:
                button.setText(key)
                button.setAccessibleName(key)


def pin_field(parent: QWidget | None = None) -> QLineEdit:
    """A masked PIN / password field."""
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(64)
    return field


class LockScreen(QWidget):
    """Shown instead of the flow when locked; ``sig_unlocked`` after the right PIN."""

    sig_unlocked = Signal()
    sig_switch_user = Signal()

    def __init__(self, session: StaffSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.lang = "fr"
        self.title = title_label(self)
        self.who = QLabel(self)
        self.pin = pin_field(self)
        self.pad = PinPad(self.pin, self)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.switch_button = touch_button(self, name="switchUser")
        self.unlock_button = touch_button(self, primary=True, name="unlock")
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.who)
        column.addWidget(self.pin)
        column.addWidget(self.pad)
        column.addWidget(self.error)
        column.addLayout(buttons)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 2)
        outer.addStretch(1)
        self.unlock_button.clicked.connect(self.on_unlock)
        self.pin.returnPressed.connect(self.on_unlock)
        self.switch_button.clicked.connect(self.sig_switch_user.emit)
        self.retranslate()

    def prepare(self) -> None:
        """Called when the station locks: empty PIN, focus on it."""
        self.pin.clear()
        self.error.clear()
        account = self._session.state.account
        self.who.setText(account.display_name if account else "")
        self.pin.setFocus()

    def on_unlock(self) -> None:
        """Check the PIN of the signed-in person."""
        try:
            self._session.unlock(self.pin.text())
        except StaffError as exc:
            self.pin.clear()
            self.error.setText(exc.message(self.lang))
            return
        self.pin.clear()
        self.error.clear()
        self.sig_unlocked.emit()

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        if lang in ("fr", "en"):
            self.lang = lang
        self.title.setText(_T(_CTX, "Station verrouillée"))
        self.pin.setPlaceholderText(_T(_CTX, "Code PIN"))
        self.pin.setAccessibleName(_T(_CTX, "Code PIN"))
        self.unlock_button.setText(_T(_CTX, "Déverrouiller"))
        self.unlock_button.setAccessibleName(_T(_CTX, "Déverrouiller la station"))
        self.switch_button.setText(_T(_CTX, "Changer d'utilisateur"))
        self.switch_button.setAccessibleName(_T(_CTX, "Changer d'utilisateur"))
        self.pad.retranslate(lang)
