"""Manual entry of a vital sign: the fallback when a device fails (observations marked manual)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.vitals import KIND_SIGNS, VITAL_SIGNS, MeasurementKind, display_unit

# Units staff may type in, per sign (the canonical unit first).
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "temperature": ("Cel", "[degF]"),
    "weight": ("kg", "[lb_av]"),
    "systolic": ("mm[Hg]", "kPa"),
    "diastolic": ("mm[Hg]", "kPa"),
}


class ManualEntryError(ValueError):
    """Text that is not a number; carries the field it came from."""

    def __init__(self, sign: str) -> None:
        super().__init__(sign)
        self.sign = sign


def parse_number(text: str) -> float:
    """A French or English decimal (``38,5`` or ``38.5``); ValueError otherwise."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        raise ValueError("empty")
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return value


class ManualEntryForm(QWidget):
    """One field per value of a measurement kind, with unit choice where devices differ."""

    sig_submit = Signal(dict, dict)  # values by sign, units by sign
    sig_cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = MeasurementKind.TEMPERATURE
        self._lang = "fr"
        self._fields: dict[str, QLineEdit] = {}
        self._units: dict[str, QComboBox] = {}
        self._labels: dict[str, QLabel] = {}
        self.title = QLabel()
        self.title.setObjectName("manualTitle")
        self.form = QFormLayout()
        self.error = QLabel()
        self.error.setObjectName("manualError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a40000; font-weight: bold;")
        self.save_button = QPushButton()
        self.cancel_button = QPushButton()
        for b in (self.save_button, self.cancel_button):
            b.setMinimumHeight(48)
        self.save_button.clicked.connect(self._on_save)
        self.cancel_button.clicked.connect(self.sig_cancel.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.retranslate("fr")

    def set_kind(self, kind: MeasurementKind) -> None:
        """Rebuild the fields for ``kind`` (empty)."""
        self._kind = kind
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields, self._units, self._labels = {}, {}, {}
        for sign in KIND_SIGNS[kind]:
            edit = QLineEdit()
            edit.setMinimumHeight(48)
            edit.setObjectName(f"manual_{sign}")
            edit.returnPressed.connect(self._on_save)
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            choices = UNIT_CHOICES.get(sign, (VITAL_SIGNS[sign].unit,))
            combo = QComboBox()
            combo.setMinimumHeight(48)
            for unit in choices:
                combo.addItem(display_unit(unit), unit)
            combo.setEnabled(len(choices) > 1)
            row.addWidget(combo)
            label = QLabel()
            self.form.addRow(label, row)
            self._fields[sign], self._units[sign], self._labels[sign] = edit, combo, label
        if kind is MeasurementKind.BLOOD_PRESSURE:
            # Diastolic always in the same unit as systolic.
            self._units["systolic"].currentIndexChanged.connect(
                self._units["diastolic"].setCurrentIndex
            )
            self._units["diastolic"].setEnabled(False)
        self.error.clear()
        self.retranslate(self._lang)

    def field(self, sign: str) -> QLineEdit:
        """The input for ``sign`` (tests and keyboard focus)."""
        return self._fields[sign]

    def unit_box(self, sign: str) -> QComboBox:
        """The unit selector for ``sign``."""
        return self._units[sign]

    def show_error(self, text: str) -> None:
        """Show a validation message under the fields."""
        self.error.setText(text)

    def _on_save(self) -> None:
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        for sign, edit in self._fields.items():
            if (
                not edit.text().strip()
                and sign == "heart_rate"
                and self._kind is MeasurementKind.SPO2
            ):
                continue  # pulse is optional with SpO2
            try:
                values[sign] = parse_number(edit.text())
            except ValueError:
                label = self._labels[sign].text()
                self.show_error(
                    QCoreApplication.translate(
                        "MeasurementManual", "« %1 » : saisissez un nombre (ex. 37,5)."
                    ).replace("%1", label)
                )
                edit.setFocus()
                return
            units[sign] = self._units[sign].currentData()
        self.error.clear()
        self.sig_submit.emit(values, units)

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every visible string (Qt translator for UI text, ``lang`` for domain labels)."""
        self._lang = lang or self._lang
        self.title.setText(
            QCoreApplication.translate(
                "MeasurementManual", "Saisie manuelle (sera marquée « manuelle »)"
            )
        )
        self.save_button.setText(QCoreApplication.translate("MeasurementManual", "Enregistrer"))
        self.cancel_button.setText(QCoreApplication.translate("MeasurementManual", "Annuler"))
        english = self._lang == "en"
        for sign, label in self._labels.items():
            vs = VITAL_SIGNS[sign]
            label.setText(vs.label_en if english else vs.label_fr)
            self._fields[sign].setAccessibleName(label.text())
