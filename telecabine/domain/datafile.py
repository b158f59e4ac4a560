"""Loading the effective-dated data files shipped in the package (or an operator's copy).

Rules that change by date (parcours de soins, tariffs) are data, not code: a deployment can
point to a corrected JSON file (a path from settings) or pass an already parsed mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from telecabine.domain.errors import DomainError

DataSource = Path | str | Mapping[str, Any] | None


class DataFileError(DomainError):
    """A rules/tariff data file that cannot be used; the message names the file and the problem."""

    def __init__(self, where: str, problem: str):
        super().__init__(
            "data.invalid",
            f"Fichier de règles invalide ({where}) : {problem}",
            f"Invalid rules file ({where}): {problem}",
        )
        self.where = where


def load_json(package: str, name: str, source: DataSource = None) -> tuple[str, Mapping[str, Any]]:
    """Return ``(where, data)``: the packaged ``name`` if ``source`` is None, else the copy given."""
    if isinstance(source, Mapping):
        return "<mapping>", source
    if source is None:
        where = f"{package}/{name}"
        try:
            text = resources.files(package).joinpath(name).read_text("utf-8")
        except (OSError, ModuleNotFoundError) as exc:
            raise DataFileError(where, f"lecture impossible / unreadable ({exc})") from exc
    else:
        where = str(source)
        try:
            text = Path(source).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(where, f"lecture impossible / unreadable ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(where, f"JSON ligne/line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, Mapping):
        raise DataFileError(where, "objet JSON attendu / JSON object expected")
    return where, data


def parse_date(where: str, value: Any) -> date:
    """An ISO date from a data file, or :class:`DataFileError` naming the bad value."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DataFileError(where, f"date invalide / invalid date {value!r}") from exc
