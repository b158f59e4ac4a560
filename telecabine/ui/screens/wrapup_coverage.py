"""The wrap-up screen's coverage box: in / out of the parcours de soins (with the decision from
the intake answers), exemption (ALD, maternity, EHPAD, other), complémentaire, and the live
split of the doctor's act into AMO / complémentaire / patient shares."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from telecabine.services.wrapup import Preview, WrapUpContext

_C = "WrapUpScreen"  # same translation context as the screen (wrapup_en.ts)
EXONERATIONS = ((None, "Aucune", "None"),
                ("ald", "ALD (affection de longue durée, pour cette affection)",
                 "ALD (long-term condition, for that condition)"),
                ("maternity", "Maternité", "Maternity"),
                ("ehpad", "Résident d'EHPAD (financé par l'ARS)", "EHPAD resident (ARS-funded)"),
                ("other", "Autre exonération", "Other exemption"))  # fmt: skip


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


class CoverageBox(QGroupBox):
    """Coverage answers the staff confirms; ``sig_changed`` when any of them changes."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = "fr"
        self._ctx: WrapUpContext | None = None
        self.in_parcours = QCheckBox()
        self.eligibility_note = QLabel()
        self.eligibility_note.setWordWrap(True)
        self.exoneration = QComboBox()
        self.has_amc = QCheckBox()
        self.has_amc.setChecked(True)
        self.preview_label = QLabel()
        self.preview_label.setObjectName("coveragePreview")
        self.preview_label.setWordWrap(True)
        self._exo_label = QLabel()
        form = QFormLayout(self)
        form.addRow(self.in_parcours)
        form.addRow(self.eligibility_note)
        form.addRow(self._exo_label, self.exoneration)
        form.addRow(self.has_amc)
        form.addRow(self.preview_label)
        for box in (self.in_parcours, self.has_amc):
            box.setMinimumHeight(48)
            box.toggled.connect(lambda *_: self.sig_changed.emit())
        self.exoneration.setMinimumHeight(48)
        self.exoneration.currentIndexChanged.connect(lambda *_: self.sig_changed.emit())

    def load(self, ctx: WrapUpContext, in_parcours: bool | None) -> None:
        """Prefill from the encounter: parcours decision and exemption from the intake."""
        self._ctx = ctx
        self.in_parcours.setChecked(True if in_parcours is None else in_parcours)
        keys = [k for k, _, _ in EXONERATIONS]
        self.exoneration.setCurrentIndex(keys.index(ctx.exoneration_hint))
        self._explain()

    def clear(self) -> None:
        """Back to the defaults (no patient's answers left)."""
        self._ctx = None
        self.preview_label.clear()
        self.eligibility_note.clear()
        self.exoneration.setCurrentIndex(0)
        self.has_amc.setChecked(True)
        self.in_parcours.setChecked(True)

    def values(self) -> tuple[bool, str | None, bool]:
        """(in the parcours, exemption code or None, has a complémentaire)."""
        exo = EXONERATIONS[max(0, self.exoneration.currentIndex())][0]
        return self.in_parcours.isChecked(), exo, self.has_amc.isChecked()

    def retranslate(self, lang: str) -> None:
        """Re-apply every string in ``lang``."""
        self._lang = lang
        fr = lang == "fr"
        self.setTitle(_tr("Prise en charge"))
        self.in_parcours.setText(_tr("Dans le parcours de soins coordonnés"))
        self._exo_label.setText(_tr("Exonération"))
        self.exoneration.setAccessibleName(_tr("Exonération du ticket modérateur"))
        self.has_amc.setText(_tr("Complémentaire santé (mutuelle)"))
        i = max(0, self.exoneration.currentIndex())
        self.exoneration.blockSignals(True)
        self.exoneration.clear()
        self.exoneration.addItems([f if fr else e for _, f, e in EXONERATIONS])
        self.exoneration.setCurrentIndex(i)
        self.exoneration.blockSignals(False)
        self._explain()

    def _explain(self) -> None:
        ctx = self._ctx
        text = (ctx.eligibility_fr if self._lang == "fr" else ctx.eligibility_en) if ctx else ""
        self.eligibility_note.setText(text)

    def _money(self, amount: Any) -> str:
        text = f"{amount:.2f}"
        return f"{text.replace('.', ',')} €" if self._lang == "fr" else f"€{text}"

    def show_preview(self, preview: Preview | None, problem: str = "") -> None:
        """Show who pays what, or why it cannot be computed yet."""
        if preview is None:
            self.preview_label.setText(problem)
            return
        c, acc, m = preview.coverage, preview.accompanying, self._money
        text = _tr(
            "Médecin {tariff} : Assurance Maladie {amo}, complémentaire {amc}, "
            "patient {patient} (dont participation forfaitaire {pf})."
        ).format(tariff=m(c.tariff), amo=m(c.amo), amc=m(c.amc), patient=m(c.patient),
                 pf=m(c.participation_forfaitaire))  # fmt: skip
        if acc.act_code:
            text += " " + _tr("Accompagnement {code} : {amount}.").format(
                code=acc.act_code, amount=m(acc.amount)
            )
        if acc.cap_reached:
            text += " " + _tr("Plafond annuel de l'accompagnement atteint ({cap}).").format(
                cap=m(acc.annual_cap)
            )
        self.preview_label.setText(text)
