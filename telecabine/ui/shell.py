"""The station shell: main window + intake screens + staff sign-in, lock and idle auto-lock.

Built by ``app.py`` (the composition root), which adds the other engineers' screens with
``window.add_screen``. Staff must sign in before the flow shows; after
``Settings.idle_lock_seconds`` without a tap or key the lock page replaces the flow (no patient
datum stays drawn); "next patient" makes every screen forget the previous one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from telecabine.domain.encounter import STAFF_CANCELLED
from telecabine.services.home import HomeOverview
from telecabine.services.intake import IntakeContext, IntakeService
from telecabine.services.staff import StaffService
from telecabine.services.staff_session import SessionState, StaffSession
from telecabine.ui.i18n import Translations
from telecabine.ui.main_window import MainWindow
from telecabine.ui.screens.consent import ConsentScreen
from telecabine.ui.screens.home import HomeScreen
from telecabine.ui.screens.lock import LockScreen
from telecabine.ui.screens.patient import PatientScreen
from telecabine.ui.screens.signin import SignInScreen
from telecabine.ui.screens.staff_admin import StaffAdminScreen
from telecabine.ui.screens.summary import SummaryScreen

_INPUT_EVENTS = frozenset(
    {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin,
     QEvent.Type.Wheel}
)  # fmt: skip
_STEP_SCREENS = {"patient": "patient", "consent": "consent", "summary": "summary"}
_INTAKE_STATES = ("created", "identified", "consented")


class _ActivityFilter(QObject):
    """Application-wide event filter: any tap or key counts as activity (idle lock)."""

    def __init__(self, on_activity: Callable[[], None]) -> None:
        super().__init__()
        self._on_activity = on_activity

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Note activity, never consume the event."""
        if event.type() in _INPUT_EVENTS:
            self._on_activity()
        return False


