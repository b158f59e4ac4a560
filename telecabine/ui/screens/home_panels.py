"""The home screen's overview panels: today, drafts, appointments, billing, equipment."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from telecabine.services.home import EncounterLine, HomeSnapshot

_CTX = "KioskHome"
MAX_LINES = 6  # the rest is counted ("… and 4 more"): the home screen never scrolls
_STATES = {
    "created": "Commencée",
    "identified": "Patient identifié",
    "consented": "Consentement recueilli",
    "measuring": "Mesures en cours",
    "in_call": "En consultation",
    "wrap_up": "Clôture en cours",
    "closed": "Terminée",
    "abandoned": "Abandonnée",
}
_TITLES = {
    "today": "Consultations du jour",
    "drafts": "Brouillons à reprendre",
    "appointments": "Rendez-vous",
    "billing": "Facturation",
    "equipment": "Équipement",
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def state_label(state: str) -> str:
    """The encounter state in words (current language)."""
    return _tr(_STATES.get(state, state))


class _Panel(QFrame):
    """A titled box of text lines."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"homePanel:{key}")
        self.setProperty("role", "panel")
        self.title = QLabel(self, objectName="panelTitle")
        self.body = QLabel(self)
        self.body.setObjectName(f"home:{key}")
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)

    def set_lines(self, lines: list[str]) -> None:
        self.body.setText("\n".join(lines))
        self.body.setAccessibleName(f"{self.title.text()} : {' ; '.join(lines)}")


class HomePanels(QWidget):
    """Five read-only panels filled from a ``HomeSnapshot``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels = {key: _Panel(key, self) for key in _TITLES}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 8, 0, 8)
        grid.setSpacing(16)
        grid.addWidget(self.panels["today"], 0, 0, 2, 1)
        grid.addWidget(self.panels["drafts"], 0, 1)
        grid.addWidget(self.panels["appointments"], 1, 1)
        grid.addWidget(self.panels["billing"], 0, 2)
        grid.addWidget(self.panels["equipment"], 1, 2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self._snapshot: HomeSnapshot | None = None
        self._lang = "fr"
        self.retranslate("fr")

    def show_snapshot(self, snapshot: HomeSnapshot, lang: str) -> None:
        """Fill every panel from ``snapshot``."""
        self._snapshot = snapshot
        self.retranslate(lang)

    def clear(self) -> None:
        """Forget the last snapshot (next patient, lock)."""
        self._snapshot = None
        for panel in self.panels.values():
            panel.set_lines([])

    def retranslate(self, lang: str | None) -> None:
        """Titles and lines again in the current language."""
        if lang in ("fr", "en"):
            self._lang = lang
        for key, title in _TITLES.items():
            self.panels[key].title.setText(_tr(title))
        if self._snapshot is not None:
            self._fill(self._snapshot)

    def _fill(self, snap: HomeSnapshot) -> None:
        self.panels["today"].set_lines(self._today_lines(snap))
        self.panels["drafts"].set_lines(
            _lines(snap.drafts, _tr("Aucun brouillon en attente."), _draft_line)
        )
        appointments = self.panels["appointments"]
        # No agenda is connected yet: the panel only appears once a source gives appointments.
        appointments.setVisible(snap.appointments is not None)
        if snap.appointments is not None:
            rows = [
                f"{a.starts_at.astimezone().strftime('%H:%M')}  {a.initials}  {a.reason}".strip()
                for a in snap.appointments[:MAX_LINES]
            ]
            appointments.set_lines(rows or [_tr("Aucun rendez-vous aujourd'hui.")])
        self.panels["billing"].set_lines(self._billing_lines(snap))
        self.panels["equipment"].set_lines(self._equipment_lines(snap))

    def _today_lines(self, snap: HomeSnapshot) -> list[str]:
        if not snap.today:
            return [_tr("Aucune consultation aujourd'hui.")]
        closed = snap.counts.get("closed", 0)
        head = _tr("{n} consultation(s), dont {closed} terminée(s)").format(
            n=len(snap.today), closed=closed
        )
        return [head, *_lines(snap.today, "", _today_line)]

    def _billing_lines(self, snap: HomeSnapshot) -> list[str]:
        billing = snap.billing
        if billing.pending == 0:
            return [_tr("Tout est transmis au hub.")]
        lines = [_tr("{n} dossier(s) en attente d'envoi au hub").format(n=billing.pending)]
        if billing.failing:
            lines.append(_tr("{n} envoi(s) en échec : vérifiez la connexion").format(
                n=billing.failing))  # fmt: skip
        return lines

    def _equipment_lines(self, snap: HomeSnapshot) -> list[str]:
        eq = snap.equipment
        if eq is None:
            return [_tr("Pas encore vérifié depuis le démarrage.")]
        when = eq.checked_at.astimezone().strftime("%H:%M")
        if not eq.passed:
            verdict = _tr("Vérifié à {time} : ÉCHEC, consultation impossible")
        elif eq.problems_fr:
            verdict = _tr("Vérifié à {time} : avertissements")
        else:
            verdict = _tr("Vérifié à {time} : tout fonctionne")
        problems = eq.problems_en if self._lang == "en" else eq.problems_fr
        return [verdict.format(time=when), *problems[:3]]


def _today_line(line: EncounterLine) -> str:
    when = line.created_at.astimezone().strftime("%H:%M")
    who = f"  {line.initials}" if line.initials else ""
    return f"{when}{who} — {state_label(line.state)}"


def _draft_line(line: EncounterLine) -> str:
    when = line.created_at.astimezone().strftime("%H:%M")
    return _tr("Commencée à {time} — {state}").format(time=when, state=state_label(line.state))


def _lines(items: list[EncounterLine], empty: str, render) -> list[str]:
    if not items:
        return [empty] if empty else []
    rows = [render(item) for item in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        rows.append(_tr("… et {n} autre(s)").format(n=len(items) - MAX_LINES))
    return rows
