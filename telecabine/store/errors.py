"""Typed store errors with a bilingual message fit for a screen (French first, English second)."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose; ``key`` is a stable message key."""

    key = "store.error"

    def __init__(self, message_fr: str, message_en: str) -> None:
        super().__init__(f"{message_fr} / {message_en}")
        self.message_fr = message_fr
        self.message_en = message_en

    def message(self, lang: str = "fr") -> str:
        """The message in ``lang`` ("fr" or "en")."""
        return self.message_en if lang == "en" else self.message_fr


class KeyringUnavailableError(StoreError):
    """No secure OS keyring and the insecure file fallback was not enabled."""

    key = "store.keyring_unavailable"


class StoreKeyError(StoreError):
    """The database file exists but the key we hold does not open it (wrong or lost key)."""

    key = "store.wrong_key"


class NotFoundError(StoreError):
    """The requested row does not exist."""

    key = "store.not_found"


class IntegrityProblem(StoreError):
    """A write was refused because it would break a store invariant (nothing was written)."""

    key = "store.integrity"


def not_found(what: str, ref: object) -> NotFoundError:
    """Build a ``NotFoundError`` for ``what`` (e.g. "encounter") with id ``ref`` (no patient data)."""
    labels = {
        "encounter": ("Consultation introuvable", "Encounter not found"),
        "patient": ("Patient introuvable", "Patient not found"),
        "staff": ("Compte introuvable", "Staff account not found"),
        "document": ("Document introuvable", "Document not found"),
        "outbox": ("Enregistrement à envoyer introuvable", "Outbox record not found"),
    }
    fr, en = labels.get(what, ("Élément introuvable", "Item not found"))
    return NotFoundError(f"{fr} ({ref})", f"{en} ({ref})")
