"""Logging setup and the patient-data filter (issue 9 item 5).

``setup_logging(settings)`` writes JSON lines to a rotating file in ``data_dir/logs/`` and to
stderr. Every record goes through ``PatientDataFilter`` on the *handlers*, so third-party
loggers (aiohttp, aiortc...) are filtered too. The filter redacts:

- NIR-like numbers: 15 characters, first digit 1-4/7/8, Corsica ``2A``/``2B``, spaces allowed;
- dates that could be dates of birth (``31/12/1950``, ``31-12-1950``, ``1950-12-31`` without a
  time after it; timestamps such as ``2026-11-23T07:28:47`` stay readable);
- every string registered at run time with ``register_sensitive`` (names typed in intake),
  case- and accent-insensitively;
- argon2 password hashes (visible when SQL logging is on);
- the whole value of free-text fields passed as ``extra`` (``note``, ``text``, ``chat``...).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from telecabine.config import Settings

REDACTED = "[REDACTED]"
LOG_FILENAME = "telecabine.log"
FREE_TEXT_KEYS = frozenset(
    {"note", "notes", "text", "chat", "comment", "free_text", "reason_text", "message_text"}
)
_MIN_SENSITIVE_LEN = 2
_MAX_SENSITIVE = 5000

_NIR = re.compile(
    r"(?<![0-9A-Za-z])[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[ABab])\s?\d{3}\s?\d{3}\s?\d{2}"
    r"(?![0-9A-Za-z])"
)
# Password hashes (argon2 PHC strings) show up in SQL parameter logs; they never belong in logs.
_PHC_HASH = re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9$=,+/.]+")
_DATE_DMY = re.compile(r"(?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-](?:18|19|20)\d{2}(?!\d)")
_DATE_YMD = re.compile(r"(?<!\d)(?:18|19|20)\d{2}[-/.]\d{2}[-/.]\d{2}(?![\dT]|\s\d{2}:)")

# LogRecord attributes that are not user "extra" fields.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "taskName"}


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class SensitiveRegistry:
    """Strings to redact, registered at run time (bounded, oldest forgotten first)."""

    def __init__(self, max_items: int = _MAX_SENSITIVE) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None) -> None:
        """Redact ``value`` (and each of its words of 3+ letters) from now on."""
        if not value:
            return
        words = [value.strip(), *re.split(r"[\s\-']+", value)]
        with self._lock:
            added = False
            for w in words:
                w = _fold(w.strip())
                if len(w) < _MIN_SENSITIVE_LEN or (w != _fold(value.strip()) and len(w) < 3):
                    continue
                added = added or w not in self._items
                self._items[w] = None
                self._items.move_to_end(w)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
                added = True
            if added:  # rebuilding the pattern costs ms with thousands of names
                self._pattern = None

    def clear(self) -> None:
        """Forget every registered string."""
        with self._lock:
            self._items.clear()
            self._pattern = None

    def redact(self, text: str) -> str:
        """Replace registered strings in ``text`` (case/accent-insensitive)."""
        with self._lock:
            if not self._items:
                return text
            if self._pattern is None:
                alts = sorted(self._items, key=len, reverse=True)
                # Whole words only: a registered "Van" must not eat the middle of "relevant".
                self._pattern = re.compile(
                    r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\w)"
                )
            pattern = self._pattern
        folded = _fold(text)
        if len(folded) != len(text):  # folding changed lengths (ligatures): redact on folded text
            return pattern.sub(REDACTED, folded) if pattern.search(folded) else text
        out, last = [], 0
        for m in pattern.finditer(folded):
            out.append(text[last : m.start()])
            out.append(REDACTED)
            last = m.end()
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)


# The process's registry: one plain object, no side effect (intake registers names into it).
DEFAULT_REGISTRY = SensitiveRegistry()


def register_sensitive(value: str | None, registry: SensitiveRegistry | None = None) -> None:
    """Mark a run-time value (a patient's name typed in intake) as never to be logged.

    The store also registers every patient name it writes or reads, so a name is covered as
    soon as it reaches the database; intake should still register what it reads before that.
    """
    (registry or DEFAULT_REGISTRY).register(value)


def redact(text: str, registry: SensitiveRegistry | None = None) -> str:
    """Redact NIR-like numbers, date-of-birth-like dates and registered strings in ``text``."""
    text = _PHC_HASH.sub(REDACTED, text)
    text = _NIR.sub(REDACTED, text)
    text = _DATE_DMY.sub(REDACTED, text)
    text = _DATE_YMD.sub(REDACTED, text)
    return (registry or DEFAULT_REGISTRY).redact(text)


class PatientDataFilter(logging.Filter):
    """Rewrites each record so no patient data reaches a handler; never drops a record."""

    def __init__(self, registry: SensitiveRegistry | None = None) -> None:
        super().__init__()
        self.registry = registry or DEFAULT_REGISTRY

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact message, arguments, exception text, stack and extra fields in place."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message, self.registry)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.registry)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.registry)
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS:
                continue
            if key in FREE_TEXT_KEYS and value not in (None, ""):
                setattr(record, key, REDACTED)
            elif isinstance(value, str):
                setattr(record, key, redact(value, self.registry))
            elif isinstance(value, (dict, list, tuple)):
                setattr(
                    record, key, json.loads(redact(json.dumps(value, default=str), self.registry))
                )
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the (already redacted) record."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


_MARK = "_telecabine_handler"


def setup_logging(
    settings: Settings,
    *,
    stream: TextIO | None = None,
    registry: SensitiveRegistry | None = None,
    max_bytes: int = 5 * 1024 * 1024,
    backup_count: int = 5,
) -> Path:
    """Install the file + stderr handlers (idempotent) and return the log file path."""
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / LOG_FILENAME
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            h.close()
    patient_filter = PatientDataFilter(registry)
    formatter = JsonLineFormatter()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    file_handler.setLevel(settings.log_level)
    err_handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    err_handler.setLevel(logging.WARNING if settings.log_level != "DEBUG" else logging.DEBUG)
    for h in (file_handler, err_handler):
        h.addFilter(patient_filter)
        h.setFormatter(formatter)
        setattr(h, _MARK, True)
        root.addHandler(h)
    root.setLevel(min(logging.getLevelName(settings.log_level), logging.INFO))
    return path


def teardown_logging() -> None:
    """Remove and close the handlers ``setup_logging`` installed (tests, clean exit)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            h.close()
