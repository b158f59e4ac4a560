"""Patient identification (INS traits, NIR) and the situation that decides the parcours de soins.

Every keystroke goes to the intake service (draft saved, debounced) and the whole form is
validated by the domain; a field's error shows beside it once the user has typed in it, the
other fields keep their values. NIR cross-check warnings (sex, date, place of birth) can be
overridden with a reason, as the INS guide allows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from telecabine.services.intake import IntakeContext, IntakeError, IntakeService
from telecabine.ui.screens.base import Screen, title_label, touch_button

_CTX = "PatientScreen"
_T = QCoreApplication.translate
# (field, label FR) — labels are translated at retranslate time; the field names are the form's.
_TEXT_FIELDS = (
    ("birth_name", "Nom de naissance"),
    ("first_names", "Prénoms de naissance (séparés par des virgules)"),
    ("used_name", "Nom utilisé (facultatif)"),
    ("birth_date", "Date de naissance (JJ/MM/AAAA)"),
    ("birth_place_insee", "Code INSEE du lieu de naissance (99xxx : à l'étranger)"),
    ("nir", "NIR (n° de sécurité sociale, 15 caractères)"),
)
_SEX = (("", "—"), ("F", "Féminin"), ("M", "Masculin"), ("I", "Indéterminé"))
_NO_NIR = (("", "—"), ("tourist", "Touriste / assuré étranger"), ("ame", "AME"),
           ("unknown", "NIR inconnu"))  # fmt: skip
_SITUATION = (
    ("no_medecin_traitant", "Le patient n'a pas de médecin traitant"),
    ("orientation_by_medecin_traitant", "Orienté par son médecin traitant"),
    ("teleconsultant_is_medecin_traitant", "Le téléconsultant est son médecin traitant"),
    ("medecin_traitant_unavailable", "Médecin traitant indisponible dans un délai utile"),
    ("seen_in_person_within_12_months", "Vu en présentiel par ce médecin depuis moins de 12 mois"),
    ("alternance_respected", "Alternance présentiel / téléconsultation respectée"),
    ("teleconsultant_in_territory", "Médecin du territoire du patient"),
    ("ehpad_resident", "Résident d'EHPAD ou d'un établissement pour adultes handicapés"),
    ("ald", "Affection de longue durée (ALD) concernée"),
    ("maternity", "Maternité"),
    ("emergency", "Urgence"),
)
_SPECIALTIES = (("general_practice", "Médecine générale"), ("pediatrics", "Pédiatrie"),
                ("gynecology", "Gynécologie"), ("psychiatry", "Psychiatrie"),
                ("ophthalmology", "Ophtalmologie"), ("other", "Autre spécialité"))  # fmt: skip


class PatientScreen(Screen):
    """Identity form with validation beside each field, plus the eligibility questions."""

    screen_name = "patient"

    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._intake = intake
        self._ctx: IntakeContext = IntakeContext()
        self._touched: set[str] = set()
        self._filling = False
        self.title = title_label(self)
        self.inputs: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        for name, _label in _TEXT_FIELDS[:4]:
            self._add_row(form, name, QLineEdit())
        self._add_row(form, "sex", self._combo(_SEX))
        for name, _label in _TEXT_FIELDS[4:]:
            self._add_row(form, name, QLineEdit())
        self._add_row(form, "no_nir_reason", self._combo(_NO_NIR))
        self.warning_box = QWidget()
        self.warning_layout = QVBoxLayout(self.warning_box)
        self.warning_layout.setContentsMargins(0, 0, 0, 0)
        self.override_inputs: dict[str, QLineEdit] = {}
        form.addRow(self.warning_box)

        self.situation_title = QLabel(objectName="sectionTitle")
        self.checks: dict[str, QCheckBox] = {}
        situation = QVBoxLayout()
        self.reason_label = QLabel()
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason_label.setBuddy(self.reason)
        self.reason.textEdited.connect(self.on_reason_edited)
        situation.addWidget(self.reason_label)
        situation.addWidget(self.reason)
        situation.addWidget(self.situation_title)
        for name, _label in _SITUATION:
            box = QCheckBox()
            box.toggled.connect(lambda on, n=name: self.on_situation_changed(n, on))
            self.checks[name] = box
            situation.addWidget(box)
        self.specialty_label = QLabel()
        self.specialty = self._combo(_SPECIALTIES)
        self.specialty.currentIndexChanged.connect(self.on_specialty_changed)
        self.specialty_label.setBuddy(self.specialty)
        situation.addWidget(self.specialty_label)
        situation.addWidget(self.specialty)
        situation.addStretch(1)

        columns = QHBoxLayout()
        columns.addLayout(form, 3)
        columns.addSpacing(32)
        columns.addLayout(situation, 2)
        body = QWidget()
        body.setLayout(columns)
        self.scroll = scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.banner = QLabel(self)
        self.banner.setProperty("role", "error")
        self.banner.setWordWrap(True)
        self.back_button = touch_button(self, name="back")
        self.next_button = touch_button(self, primary=True, name="next")
        self.set_primary(self.next_button)
        self.set_back(self.back_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        self.back_button.clicked.connect(self.on_back_clicked)
        self.next_button.clicked.connect(self.on_next_clicked)
        self.retranslate()
        self._refresh()

    # --- building ------------------------------------------------------------------------------
    def _combo(self, items) -> QComboBox:
        combo = QComboBox()
        for value, _label in items:
            combo.addItem("", value)
        return combo

    def _add_row(self, form: QFormLayout, name: str, widget: QLineEdit | QComboBox) -> None:
        label = QLabel()
        label.setBuddy(widget)
        error = QLabel()
        error.setProperty("role", "error")
        error.setWordWrap(True)
        error.hide()
        cell = QVBoxLayout()
        cell.setSpacing(2)
        cell.addWidget(widget)
        cell.addWidget(error)
        form.addRow(label, cell)
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(lambda text, n=name: self.on_field_edited(n, text))
        else:
            widget.currentIndexChanged.connect(
                lambda _i, n=name, w=widget: self.on_field_edited(n, w.currentData() or "")
            )
        self.inputs[name], self.errors[name], self.labels[name] = widget, error, label

    # --- contract ------------------------------------------------------------------------------
    def on_enter(self, ctx: Any) -> None:
        """Show the context's form (empty for a new patient, filled when resumed)."""
        self._ctx = ctx
        self.retranslate(getattr(ctx, "lang", None))
        self._filling = True
        try:
            for name, widget in self.inputs.items():
                value = ctx.form.get(name, "")
                if isinstance(widget, QLineEdit):
                    widget.setText(value)
                else:
                    widget.setCurrentIndex(max(0, widget.findData(value)))
            for name, box in self.checks.items():
                box.setChecked(self._situation_value(name))
            self.reason.setText(ctx.reason)
            self.specialty.setCurrentIndex(
                max(0, self.specialty.findData(ctx.situation.get("specialty", "general_practice")))
            )
        finally:
            self._filling = False
        self._touched = {n for n in self.inputs if ctx.form.get(n)}
        self.banner.clear()
        self._refresh()

    def clear(self) -> None:
        """Empty every field (next patient / lock)."""
        self._filling = True
        try:
            for widget in self.inputs.values():
                if isinstance(widget, QLineEdit):
                    widget.clear()
                else:
                    widget.setCurrentIndex(0)
            for box in self.checks.values():
                box.setChecked(False)
            self.specialty.setCurrentIndex(0)
            self.reason.clear()
            for edit in self.override_inputs.values():
                edit.clear()
        finally:
            self._filling = False
        self._ctx = IntakeContext()
        self._touched.clear()
        self.banner.clear()
        self._refresh()

    # --- slots ---------------------------------------------------------------------------------
    def on_field_edited(self, name: str, value: str) -> None:
        """A keystroke or choice: save it (debounced) and validate the form again."""
        if self._filling:
            return
        self._touched.add(name)
        self._intake.update(self._ctx, "form", name, value)
        self._refresh()

    def on_situation_changed(self, name: str, on: bool) -> None:
        """An eligibility answer changed (unchecked = unknown)."""
        if self._filling:
            return
        if name == "no_medecin_traitant":
            self._intake.update(
                self._ctx, "situation", "has_medecin_traitant", False if on else None
            )
        else:
            self._intake.update(self._ctx, "situation", name, True if on else None)

    def on_reason_edited(self, text: str) -> None:
        """The reason for the visit (the doctor sees it in the waiting room)."""
        if not self._filling:
            self._intake.update(self._ctx, "reason", "reason", text)

    def on_specialty_changed(self, _index: int) -> None:
        """The teleconsultant's specialty (direct-access specialties are in the parcours)."""
        if not self._filling:
            self._intake.update(self._ctx, "situation", "specialty", self.specialty.currentData())

    def on_override_edited(self, code: str, text: str) -> None:
        """A reason typed to override a NIR cross-check warning."""
        if not self._filling:
            self._intake.update(self._ctx, "overrides", code, text)
            self._refresh(rebuild_warnings=False)

    def on_back_clicked(self) -> None:
        """Back to home; the draft stays and is offered back there."""
        self._intake.flush()
        self.sig_back.emit()

    def on_next_clicked(self) -> None:
        """Store the identity and go to consent (errors stay on screen, nothing lost)."""
        self._touched = set(self.inputs)
        self._refresh()
        try:
            self._intake.identify(self._ctx)
        except IntakeError as exc:
            self.banner.setText(exc.message(self.lang))
            return
        self.banner.clear()
        self.sig_next.emit()

    # --- validation display --------------------------------------------------------------------
    def _situation_value(self, name: str) -> bool:
        if name == "no_medecin_traitant":
            return self._ctx.situation.get("has_medecin_traitant") is False
        return bool(self._ctx.situation.get(name))

    def _refresh(self, *, rebuild_warnings: bool = True) -> None:
        check = self._intake.check(self._ctx)
        for name, label in self.errors.items():
            error = check.errors.get(name)
            if name == "first_names" and error is None:
                error = check.errors.get("birth_first_names")
            if name == "birth_place_insee" and error is None:
                error = check.errors.get("birth_place")
            shown = error is not None and name in self._touched
            label.setText(error.message(self.lang) if shown else "")
            label.setVisible(shown)
            widget = self.inputs[name]
            widget.setProperty("invalid", shown)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.inputs["no_nir_reason"].setEnabled(not self._ctx.form.get("nir"))
        if rebuild_warnings:
            self._show_warnings(check.warnings)
        self.next_button.setEnabled(check.ok)

    def _show_warnings(self, warnings) -> None:
        wanted = [w for w in self._all_warnings()] if warnings is not None else []
        for code in list(self.override_inputs):
            if code not in {w.code for w in wanted}:
                edit = self.override_inputs.pop(code)
                self.warning_layout.removeWidget(edit.parentWidget())
                edit.parentWidget().deleteLater()
        for warning in wanted:
            if warning.code in self.override_inputs:
                self.override_inputs[warning.code].parentWidget().findChild(QLabel).setText(
                    warning.message(self.lang)
                )
                continue
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 4, 0, 4)
            message = QLabel(warning.message(self.lang))
            message.setProperty("role", "warning")
            message.setWordWrap(True)
            edit = QLineEdit()
            edit.setObjectName(f"override:{warning.code}")
            edit.setPlaceholderText(_T(_CTX, "Raison pour passer outre (obligatoire)"))
            edit.setAccessibleName(_T(_CTX, "Raison pour passer outre l'avertissement"))
            edit.setText(self._ctx.overrides.get(warning.code, ""))
            edit.textEdited.connect(lambda text, c=warning.code: self.on_override_edited(c, text))
            box.addWidget(message)
            box.addWidget(edit)
            self.warning_layout.addWidget(holder)
            self.override_inputs[warning.code] = edit

    def _all_warnings(self):
        """Every cross-check warning, overridden or not (their reason fields stay visible)."""
        from telecabine.services.intake import check_form

        check = check_form(self._ctx.form, {}, self._intake_today())
        return check.warnings

    def _intake_today(self):
        return self._intake.today()

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_T(_CTX, "Identité du patient"))
        labels = dict(_TEXT_FIELDS) | {"sex": "Sexe", "no_nir_reason": "Sans NIR : raison"}
        for name, label in self.labels.items():
            text = _T(_CTX, labels[name])
            label.setText(text)
            self.inputs[name].setAccessibleName(text)
        self.inputs["birth_date"].setPlaceholderText(_T(_CTX, "JJ/MM/AAAA"))
        for combo, items in ((self.inputs["sex"], _SEX), (self.inputs["no_nir_reason"], _NO_NIR),
                             (self.specialty, _SPECIALTIES)):  # fmt: skip
            for index, (_value, label) in enumerate(items):
                combo.setItemText(index, _T(_CTX, label))
        self.reason_label.setText(_T(_CTX, "Motif de consultation"))
        self.reason.setAccessibleName(_T(_CTX, "Motif de consultation"))
        self.situation_title.setText(_T(_CTX, "Situation (parcours de soins)"))
        for name, label in _SITUATION:
            self.checks[name].setText(_T(_CTX, label))
            self.checks[name].setAccessibleName(_T(_CTX, label))
        self.specialty_label.setText(_T(_CTX, "Spécialité du médecin téléconsultant"))
        self.specialty.setAccessibleName(_T(_CTX, "Spécialité du médecin téléconsultant"))
        self.back_button.setText(_T(_CTX, "Retour"))
        self.back_button.setAccessibleName(_T(_CTX, "Retour à l'accueil"))
        self.next_button.setText(_T(_CTX, "Continuer"))
        self.next_button.setAccessibleName(_T(_CTX, "Continuer vers le consentement"))
        if hasattr(self, "_ctx"):
            self._refresh()
