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

    def __init__(
        self,
        where: str,
        problem: str,
        *,
        path: tuple[str, ...] = (),
        line: int | None = None,
        missing: bool = False,
    ):
        at = "".join(
            [f", {'.'.join(path)}" if path else "", f", ligne/line {line}" if line else ""]
        )
        super().__init__(
            "data.invalid",
            f"Fichier de règles invalide ({where}{at}) : {problem}",
            f"Invalid rules file ({where}{at}): {problem}",
            field=".".join(path) or None,
        )
        self.where = where
        self.problem = problem
        self.path = path
        self.line = line
        self.missing = missing  # the last part of ``path`` is a field that is absent

    def at_line(self, line: int | None) -> DataFileError:
        """The same error, naming the line of the file where the faulty field is."""
        return DataFileError(
            self.where, self.problem, path=self.path, line=line, missing=self.missing
        )

    def __reduce__(self):  # keyword-only path/line: keep pickling/copy working
        args = (self.where, self.problem, self.path, self.line, self.missing)
        return (_rebuild_data_error, args)


def _rebuild_data_error(where, problem, path, line, missing) -> DataFileError:
    return DataFileError(where, problem, path=path, line=line, missing=missing)


def line_of(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line of the deepest key of ``path`` found in order in JSON ``text``.

    Keys are searched one after the other from where the previous one was found, so
    ``("acts", "TE2", "periods", "1", "amount")`` lands on the ``amount`` of TE2's second
    period (a list index skips that many occurrences of the key that follows it).
    """
    pos, found, skip = 0, None, 0
    for key in path:
        if key.isdigit():
            skip = int(key)
            continue
        at = text.find(json.dumps(key), pos)
        for _ in range(skip):
            at = text.find(json.dumps(key), at + 1) if at >= 0 else at
        skip = 0
        if at < 0:
            break
        pos = found = at
    return None if found is None else text.count("\n", 0, found) + 1


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


def parse_date(where: str, value: Any, *, path: tuple[str, ...] = ()) -> date:
    """An ISO date from a data file, or :class:`DataFileError` naming the bad value."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DataFileError(where, f"date invalide / invalid date {value!r}", path=path) from exc
