"""Normalised search keys: upper-case ASCII, so "Éloïse-Marie d'Arc" prefix-matches "ELOISE"."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

_SEPARATORS = re.compile(r"[\s\-'’.]+")
_NIR_CHARS = re.compile(r"^[0-9AB]+$")
_DATE_FR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def name_key(value: str) -> str:
    """Upper-case, accents removed, hyphens/apostrophes/spaces collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", ascii_only.upper()).strip()


def normalise_nir(value: str) -> str:
    """NIR without spaces, upper-case (Corsica 2A/2B kept as typed)."""
    return re.sub(r"\s+", "", value).upper()


def prefix_upper_bound(prefix: str) -> str:
    """Smallest string greater than every string starting with ``prefix`` (index range scan)."""
    return prefix + "\U0010ffff"


def looks_like_nir_prefix(text: str) -> bool:
    """True for 5+ NIR characters typed with optional spaces (digits, 2A/2B)."""
    compact = normalise_nir(text)
    return len(compact) >= 5 and compact[0] in "12378" and bool(_NIR_CHARS.match(compact))


def parse_search_date(text: str) -> date | None:
    """A date typed as 31/12/1950, 31.12.1950 or 1950-12-31, else None."""
    t = text.strip()
    try:
        if m := _DATE_FR.match(t):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _DATE_ISO.match(t):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a UTC calendar day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start.replace(hour=23, minute=59, second=59, microsecond=999999)
