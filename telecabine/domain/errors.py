"""Typed domain errors carrying a machine code and a bilingual message fit for the screen."""

from __future__ import annotations


class DomainError(ValueError):
    """A validation error the user can act on: ``code`` for programs, FR/EN text for people.

    ``str(error)`` is the French message (French is the product's first language); screens pick
    ``message_fr`` or ``message_en`` by the current language, logs use ``code`` only (no patient
    data ever goes into a message).
    """

    def __init__(self, code: str, message_fr: str, message_en: str, *, field: str | None = None):
        super().__init__(message_fr)
        self.code = code
        self.message_fr = message_fr
        self.message_en = message_en
        self.field = field

    def message(self, lang: str = "fr") -> str:
        """The message in ``lang`` ("fr" or "en"); anything else falls back to French."""
        return self.message_en if lang == "en" else self.message_fr

    def __reduce__(self):  # keep pickling/copy working with keyword-only ``field``
        args = (type(self), self.code, self.message_fr, self.message_en, self.field)
        return (_rebuild, args, dict(self.__dict__))


def _rebuild(cls, code, message_fr, message_en, field):
    err = cls.__new__(cls)
    DomainError.__init__(err, code, message_fr, message_en, field=field)
    return err