class StationShell:
    """Owns the window, the current encounter context and the staff session wiring."""

    def __init__(
        self,
        *,
        cabin_name: str,
        lang: str,
        intake: IntakeService,
        staff: StaffService | None,
        idle_lock_seconds: int,
        tick_ms: int = 1000,
        home_overview: HomeOverview | None = None,
    ) -> None:
        self.intake = intake
        self.translations = Translations()
        self.window = MainWindow(cabin_name, lang)
        self.window.set_language_hook(self.translations.set_language)
        self.window.context = IntakeContext(lang=lang)
        self.home = HomeScreen(intake, overview=home_overview)
        self.patient = PatientScreen(intake)
        self.consent = ConsentScreen(intake)
        self.summary = SummaryScreen(intake)
        for screen in (self.home, self.patient, self.consent, self.summary):
            self.window.add_screen(screen.screen_name, screen)
        self.home.sig_resume.connect(self.on_resume)
        self.consent.sig_refused.connect(self.on_consent_refused)
        self.window.sig_next_patient.connect(self.on_next_patient)
        # Called when every screen forgets the patient (next patient, refusal, user switch);
        # app.py uses it to withdraw a call still waiting for a doctor.
        self.reset_listeners: list[Callable[[], None]] = []
        self.session: StaffSession | None = None
        self.signin: SignInScreen | None = None
        self.lock: LockScreen | None = None
        self.staff_admin: StaffAdminScreen | None = None
        self._filter: _ActivityFilter | None = None
        self._timer: QTimer | None = None
        if staff is not None:
            self._wire_staff(staff, timedelta(seconds=idle_lock_seconds), tick_ms)
        if lang != "fr":
            self.window.set_language(lang)

    # --- staff ---------------------------------------------------------------------------------
    def _wire_staff(self, staff: StaffService, idle: timedelta, tick_ms: int) -> None:
        self.session = StaffSession(staff, idle)
        self.signin = SignInScreen(staff, self.session)
        self.lock = LockScreen(self.session)
        self.window.add_page(self.signin)
        self.window.add_page(self.lock)
        self.staff_admin = StaffAdminScreen(staff, lambda: self._account_id())
        self.window.add_page(self.staff_admin)
        self.staff_admin.sig_close.connect(self.window.show_flow)
        self.window.sig_staff_admin_requested.connect(self.on_staff_admin)
        self.signin.sig_signed_in.connect(self.on_signed_in)
        self.lock.sig_unlocked.connect(self.window.show_flow)
        self.lock.sig_switch_user.connect(self.on_switch_user)
        self.window.sig_lock_requested.connect(lambda: self.session.lock("manual"))
        self.session.subscribe(self.on_session_changed)
        self._filter = _ActivityFilter(self.session.touch)
        QApplication.instance().installEventFilter(self._filter)
        self._timer = QTimer(self.window)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(lambda: self.session.tick())
        self._timer.start()

    def start(self) -> None:
        """Show the first page: sign-in when staff accounts are used (and nobody is signed in)."""
        if self.signin is not None and self.session is not None and self.session.state.account:
            self.on_signed_in()
        elif self.signin is not None:
            self.signin.prepare()
            self.window.show_page(self.signin)
        else:
            self.window.show_flow()
            self.window.go_to("home")

    def on_signed_in(self) -> None:
        """Signed in: the flow comes back where it was (home the first time)."""
        assert self.session is not None
        account = self.session.state.account
        ctx = self.window.context
        if account is not None:
            ctx.staff_id, ctx.staff_name = account.id, account.display_name
            ctx.staff_role, ctx.staff_rpps = account.role, account.rpps
            self.window.set_staff_name(account.display_name)
        self.window.staff_admin_button.setVisible(account is not None and account.role == "admin")
        self.window.show_flow()
        if self.window.current_name is None:
            self.window.go_to("home")

    def _account_id(self) -> int | None:
        account = self.session.state.account if self.session is not None else None
        return account.id if account is not None else None

    def on_staff_admin(self) -> None:
        """The staff accounts page (administrators only; the service checks it again)."""
        if self.staff_admin is not None:
            self.staff_admin.prepare()
            self.window.show_page(self.staff_admin)

    def on_session_changed(self, state: SessionState) -> None:
        """Locked: save the draft and replace the flow by the lock page."""
        if state.locked and self.lock is not None:
            self.intake.flush()
            self.lock.prepare()
            self.window.show_page(self.lock)

    def on_switch_user(self) -> None:
        """Someone else takes over: sign out, forget every screen (draft stays resumable)."""
        assert self.session is not None and self.signin is not None
        self.intake.flush()
        self.session.sign_out()
        self._reset_context()
        self.window.set_staff_name("")
        self.window.staff_admin_button.hide()
        self.signin.prepare()
        self.window.show_page(self.signin)

    # --- flow ----------------------------------------------------------------------------------
    def on_resume(self, step: str) -> None:
        """Go back to the screen the interrupted draft reached."""
        self.window.go_to(_STEP_SCREENS.get(step, "summary"))

    def on_consent_refused(self) -> None:
        """Refusal recorded: back to home, ready for the next patient."""
        self._reset_context()
        self.window.go_to("home")
        self.home.show_notice(
            QCoreApplication.translate(
                "HomeScreen",
                "Refus de consentement enregistré. La station est prête pour le patient suivant.",
            )
        )

    def on_next_patient(self) -> None:
        """Forget the current patient everywhere; an intake left half-way is abandoned (kept)."""
        ctx = self.window.context
        if ctx.encounter_id is not None and ctx.state in _INTAKE_STATES:
            self.intake.flush()
            self.intake.abandon(ctx, STAFF_CANCELLED)
        self._reset_context()
        self.window.go_to("home")

    def _reset_context(self) -> None:
        self.intake.cancel_pending()
        for listener in list(self.reset_listeners):
            listener()
        old = self.window.context
        self.window.clear_all()
        self.window.context = IntakeContext(
            lang=self.window.lang, staff_id=old.staff_id, staff_name=old.staff_name,
            staff_role=old.staff_role, staff_rpps=old.staff_rpps,
        )  # fmt: skip
        self.window._current = None

    def close(self) -> None:
        """Save what is pending and stop the timers (before the loop closes)."""
        self.intake.flush()
        if self._timer is not None:
            self._timer.stop()
        if self._filter is not None and QApplication.instance() is not None:
            QApplication.instance().removeEventFilter(self._filter)
