"""Whether a doctor can be called, in the status area under every screen (FR/EN words).

Follows ``services.call_availability.CallAvailability``; the ``state`` property
(``available`` or the problem code) lets the QSS colour it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

_NAME = ("État de l'appel médecin", "Doctor call status")


class CallStatusWidget(QLabel):
    """One line: "Doctor call available" or why it is not."""

    def __init__(self, lang: str = "fr", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callStatus")
        self.setWordWrap(True)
        self.setMinimumHeight(32)
        self._lang = lang
        self._availability = None

    def bind(self, availability) -> None:
        """Follow a ``CallAvailability`` (listener on the loop's thread)."""
        self._availability = availability
        availability.add_listener(lambda _a: self._render())
        self._render()

    @property
    def state(self) -> str:
        """The availability code shown (``available``, ``unreachable``...)."""
        return self._availability.code if self._availability is not None else "checking"

    def retranslate(self, lang: str | None = None) -> None:
        """Switch language."""
        self._lang = lang or self._lang
        self._render()

    def _render(self) -> None:
        self.setAccessibleName(_NAME[0] if self._lang == "fr" else _NAME[1])
        if self._availability is not None:
            self.setText(self._availability.words(self._lang))
        self.setProperty("state", self.state)
        self.style().unpolish(self)
        self.style().polish(self)
