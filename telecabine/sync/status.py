"""Sync status in words (French first, English second) for the status bar and the CLI.

No patient data here: counts, times and the kind of the last problem only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Message keys -> (French, English). The UI layer may translate the key itself; CLI prints both.
PROBLEMS: dict[str, tuple[str, str]] = {
    "network": (
        "Hub injoignable (réseau). Nouvel essai automatique.",
        "Hub unreachable (network). Retrying automatically.",
    ),
    "timeout": (
        "Le hub ne répond pas à temps. Nouvel essai automatique.",
        "The hub did not answer in time. Retrying automatically.",
    ),
    "hub_error": (
        "Le hub est en erreur. Nouvel essai automatique.",
        "The hub reported an error. Retrying automatically.",
    ),
    "conflict": (
        "Un enregistrement diffère de celui déjà reçu par le hub : à vérifier par l'exploitant.",
        "A record differs from the one the hub already holds: the operator must check it.",
    ),
    "rejected": (
        "Un enregistrement a été refusé par le hub (données invalides) : à corriger.",
        "A record was refused by the hub (invalid data): it must be corrected.",
    ),
    "unauthorized": (
        "Le hub refuse le jeton de cette station : envoi arrêté, prévenez l'exploitant.",
        "The hub refuses this station's token: sending stopped, tell the operator.",
    ),
    "no_token": (
        "Aucun jeton de station dans le trousseau : envoi impossible, prévenez l'exploitant.",
        "No station token in the keyring: cannot send, tell the operator.",
    ),
}


@dataclass(frozen=True)
class SyncCounts:
    """Outbox tally: waiting to be sent, delivered, and parked for a person (409/422)."""

    pending: int
    sent: int
    attention: int


@dataclass(frozen=True)
class SyncProblem:
    """The last problem: a key of :data:`PROBLEMS`, when, and a technical detail (no PII)."""

    key: str
    at: datetime
    detail: str = ""

    def text(self, lang: str = "fr") -> str:
        """The problem in words in ``lang`` ("fr" or "en")."""
        fr, en = PROBLEMS.get(self.key, (self.key, self.key))
        return fr if lang == "fr" else en


@dataclass(frozen=True)
class SyncStatus:
    """What the operator needs to see: how many wait, last success, last problem, stopped."""

    pending: int = 0
    attention: int = 0
    last_success_at: datetime | None = None
    last_problem: SyncProblem | None = None
    stopped: bool = False  # True after a 401 or without token: needs a person

    def words(self, lang: str = "fr", now: datetime | None = None) -> str:
        """One or two short sentences for the status bar (``lang`` "fr" or "en")."""
        fr = lang == "fr"
        parts: list[str] = []
        if self.pending == 0:
            parts.append("Facturation à jour." if fr else "Billing up to date.")
        else:
            n = self.pending
            parts.append(
                (f"{n} enregistrement{'s' if n > 1 else ''} en attente d'envoi.")
                if fr
                else (f"{n} record{'s' if n > 1 else ''} waiting to be sent.")
            )
        if self.attention:
            parts.append(
                f"{self.attention} à vérifier." if fr else f"{self.attention} need attention."
            )
        if self.last_success_at is not None:
            parts.append(
                ("Dernier envoi réussi : " if fr else "Last successful send: ")
                + _ago(self.last_success_at, now, fr)
            )
        if self.last_problem is not None and (
            self.last_success_at is None or self.last_problem.at >= self.last_success_at
        ):
            parts.append(self.last_problem.text(lang))
        return " ".join(parts)


def _ago(at: datetime, now: datetime | None, fr: bool) -> str:
    """``HH:MM`` plus "il y a N min" when ``now`` is known (local wording, no seconds)."""
    clock = at.astimezone().strftime("%H:%M")
    if now is None:
        return clock + "."
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes == 0:
        return f"{clock} (à l'instant)." if fr else f"{clock} (just now)."
    return f"{clock} (il y a {minutes} min)." if fr else f"{clock} ({minutes} min ago)."
