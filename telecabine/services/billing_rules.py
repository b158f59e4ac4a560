"""The billing and parcours rules in force on this station: packaged data or operator copies.

Settings ``tariffs_path`` and ``parcours_rules_path`` name JSON files that REPLACE the packaged
``domain/billing/data/tariffs.json`` and ``domain/data/parcours_rules.json``. They are read and
validated once at start (:func:`load_station_rules`); a file that is missing or malformed stops
the start with a bilingual :class:`~telecabine.domain.datafile.DataFileError` naming the file,
the field and its line. Falling back to the packaged figures silently would bill with rates the
operator meant to correct, so it is never done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telecabine.domain.billing.tariffs import TariffTable, load_tariffs, parse_tariffs
from telecabine.domain.datafile import DataFileError, line_of
from telecabine.domain.eligibility import ParcoursRules, load_parcours_rules, parse_parcours_rules


@dataclass(frozen=True, slots=True)
class StationRules:
    """The tariff table and the parcours rules the services use, and where they came from."""

    tariffs: TariffTable
    parcours: ParcoursRules
    tariffs_source: str
    parcours_source: str


def read_rules_file(path: Path | str, parse: Any) -> Any:
    """Read ``path`` (UTF-8 JSON) and build it with ``parse(data, where)``.

    Raises :class:`DataFileError` naming the file and, when it can be found, the line: the JSON
    syntax error's line, or the line of the faulty field.
    """
    where = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(where, f"lecture impossible / unreadable ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            where, f"JSON mal formé / malformed JSON: {exc.msg}", line=exc.lineno
        ) from None
    if not isinstance(data, dict):
        raise DataFileError(where, "objet JSON attendu / JSON object expected", line=1)
    try:
        return parse(data, where)
    except DataFileError as exc:
        if exc.line is None and exc.path:
            # An absent field has no line: point at the entry that lacks it.
            raise exc.at_line(line_of(text, exc.path[:-1] if exc.missing else exc.path)) from None
        raise


def load_station_rules(tariffs_path: Path | None, parcours_rules_path: Path | None) -> StationRules:
    """The rules to use: each operator file when set (validated), else the packaged copy."""
    if tariffs_path is not None:
        tariffs = read_rules_file(tariffs_path, parse_tariffs)
        t_src = str(tariffs_path)
    else:
        tariffs, t_src = load_tariffs(), "packaged"
    if parcours_rules_path is not None:
        parcours = read_rules_file(parcours_rules_path, parse_parcours_rules)
        p_src = str(parcours_rules_path)
    else:
        parcours, p_src = load_parcours_rules(), "packaged"
    return StationRules(tariffs, parcours, t_src, p_src)


def _set(path: Path | str | None) -> Path | None:
    """An empty setting (``TELECABINE_TARIFFS_PATH=``) means the packaged copy."""
    return None if path is None or str(path).strip() in ("", ".") else Path(path)


def rules_from_settings(settings: Any) -> StationRules:
    """:func:`load_station_rules` with the paths of a ``telecabine.config.Settings``."""
    return load_station_rules(
        _set(getattr(settings, "tariffs_path", None)),
        _set(getattr(settings, "parcours_rules_path", None)),
    )
