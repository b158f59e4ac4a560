"""Booked teleconsultations seen from the station: today's list, booking with a named doctor
(those of the patient's département first), moving, cancelling, inviting a doctor without an
account. The hub keeps the appointments (``hub/appointments.py``); the station needs the
network to book and says so plainly when it cannot reach the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from telecabine.domain.errors import DomainError
from telecabine.sync.appointments_client import AppointmentsClient


class AppointmentsUnavailable(DomainError):
    """The hub could not be reached or refused (``code`` for the screen's catalogue)."""


@dataclass(frozen=True)
class Appointment:
    """One booked consultation as the day view shows it."""

    uuid: str
    starts_local: str  # Paris wall clock, "YYYY-MM-DDTHH:MM"
    text_fr: str
    text_en: str
    duration_min: int
    doctor: str
    reason: str
    patient_label: str
    status: str
    invited: bool


@dataclass(frozen=True)
class DoctorOption:
    """A doctor the cabin may book; ``in_territory`` = covers the patient's département."""

    username: str
    name: str
    specialty: str
    in_territory: bool


def _unavailable(status: int, body: Any) -> AppointmentsUnavailable:
    if status == 0:
        return AppointmentsUnavailable(
            "appointments_offline", "Serveur injoignable : réessayez quand la connexion revient.",
            "Server unreachable: try again when the connection is back.",
        )  # fmt: skip
    err = body.get("error", {}) if isinstance(body, dict) else {}
    return AppointmentsUnavailable(
        err.get("code", f"http_{status}"),
        err.get("message_fr") or err.get("message") or f"Refusé par le serveur ({status}).",
        err.get("message_en") or err.get("message") or f"Refused by the server ({status}).",
        field=err.get("field"),
    )


class AppointmentsService:
    """What the appointments screen calls (async: every call goes to the hub)."""

    def __init__(self, client: AppointmentsClient) -> None:
        self._client = client

    async def day(self, on: date) -> list[Appointment]:
        """The appointments of a Paris day, by time."""
        res = await self._client.day(on.isoformat())
        if res.status != 200:
            raise _unavailable(res.status, res.body)
        return [
            Appointment(
                a["uuid"],
                a["starts_local"],
                a["starts_text_fr"],
                a["starts_text_en"],
                a["duration_min"],
                a["doctor"] or "?",
                a["reason"],
                a["patient_label"],
                a["status"],
                a["invited"],
            )
            for a in res.body["appointments"]
        ]

    async def doctors(self, departement: str | None) -> list[DoctorOption]:
        """Doctors to choose from, the patient's département first."""
        res = await self._client.doctors(departement)
        if res.status != 200:
            raise _unavailable(res.status, res.body)
        return [DoctorOption(d["username"], d["name"], d["specialty"], d["in_territory"])
                for d in res.body["doctors"]]  # fmt: skip

    async def book(self, *, starts_local: str, duration_min: int, reason: str,
                   patient_label: str, departement: str | None,
                   doctor_username: str | None = None, invited_name: str | None = None,
                   invited_email: str | None = None, territorial_reason: str | None = None,
                   second_occurrence: bool = False) -> str:  # fmt: skip
        """Book; returns the appointment's uuid. Invites the doctor when she has no account."""
        body: dict[str, Any] = {
            "starts_local": starts_local, "duration_min": duration_min, "reason": reason,
            "patient_label": patient_label, "departement": departement,
            "territorial_reason": territorial_reason, "second_occurrence": second_occurrence,
        }  # fmt: skip
        if doctor_username:
            body["doctor_username"] = doctor_username
        else:
            body["invited"] = {"name": invited_name or "", "email": invited_email or ""}
        res = await self._client.book(body)
        if res.status != 201:
            raise _unavailable(res.status, res.body)
        uuid = res.body["uuid"]
        if not doctor_username:
            sent = await self._client.invite(uuid)
            if sent.status != 200:
                raise _unavailable(sent.status, sent.body)
        return uuid

    async def cancel(self, uuid: str) -> None:
        """Cancel (the invited doctor is told by the hub)."""
        res = await self._client.cancel(uuid)
        if res.status != 200:
            raise _unavailable(res.status, res.body)

    async def resend(self, uuid: str) -> None:
        """A lost link: a new link and code replace the old ones."""
        res = await self._client.invite(uuid)
        if res.status != 200:
            raise _unavailable(res.status, res.body)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()
