"""Home: receive a new patient, resume an interrupted one, and see the station's day at a glance.

The overview (today's encounters, drafts, appointments, billing waiting to sync, last equipment
check) comes from ``services.home.HomeOverview`` and is read again each time the screen shows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from telecabine.domain.encounter import STAFF_CANCELLED
from telecabine.services.home import HomeOverview
from telecabine.services.intake import IntakeContext, IntakeService, ResumeOffer
from telecabine.ui.screens.base import Screen, title_label, touch_button
from telecabine.ui.screens.home_panels import HomePanels


def _tr(text: str) -> str:
    return QCoreApplication.translate("HomeScreen", text)


class HomeScreen(Screen):
    """Start screen: one primary action (new patient) plus the resume offer when there is one."""

    screen_name = "home"
    sig_resume = Signal(str)  # the draft step to go back to

    def __init__(
        self,
        intake: IntakeService,
        parent: QWidget | None = None,
        *,
        overview: HomeOverview | None = None,
    ) -> None:
        super().__init__(parent)
        self._intake = intake
        self._overview = overview
        self.panels = HomePanels()
        # Large text can make the overview taller than the screen: it scrolls, never clips.
        self.panels_scroll = QScrollArea(self)
        self.panels_scroll.setWidgetResizable(True)
        self.panels_scroll.setWidget(self.panels)
        self.panels_scroll.setVisible(overview is not None)
        self._ctx: Any = None
        self._offer: ResumeOffer | None = None
        self.title = title_label(self)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "hint")
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setProperty("role", "warning")
        self.resume_box = QWidget(self)
        self.resume_label = QLabel(self.resume_box)
        self.resume_label.setWordWrap(True)
        self.resume_button = touch_button(self.resume_box, name="resume")
        self.discard_button = touch_button(self.resume_box, name="discard")
        row = QHBoxLayout()
        row.addWidget(self.discard_button)
        row.addStretch(1)
        row.addWidget(self.resume_button)
        box = QVBoxLayout(self.resume_box)
        box.addWidget(self.resume_label)
        box.addLayout(row)
        self.start_button = touch_button(self, primary=True, name="start")
        self.set_primary(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.notice)
        layout.addWidget(self.resume_box)
        layout.addWidget(self.panels_scroll, 1)
        layout.addStretch(0 if overview is not None else 1)
        layout.addWidget(self.start_button)
        self.start_button.clicked.connect(self.on_start)
        self.resume_button.clicked.connect(self.on_resume)
        self.discard_button.clicked.connect(self.on_discard)
        self.notice.hide()
        self.resume_box.hide()
        self.retranslate()

    def on_enter(self, ctx: Any) -> None:
        """Look for an encounter left open and offer it back."""
        self._ctx = ctx
        self.retranslate(getattr(ctx, "lang", None))
        offers = self._intake.find_resumable()
        # Only encounters with an intake draft: others were started elsewhere (demo, tools).
        self._offer = next((o for o in offers if o.state in _INTAKE_STATES and o.step), None)
        self.resume_box.setVisible(self._offer is not None)
        self._fill_offer()
        self.refresh_overview()

    def refresh_overview(self) -> None:
        """Read the overview again (each time the screen shows)."""
        if self._overview is not None:
            self.panels.show_snapshot(self._overview.snapshot(), self.lang)

    def show_notice(self, text: str) -> None:
        """A one-line message after the previous patient (e.g. refusal recorded)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def clear(self) -> None:
        """Nothing patient-specific stays on the home screen."""
        self._offer = None
        self.resume_box.hide()
        self.show_notice("")
        self.panels.clear()

    def on_start(self) -> None:
        """Create the encounter (its draft is saved from now on) and go to identification."""
        self.show_notice("")
        self._intake.start(self._ctx)
        self.sig_next.emit()

    def on_resume(self) -> None:
        """Load the draft into the context and go back to the step it reached."""
        if self._offer is None:
            return
        ctx = self._intake.resume(self._offer.encounter_id, self._ctx)
        self.sig_resume.emit(ctx.step)

    def on_discard(self) -> None:
        """Abandon the interrupted encounter (kept as abandoned, reason staff_cancelled)."""
        if self._offer is None:
            return
        self._intake.abandon(IntakeContext(encounter_id=self._offer.encounter_id), STAFF_CANCELLED)
        self.on_enter(self._ctx)

    def _fill_offer(self) -> None:
        if self._offer is None:
            return
        when = self._offer.created_at.astimezone().strftime("%H:%M")
        self.resume_label.setText(
            _tr("Une consultation commencée à {time} a été interrompue. La reprendre ?").format(
                time=when
            )
        )

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_tr("Bienvenue dans la cabine de téléconsultation"))
        self.hint.setText(
            _tr("Accueillez le patient puis appuyez sur « Nouveau patient » pour commencer.")
        )
        self.start_button.setText(_tr("Nouveau patient"))
        self.start_button.setAccessibleName(_tr("Commencer avec un nouveau patient"))
        self.resume_button.setText(_tr("Reprendre"))
        self.resume_button.setAccessibleName(_tr("Reprendre la consultation interrompue"))
        self.discard_button.setText(_tr("Abandonner"))
        self.discard_button.setAccessibleName(_tr("Abandonner la consultation interrompue"))
        self._fill_offer()
        self.panels.retranslate(self.lang)


_INTAKE_STATES = ("created", "identified", "consented")
