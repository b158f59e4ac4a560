"""EHPAD residents: find a resident by name or room, admit a new one, record the consent on
file, and start her consultation with identity and situation already filled in.

Shown in EHPAD mode (``TELECABINE_EHPAD_MODE``). The screen calls
:class:`telecabine.services.residents.ResidentService` only; ``sig_start(resident_id)`` asks the
shell to open intake for that resident (``ResidentService.intake_prefill``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
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

from telecabine.domain.errors import DomainError
from telecabine.services.residents import ResidentService
from telecabine.ui.screens.base import Screen, title_label, touch_button

_CTX = "ResidentsScreen"
_T = QCoreApplication.translate
_SEXES = (("F", "Femme"), ("M", "Homme"))


class ResidentsScreen(Screen):
    """Search (top), the list (left), the selected resident's actions or the admission form."""

    screen_name = "residents"
    sig_start = Signal(int)  # resident id

    def __init__(self, service: ResidentService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.title = title_label(self)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.consent_button = touch_button(self, name="consent")
        self.new_button = touch_button(self, name="new_resident")
        self.form_box = QWidget(self)
        f = QFormLayout(self.form_box)
        self.f_name = QLineEdit(self.form_box)
        self.f_first = QLineEdit(self.form_box)
        self.f_birth = QLineEdit(self.form_box)
        self.f_birth.setPlaceholderText("JJ/MM/AAAA")
        self.f_sex = QComboBox(self.form_box)
        self.f_sex.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no change on a stray wheel
        for value, _label in _SEXES:
            self.f_sex.addItem("", value)
        self.f_place = QLineEdit(self.form_box)
        self.f_nir = QLineEdit(self.form_box)
        self.f_room = QLineEdit(self.form_box)
        self.f_unit = QLineEdit(self.form_box)
        self.f_ald = QCheckBox(self.form_box)
        self.f_mt = QLineEdit(self.form_box)
        self.f_mt_mail = QLineEdit(self.form_box)
        self.f_trusted = QLineEdit(self.form_box)
        self._labels = {}
        for key, widget in (("Nom de naissance", self.f_name), ("Prénoms", self.f_first),
                            ("Date de naissance", self.f_birth), ("Sexe", self.f_sex),
                            ("Lieu de naissance (code INSEE)", self.f_place),
                            ("NIR", self.f_nir), ("Chambre", self.f_room), ("Unité", self.f_unit),
                            ("ALD", self.f_ald), ("Médecin traitant", self.f_mt),
                            ("Messagerie sécurisée du médecin", self.f_mt_mail),
                            ("Personne de confiance", self.f_trusted)):  # fmt: skip
            label = QLabel(self.form_box)
            label.setBuddy(widget)
            self._labels[key] = label
            f.addRow(label, widget)
        self.save_button = touch_button(self.form_box, name="save_resident")
        f.addRow(self.save_button)
        self.form_box.hide()
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.back_button = touch_button(self, name="back")
        self.start_button = touch_button(self, primary=True, name="start")
        self.start_button.setEnabled(False)
        self.set_primary(self.start_button)
        self.set_back(self.back_button)

        right = QVBoxLayout()
        right.addWidget(self.detail)
        right.addWidget(self.consent_button)
        right.addWidget(self.form_box, 1)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.results, 3)
        body.addSpacing(24)
        body.addLayout(right, 2)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.search.textChanged.connect(self.refresh)
        self.results.currentItemChanged.connect(self._on_selected)
        self.new_button.clicked.connect(self._toggle_form)
        self.save_button.clicked.connect(self.on_save)
        self.consent_button.clicked.connect(self.on_consent)
        self.start_button.clicked.connect(self.on_start)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.retranslate()

    def on_enter(self, ctx: Any) -> None:
        """Show every resident, by room."""
        self.retranslate(getattr(ctx, "lang", None))
        self.error.clear()
        self.refresh()
        self.search.setFocus()

    def clear(self) -> None:
        """Forget the search and selection (next patient, lock)."""
        self.search.clear()
        self.results.clear()
        self.detail.clear()
        self.form_box.hide()
        self.error.clear()

    def refresh(self) -> None:
        """Reload the list for the current search text."""
        self.results.clear()
        for line in self._service.search(self.search.text()):
            parts = [_T(_CTX, "Ch. {room}").format(room=line.room), line.display_name,
                     line.birth_date.strftime("%d/%m/%Y")]  # fmt: skip
            if line.consent_due:
                parts.append(_T(_CTX, "consentement à recueillir"))
            item = QListWidgetItem(" · ".join(parts), self.results)
            item.setData(Qt.ItemDataRole.UserRole, line)
            item.setSizeHint(QSize(0, 56))  # finger-sized rows
        self.start_button.setEnabled(False)
        self.consent_button.setEnabled(False)
        self.detail.setText(_T(_CTX, "Choisissez un résident dans la liste."))

    def _selected(self):
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_selected(self, *_args: Any) -> None:
        line = self._selected()
        if line is None:
            return
        mt = line.medecin_traitant or _T(_CTX, "non renseigné")
        text = _T(_CTX, "{name}, chambre {room} — médecin traitant : {mt}").format(
            name=line.display_name, room=line.room, mt=mt
        )
        if line.ald:
            text += "\n" + _T(_CTX, "ALD : oui")
        if line.consent_due:
            text += "\n" + _T(_CTX, "Consentement à la téléconsultation à recueillir.")
        self.detail.setText(text)
        self.start_button.setEnabled(True)
        self.consent_button.setEnabled(True)

    def _toggle_form(self) -> None:
        self.form_box.setVisible(not self.form_box.isVisible())
        if self.form_box.isVisible():
            self.f_name.setFocus()

    def on_save(self) -> None:
        """Admit the resident (identity checked like at intake)."""
        form = {"birth_name": self.f_name.text(), "first_names": self.f_first.text(),
                "birth_date": self.f_birth.text(), "sex": self.f_sex.currentData() or "",
                "birth_place_insee": self.f_place.text(), "nir": self.f_nir.text()}  # fmt: skip
        if not form["nir"].strip():
            form["no_nir_reason"] = "unknown"
        try:
            self._service.admit(
                form, room=self.f_room.text(), unit=self.f_unit.text(),
                ald=self.f_ald.isChecked(), trusted_person=self.f_trusted.text(),
                medecin_traitant={"name": self.f_mt.text(), "email": self.f_mt_mail.text()},
            )  # fmt: skip
        except DomainError as exc:
            self.error.setText(exc.message(self.lang))
            return
        self.error.clear()
        for w in (self.f_name, self.f_first, self.f_birth, self.f_place, self.f_nir,
                  self.f_room, self.f_unit, self.f_mt, self.f_mt_mail, self.f_trusted):  # fmt: skip
            w.clear()
        self.f_ald.setChecked(False)
        self.form_box.hide()
        self.refresh()

    def on_consent(self) -> None:
        """The resident (or her representative) gave the teleconsultation consent on file."""
        line = self._selected()
        if line is not None:
            renew = self._service.record_consent(line.resident_id)
            self.refresh()
            self.detail.setText(
                _T(_CTX, "Consentement enregistré, à renouveler le {date}.").format(
                    date=renew.strftime("%d/%m/%Y")
                )
            )

    def on_start(self) -> None:
        """Open intake for the selected resident."""
        line = self._selected()
        if line is not None:
            self.sig_start.emit(line.resident_id)

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_T(_CTX, "Résidents"))
        self.search.setPlaceholderText(_T(_CTX, "Nom ou chambre"))
        self.search.setAccessibleName(_T(_CTX, "Rechercher un résident par nom ou chambre"))
        self.results.setAccessibleName(_T(_CTX, "Résidents"))
        self.consent_button.setText(_T(_CTX, "Consentement recueilli"))
        self.consent_button.setAccessibleName(_T(_CTX, "Consentement recueilli"))
        self.new_button.setText(_T(_CTX, "Nouveau résident"))
        self.new_button.setAccessibleName(_T(_CTX, "Nouveau résident"))
        for key, label in self._labels.items():
            label.setText(_T(_CTX, key))
        for index, (_value, label) in enumerate(_SEXES):
            self.f_sex.setItemText(index, _T(_CTX, label))
        self.save_button.setText(_T(_CTX, "Enregistrer le résident"))
        self.save_button.setAccessibleName(_T(_CTX, "Enregistrer le résident"))
        self.back_button.setText(_T(_CTX, "Retour"))
        self.back_button.setAccessibleName(_T(_CTX, "Retour"))
        self.start_button.setText(_T(_CTX, "Commencer la consultation"))
        self.start_button.setAccessibleName(_T(_CTX, "Commencer la consultation"))
