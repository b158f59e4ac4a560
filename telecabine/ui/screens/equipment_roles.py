"""Camera role chooser of the equipment screen: which device serves which role, remembered.

Choices are written to ``devices.json`` in the data directory (device names only) and applied
at the next start by :func:`telecabine.devices.registry.load_device_choices`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QWidget

from telecabine.devices.camera import CameraInfo, enumerate_cameras
from telecabine.devices.registry import ROLE_FIELDS, save_device_choices
from telecabine.services.preflight_text import label

if TYPE_CHECKING:
    from telecabine.config import Settings

log = logging.getLogger(__name__)


class RoleChooser(QWidget):
    """One drop-down per camera role and a Save button."""

    sig_saved = Signal(list)  # names of the settings written (audited by app.py, no values)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.form = QFormLayout(self)
        self.combos: dict[str, QComboBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.save_button = QPushButton()
        self.save_button.setMinimumHeight(48)
        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        for role in ROLE_FIELDS:
            self.labels[role] = QLabel()
            self.labels[role].setMinimumHeight(56)  # centred on its touch-sized drop-down
            self.labels[role].setAlignment(
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            )
            self.combos[role] = QComboBox()
            self.combos[role].setMinimumHeight(40)
            self.form.addRow(self.labels[role], self.combos[role])
        self.form.addRow(self.save_button)
        self.form.addRow(self.saved_label)
        self.save_button.clicked.connect(self.save)
        self.refresh()

    def refresh(self, cameras: list[CameraInfo] | None = None) -> None:
        """List the cameras present now, selecting each role's current choice."""
        found = enumerate_cameras() if cameras is None else cameras
        for role, combo in self.combos.items():
            current = getattr(self.settings, ROLE_FIELDS[role])
            combo.clear()
            combo.addItem(QCoreApplication.translate("EquipmentScreen", "Aucune"), None)
            for info in found:
                combo.addItem(f"{info.name} ({info.source})", info.source)
            combo.addItem(
                QCoreApplication.translate("EquipmentScreen", "Simulée (démo)"), f"sim:{role}"
            )
            index = combo.findData(current)
            if index < 0 and current:
                combo.addItem(str(current), current)  # e.g. a device not plugged in right now
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))

    def retranslate(self, lang: str = "fr") -> None:
        """Re-apply strings (role names in ``lang``)."""
        for role, lab in self.labels.items():
            fr, en = label(f"camera:{role}")
            lab.setText(fr if lang == "fr" else en)
        self.save_button.setText(
            QCoreApplication.translate("EquipmentScreen", "Enregistrer le choix des caméras")
        )

    def choices(self) -> dict[str, str | None]:
        """Role field -> chosen source, as shown."""
        return {ROLE_FIELDS[r]: c.currentData() for r, c in self.combos.items()}

    @Slot()
    def save(self) -> None:
        """Remember the choices for the next start."""
        try:
            save_device_choices(self.settings, self.choices())
        except OSError as exc:
            log.warning("device choices not saved: %s", type(exc).__name__)
            self.saved_label.setText(
                QCoreApplication.translate(
                    "EquipmentScreen", "Impossible d'enregistrer : vérifiez l'espace disque."
                )
            )
            return
        self.saved_label.setText(
            QCoreApplication.translate(
                "EquipmentScreen", "Choix enregistrés : ils s'appliqueront au prochain démarrage."
            )
        )
        self.sig_saved.emit(sorted(self.choices()))
