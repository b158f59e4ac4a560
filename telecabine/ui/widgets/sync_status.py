"""Billing sync status in the status bar: pending count, last success, last problem, in words.

Adapts ``telecabine.sync.worker.SyncWorker`` (plain asyncio, listener callbacks on the same
loop/thread under qasync) to a label; the words come from ``SyncStatus.words`` (FR/EN).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QLabel, QWidget

from telecabine.sync.status import SyncStatus


class SyncStatusWidget(QLabel):
    """A label showing the sync status; ``state`` property drives the QSS colour."""

    sig_attention = Signal(str)  # emitted with the words when a person must act

    def __init__(
        self,
        lang: str = "fr",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.setWordWrap(True)
        self.setMinimumHeight(48)
        self._lang = lang
        self._clock = clock
        self._status = SyncStatus()
        self.retranslate(lang)

    def bind(self, worker) -> None:
        """Follow a worker (anything with ``add_listener(cb)`` and a ``status``)."""
        worker.add_listener(self.set_status)
        self.set_status(worker.status)

    @property
    def state(self) -> str:
        """ "ok", "pending", "attention" or "stopped"."""
        s = self._status
        if s.stopped:
            return "stopped"
        if s.attention:
            return "attention"
        return "pending" if s.pending else "ok"

    def set_status(self, status: SyncStatus) -> None:
        """Show a new status (called by the worker after every pass)."""
        was = self.state
        self._status = status
        self._render()
        if self.state in ("stopped", "attention") and self.state != was:
            self.sig_attention.emit(self.text())

    def retranslate(self, lang: str | None = None) -> None:
        """Switch language."""
        self._lang = lang or self._lang
        self.setAccessibleName(
            QCoreApplication.translate("SyncStatusWidget", "État de l'envoi de la facturation")
        )
        self._render()

    def _render(self) -> None:
        self.setText(self._status.words(self._lang, now=self._clock()))
        self.setProperty("state", self.state)
        self.style().unpolish(self)
        self.style().polish(self)
