"""CSV for spreadsheets: ``;``-separated, UTF-8 with BOM, formula cells neutralised.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or tab / carriage return) would run as a
formula in Excel or LibreOffice (CSV injection, OWASP): it is prefixed with ``'``. Numbers are
written as numbers (a negative number is data, not a formula). Local helper on purpose: the
integrator may merge it with the hub's other CSV writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The cell value, with a leading ``'`` when a text cell could start a formula."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The CSV document as bytes (BOM + UTF-8, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
