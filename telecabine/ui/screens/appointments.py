"""Booked teleconsultations at the station: the day's appointments (Paris time) and a form to
book one with a named doctor — those of the patient's département first, the choice and its
reason recorded — or with a doctor without an account, who is invited by e-mail (link + code).

Every action goes to the hub (``services.appointments``) on the app's asyncio loop; when the
hub cannot be reached the screen says so and keeps what was typed.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QSize, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.errors import DomainError
from telecabine.services.appointments import AppointmentsService
from telecabine.ui.screens.base import Screen, title_label, touch_button

_CTX = "AppointmentsScreen"
_T = QCoreApplication.translate


class AppointmentsScreen(Screen):
    """The day (left) and the booking form (right)."""

    screen_name = "appointments"

    def __init__(self, service: AppointmentsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._tasks: set[asyncio.Task] = set()
        self.title = title_label(self)
        self.day = QDateEdit(self)
        self.day.setCalendarPopup(True)
        self.day.setDate(QDate.currentDate())
        self.day.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.list = QListWidget(self)
        self.cancel_button = touch_button(self, name="cancel_appointment")
        self.resend_button = touch_button(self, name="resend_invitation")
        self.form = QWidget(self)
        f = QFormLayout(self.form)
        self.f_date = QDateEdit(self.form)
        self.f_date.setCalendarPopup(True)
        self.f_date.setDate(QDate.currentDate().addDays(1))
        self.f_time = QTimeEdit(self.form)
        self.f_time.setTime(QTime(10, 0))
        self.f_duration = QSpinBox(self.form)
        self.f_duration.setRange(5, 120)
        self.f_duration.setValue(15)
        for w in (self.f_date, self.f_time, self.f_duration):
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no change on a stray wheel
        self.f_departement = QLineEdit(self.form)
        self.f_departement.setMaxLength(3)
        self.f_doctor = QComboBox(self.form)
        self.f_doctor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.f_invite = QCheckBox(self.form)
        self.f_invited_name = QLineEdit(self.form)
        self.f_invited_email = QLineEdit(self.form)
        self.f_reason = QLineEdit(self.form)
        self.f_patient = QLineEdit(self.form)
        self.f_why = QLineEdit(self.form)
        self._labels: dict[str, QLabel] = {}
        for key, widget in (("Date", self.f_date), ("Heure (Paris)", self.f_time),
                            ("Durée (min)", self.f_duration), ("Département du patient",
                            self.f_departement), ("Médecin", self.f_doctor),
                            ("Médecin sans compte (invitation)", self.f_invite),
                            ("Nom du médecin invité", self.f_invited_name),
                            ("E-mail sécurisé du médecin invité", self.f_invited_email),
                            ("Motif", self.f_reason), ("Patient (initiales, chambre)",
                            self.f_patient), ("Pourquoi ce médecin", self.f_why)):  # fmt: skip
            label = QLabel(self.form)
            label.setBuddy(widget)
            self._labels[key] = label
            f.addRow(label, widget)
        self.book_button = touch_button(self, primary=True, name="book")
        self.set_primary(self.book_button)
        # The form scrolls on small screens; its primary button stays in the bottom row.
        self.form_scroll = QScrollArea(self)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.form_scroll.setWidget(self.form)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.back_button = touch_button(self, name="back")
        self.set_back(self.back_button)
        left = QVBoxLayout()
        left.addWidget(self.day)
        left.addWidget(self.list, 1)
        left.addWidget(self.cancel_button)  # one per row: large text keeps them readable
        left.addWidget(self.resend_button)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addSpacing(24)
        body.addWidget(self.form_scroll, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addStretch(1)
        bottom.addWidget(self.book_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self.day.dateChanged.connect(lambda _d: self._spawn(self.refresh()))
        self.f_departement.editingFinished.connect(lambda: self._spawn(self.load_doctors()))
        self.f_invite.toggled.connect(self._on_invite_toggled)
        self.book_button.clicked.connect(lambda: self._spawn(self.on_book()))
        self.cancel_button.clicked.connect(lambda: self._spawn(self.on_cancel()))
        self.resend_button.clicked.connect(lambda: self._spawn(self.on_resend()))
        self.back_button.clicked.connect(self.sig_back.emit)
        self._on_invite_toggled(False)
        self.retranslate()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_enter(self, ctx: Any) -> None:
        """Load the day and the doctors."""
        self.retranslate(getattr(ctx, "lang", None))
        self._spawn(self.refresh())
        self._spawn(self.load_doctors())

    def clear(self) -> None:
        """Forget the form (next patient, lock); pending hub calls are cancelled."""
        for task in list(self._tasks):
            task.cancel()
        for w in (self.f_reason, self.f_patient, self.f_why, self.f_invited_name,
                  self.f_invited_email, self.f_departement):  # fmt: skip
            w.clear()
        self.message.clear()

    def _say(self, exc: DomainError) -> None:
        self.message.setProperty("role", "error")
        self.message.setText(exc.message(self.lang))

    async def refresh(self) -> None:
        """The selected Paris day's appointments."""
        qd = self.day.date()
        try:
            items = await self._service.day(date(qd.year(), qd.month(), qd.day()))
        except DomainError as exc:
            self._say(exc)
            return
        self.list.clear()
        for a in items:
            text = a.text_en if self.lang == "en" else a.text_fr
            state = "" if a.status == "booked" else f" — {_T(_CTX, 'annulé')}"
            item = QListWidgetItem(f"{text} · {a.doctor} · {a.reason} · {a.patient_label}{state}",
                                   self.list)  # fmt: skip
            item.setData(Qt.ItemDataRole.UserRole, a)
            item.setSizeHint(QSize(0, 56))
        if not items:
            QListWidgetItem(_T(_CTX, "Aucun rendez-vous ce jour."), self.list)

    async def load_doctors(self) -> None:
        """Doctors, those of the patient's département first (marked)."""
        dep = self.f_departement.text().strip() or None
        try:
            doctors = await self._service.doctors(dep)
        except DomainError as exc:
            self._say(exc)
            return
        self.f_doctor.clear()
        for d in doctors:
            mark = " ★ " + _T(_CTX, "du territoire") if d.in_territory else ""
            self.f_doctor.addItem(f"{d.name} — {d.specialty}{mark}", d.username)

    def _on_invite_toggled(self, on: bool) -> None:
        self.f_doctor.setEnabled(not on)
        self.f_invited_name.setEnabled(on)
        self.f_invited_email.setEnabled(on)

    async def on_book(self) -> None:
        """Book (and invite when the doctor has no account); the form stays filled on error."""
        qd, qt = self.f_date.date(), self.f_time.time()
        local = datetime(qd.year(), qd.month(), qd.day(), qt.hour(), qt.minute())
        invite = self.f_invite.isChecked()
        try:
            await self._service.book(
                starts_local=local.isoformat(timespec="minutes"),
                duration_min=self.f_duration.value(), reason=self.f_reason.text(),
                patient_label=self.f_patient.text(),
                departement=self.f_departement.text().strip() or None,
                doctor_username=None if invite else self.f_doctor.currentData(),
                invited_name=self.f_invited_name.text() if invite else None,
                invited_email=self.f_invited_email.text() if invite else None,
                territorial_reason=self.f_why.text() or None,
            )  # fmt: skip
        except DomainError as exc:
            self._say(exc)
            return
        self.message.setProperty("role", "hint")
        self.message.setText(_T(_CTX, "Rendez-vous enregistré.") + (
            " " + _T(_CTX, "Invitation envoyée au médecin (lien et code).") if invite else ""))  # fmt: skip
        self.day.setDate(self.f_date.date())
        await self.refresh()

    def _selected(self):
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    async def on_cancel(self) -> None:
        """Cancel the selected appointment."""
        a = self._selected()
        if a is None:
            return
        try:
            await self._service.cancel(a.uuid)
        except DomainError as exc:
            self._say(exc)
            return
        await self.refresh()

    async def on_resend(self) -> None:
        """Send the invited doctor a new link and code (the old ones stop working)."""
        a = self._selected()
        if a is None or not a.invited:
            return
        try:
            await self._service.resend(a.uuid)
        except DomainError as exc:
            self._say(exc)
            return
        self.message.setText(_T(_CTX, "Nouvelle invitation envoyée."))

    def retranslate(self, lang: str | None = None) -> None:
        """Set every visible string again."""
        super().retranslate(lang)
        self.title.setText(_T(_CTX, "Rendez-vous de téléconsultation"))
        self.day.setAccessibleName(_T(_CTX, "Jour affiché"))
        self.list.setAccessibleName(_T(_CTX, "Rendez-vous du jour"))
        for key, label in self._labels.items():
            label.setText(_T(_CTX, key))
        self.book_button.setText(_T(_CTX, "Réserver"))
        self.cancel_button.setText(_T(_CTX, "Annuler le rendez-vous"))
        self.resend_button.setText(_T(_CTX, "Renvoyer l'invitation"))
        self.back_button.setText(_T(_CTX, "Retour"))
        for b in (self.book_button, self.cancel_button, self.resend_button, self.back_button):
            b.setAccessibleName(b.text())
