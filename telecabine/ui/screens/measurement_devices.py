"""Choose the device for a role: scan nearby devices of that kind, pick one, it is remembered."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.vitals import MeasurementKind
from telecabine.services.measurement import MeasurementFailed

log = logging.getLogger(__name__)


class DevicePicker(QWidget):
    """Scan list for one measurement kind; emits the chosen ``DiscoveredDevice``."""

    sig_chosen = Signal(object)
    sig_cancel = Signal()

    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._kind = MeasurementKind.TEMPERATURE
        self._lang = "fr"
        self._task: asyncio.Task[None] | None = None
        self.title = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.devices = QListWidget()
        self.devices.setMinimumHeight(160)
        # Kiosk: items large enough to touch (house style: targets >= 48 px).
        self.devices.setFont(QFont(self.font().family(), 16))
        self.devices.setStyleSheet("QListWidget::item { min-height: 48px; }")
        self.title.setFont(QFont(self.font().family(), 16, QFont.Weight.DemiBold))
        self.devices.itemDoubleClicked.connect(lambda _item: self._on_use())
        self.search_button = QPushButton()
        self.use_button = QPushButton()
        self.cancel_button = QPushButton()
        for b in (self.search_button, self.use_button, self.cancel_button):
            b.setMinimumHeight(48)
        self.search_button.clicked.connect(lambda: self.search())
        self.use_button.clicked.connect(self._on_use)
        self.cancel_button.clicked.connect(self.sig_cancel.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.devices, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.retranslate()

    def set_kind(self, kind: MeasurementKind) -> None:
        """Empty the list for a new role."""
        self._kind = kind
        self.devices.clear()
        self.status.clear()
        self._update_buttons()

    def search(self) -> asyncio.Task[None] | None:
        """Scan (on the asyncio loop) and list what was found."""
        if self._task is not None and not self._task.done():
            return None
        self.devices.clear()
        self.status.setText(QCoreApplication.translate("MeasurementScreen", "Recherche…"))
        self._task = asyncio.ensure_future(self._search(self._kind))
        self._task.add_done_callback(lambda _t: self._update_buttons())
        self._update_buttons()
        return self._task

    async def wait_idle(self) -> None:
        """Wait for a running scan (tests)."""
        if self._task is not None:
            await asyncio.wait({self._task})

    async def _search(self, kind: MeasurementKind) -> None:
        try:
            found = await self._service.nearby(kind)
        except MeasurementFailed as exc:
            self.status.setText(exc.message(self._lang))
            return
        for device in found:
            text = f"{device.name or '?'}  —  {device.address}  ({device.rssi} dBm)"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, device)
            self.devices.addItem(item)
        if found:
            self.devices.setCurrentRow(0)
            self.status.clear()
        else:
            self.status.setText(
                QCoreApplication.translate(
                    "MeasurementScreen", "Aucun appareil trouvé. Allumez-le et rapprochez-le."
                )
            )

    def _on_use(self) -> None:
        item = self.devices.currentItem()
        if item is None:
            return
        device = item.data(Qt.ItemDataRole.UserRole)
        self._service.use_device(device)
        self.sig_chosen.emit(device)

    def _update_buttons(self) -> None:
        busy = self._task is not None and not self._task.done()
        self.search_button.setEnabled(not busy)
        self.use_button.setEnabled(not busy and self.devices.count() > 0)

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every visible string."""
        self._lang = lang or self._lang
        self.title.setText(QCoreApplication.translate("MeasurementScreen", "Choisir l'appareil"))
        self.search_button.setText(QCoreApplication.translate("MeasurementScreen", "Rechercher"))
        self.use_button.setText(
            QCoreApplication.translate("MeasurementScreen", "Utiliser cet appareil")
        )
        self.cancel_button.setText(QCoreApplication.translate("MeasurementScreen", "Annuler"))
        self.devices.setAccessibleName(
            QCoreApplication.translate("MeasurementScreen", "Appareils à proximité")
        )
