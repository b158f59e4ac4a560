"""Summary before the equipment check: identity (NIR masked), consent, eligibility in one line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from telecabine.services.intake import IntakeContext, IntakeService
from telecabine.ui.screens.base import Screen, title_label, touch_button
from telecabine.ui.screens.summary_billing import ROWS as BILLING_ROWS
from telecabine.ui.screens.summary_billing import billing_values, row_label

_CTX = "SummaryScreen"
_T = QCoreApplication.translate
_ROWS = (
    ("name", "Nom de naissance"),
    ("first_names", "Prénoms"),
    ("birth_date", "Date de naissance"),
    ("sex", "Sexe"),
    ("birth_place", "Lieu de naissance (INSEE)"),
    ("nir", "NIR"),
    ("ins_status", "Statut de l'identité"),
    ("consent", "Consentement"),
    ("eligibility", "Parcours de soins"),
)


class SummaryScreen(Screen):
    """Read-only recap; one primary action (go on to the equipment check)."""

    screen_name = "summary"

    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._intake = intake
        self._ctx: IntakeContext = IntakeContext()
        self.title = title_label(self)
        self.labels: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        body = QWidget()
        form = QFormLayout(body)
        form.setHorizontalSpacing(24)
        form.setVerticalSpacing(12)
        for key in [k for k, _ in _ROWS] + [k for k, _ in BILLING_ROWS]:
            label, value = QLabel(body), QLabel(body)
            value.setObjectName(f"summary:{key}")
            value.setWordWrap(True)
            value.setProperty("role", "verdict" if key == "eligibility" else "value")
            form.addRow(label, value)
            self.labels[key], self.values[key] = label, value
        self.back_button = touch_button(self, name="back")
        self.next_button = touch_button(self, primary=True, name="next")
        self.set_primary(self.next_button)
        self.set_back(self.back_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 16, 48, 16)
        layout.addWidget(self.title)
        # The situation answers can run to several lines: the recap scrolls, the buttons stay.
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.next_button.clicked.connect(self.on_next_clicked)
        self.retranslate()

    def on_enter(self, ctx: Any) -> None:
        """Fill the recap from the context."""
        self._ctx = ctx
        self.retranslate(getattr(ctx, "lang", None))

    def clear(self) -> None:
        """Blank every value."""
        self._ctx = IntakeContext()
        for value in self.values.values():
            value.clear()

    def on_next_clicked(self) -> None:
        """Record the step and go on."""
        self._intake.save_now(self._ctx, "equipment")
        self.sig_next.emit()

    def _fill(self) -> None:
        identity = self._ctx.identity
        if identity is None:
            for value in self.values.values():
                value.clear()
            return
        en = self.lang == "en"
        t = identity.traits
        values = {
            "name": t.birth_name + (f" ({self._ctx.form['used_name']})"
                                    if self._ctx.form.get("used_name") else ""),
            "first_names": ", ".join(t.birth_first_names),
            "birth_date": t.birth_date.strftime("%d/%m/%Y"),
            "sex": t.sex.label_en if en else t.sex.label_fr,
            "birth_place": t.birth_place_insee,
            "nir": identity.nir.masked() if identity.nir else (
                identity.no_nir_reason.label_en if en else identity.no_nir_reason.label_fr
            ) if identity.no_nir_reason else "—",
            "ins_status": identity.status.label_en if en else identity.status.label_fr,
        }  # fmt: skip
        consent = self._ctx.consent or {}
        if consent.get("decision") == "given":
            values["consent"] = _T(_CTX, "Donné par : {who} (texte {ref})").format(
                who=_giver(consent.get("given_by"), en), ref=consent.get("text", "")
            )
        else:
            values["consent"] = _T(_CTX, "Non recueilli")
        result = self._intake.eligibility(self._ctx)
        self._ctx.eligibility = result
        values["eligibility"] = result.explanation(self.lang)
        values |= billing_values(self._ctx.situation)  # what changes the tariff, in words
        for key, text in values.items():
            self.values[key].setText(text)
            self.values[key].setAccessibleName(f"{self.labels[key].text()} {text}")

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_T(_CTX, "Récapitulatif"))
        for key, label in _ROWS:
            self.labels[key].setText(_T(_CTX, label))
        for key, _label in BILLING_ROWS:
            self.labels[key].setText(row_label(key))
        self.back_button.setText(_T(_CTX, "Retour"))
        self.back_button.setAccessibleName(_T(_CTX, "Retour au consentement"))
        self.next_button.setText(_T(_CTX, "Vérifier l'équipement"))
        self.next_button.setAccessibleName(
            _T(_CTX, "Continuer vers la vérification de l'équipement")
        )
        self._fill()


def _giver(value: str | None, en: bool) -> str:
    from telecabine.domain.consent import ConsentGiver

    try:
        giver = ConsentGiver(value or "patient")
    except ValueError:
        return value or ""
    return giver.label_en if en else giver.label_fr
