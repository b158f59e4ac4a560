"""Effective-dated NGAP tariffs, participation forfaitaire and AMO rates (data, not code).

The figures live in ``billing/data/tariffs.json`` (shared/design/DOMAIN.md §1); a deployment
can load a corrected copy with :func:`load_tariffs`. Amounts are ``Decimal`` euros with two
decimals; a date outside every period of an act means the act did not exist (or was not
reimbursable) then: :class:`UnknownAct`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from telecabine.domain.datafile import DataFileError, DataSource, load_json, parse_date
from telecabine.domain.errors import DomainError

CENT = Decimal("0.01")
Payer = Literal["doctor", "paramedical", "full"]
_PAYERS = ("doctor", "paramedical", "full")


class UnknownAct(DomainError):
    """An act code that does not exist, or is not reimbursable, on the given date."""

    def __init__(self, code: str, on: date, *, specialty: str | None = None):
        self.act_code = code
        self.on = on
        self.specialty = specialty
        where = f" ({specialty})" if specialty else ""
        super().__init__(
            "billing.unknown_act",
            f"L'acte « {code} »{where} n'existe pas ou n'est pas remboursable le {on:%d/%m/%Y}.",
            f"Act '{code}'{where} does not exist or is not reimbursable on {on.isoformat()}.",
            field="act_code",
        )


@dataclass(frozen=True, slots=True)
class Dated:
    """A value in force from ``valid_from`` to ``until`` inclusive (None = still in force)."""

    valid_from: date
    until: date | None
    value: Decimal

    def covers(self, on: date) -> bool:
        """True if in force on ``on``."""
        return self.valid_from <= on and (self.until is None or on <= self.until)


@dataclass(frozen=True, slots=True)
class ActInfo:
    """One NGAP act: labels, who pays it (rate family), and its dated amounts."""

    code: str
    label_fr: str
    label_en: str
    payer: Payer
    periods: tuple[Dated, ...]
    from_specialty: bool = False
    to_confirm: bool = False


@dataclass(frozen=True, slots=True)
class Specialty:
    """A specialty's base consultation tariff (used by TC)."""

    code: str
    label_fr: str
    label_en: str
    periods: tuple[Dated, ...]


@dataclass(frozen=True, slots=True)
class TariffTable:
    """Everything the billing rules read from the data file."""

    acts: Mapping[str, ActInfo]
    specialties: Mapping[str, Specialty]
    participation_forfaitaire: tuple[Dated, ...]
    amo_rates: Mapping[str, tuple[Dated, ...]]
    amo_rates_to_confirm: frozenset[str]
    pharmacist: Mapping[str, Any]
    where: str = "<mapping>"


def in_force(periods: tuple[Dated, ...], on: date) -> Dated | None:
    """The period covering ``on``, if any."""
    return next((p for p in periods if p.covers(on)), None)


def to_amount(where: str, raw: Any, *, rate: bool = False, path: tuple[str, ...] = ()) -> Decimal:
    """A non-negative Decimal from a data-file string (two decimals for money)."""
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise DataFileError(where, f"montant invalide / invalid amount {raw!r}", path=path) from exc
    bad = not value.is_finite() or value < 0 or (rate and value > 1)
    if bad or (not rate and value != value.quantize(CENT)):
        raise DataFileError(where, f"montant invalide / invalid amount {raw!r}", path=path)
    return value


def _periods(
    where: str, path: tuple[str, ...], raw: Any, key: str = "amount", *, rate: bool = False
) -> tuple[Dated, ...]:
    if not isinstance(raw, list) or not raw:
        raise DataFileError(
            where, "liste de périodes attendue / list of periods expected", path=path
        )
    out = []
    for i, item in enumerate(raw):
        at = (*path, str(i))
        if not isinstance(item, Mapping) or "from" not in item:
            raise DataFileError(
                where, "champ manquant / missing field 'from'", path=(*at, "from"), missing=True
            )
        until = item.get("until")
        out.append(
            Dated(
                valid_from=parse_date(where, item["from"], path=(*at, "from")),
                until=None if until is None else parse_date(where, until, path=(*at, "until")),
                value=to_amount(where, item[key], rate=rate, path=(*at, key))
                if key in item
                else Decimal("0"),
            )
        )
    out.sort(key=lambda p: p.valid_from)
    for a, b in pairwise(out):
        if a.until is None or a.until >= b.valid_from:
            raise DataFileError(
                where,
                f"périodes qui se chevauchent / overlapping periods ({b.valid_from})",
                path=path,
            )
    return tuple(out)


def parse_tariffs(data: Mapping[str, Any], where: str = "<mapping>") -> TariffTable:
    """Validate a parsed tariff document and build a :class:`TariffTable`.

    Every error is a :class:`DataFileError` naming the file and the faulty field's path
    (e.g. ``acts.TE2.periods.1.amount``) so an operator can correct their copy.
    """
    path: tuple[str, ...] = ()
    try:
        acts = {}
        for code, raw in data["acts"].items():
            path = ("acts", code)
            if raw["payer"] not in _PAYERS:
                raise DataFileError(where, f"payer {raw['payer']!r}", path=(*path, "payer"))
            acts[code] = ActInfo(
                code=code,
                label_fr=raw["label_fr"],
                label_en=raw["label_en"],
                payer=raw["payer"],
                periods=_periods(where, (*path, "periods"), raw["periods"]),
                from_specialty=bool(raw.get("from_specialty", False)),
                to_confirm=bool(raw.get("to_confirm", False)),
            )
        specialties = {}
        for code, s in data["specialty_consultation"]["specialties"].items():
            path = ("specialty_consultation", "specialties", code)
            specialties[code] = Specialty(
                code,
                s["label_fr"],
                s["label_en"],
                _periods(where, (*path, "periods"), s["periods"]),
            )
        path = ("amo_rates",)
        rates_raw = data["amo_rates"]
        rates = {}
        for name in ("doctor_in_parcours", "doctor_out_of_parcours", *_PAYERS[1:]):
            path = ("amo_rates", name)
            rates[name] = _periods(
                where, (*path, "periods"), rates_raw[name]["periods"], "rate", rate=True
            )
        path = ("participation_forfaitaire",)
        pf = _periods(where, (*path, "periods"), data["participation_forfaitaire"]["periods"])
        path = ("pharmacist_accompaniment",)
        pharmacist = data["pharmacist_accompaniment"]
        _check_pharmacist(where, pharmacist)
        return TariffTable(
            acts=acts,
            specialties=specialties,
            participation_forfaitaire=pf,
            amo_rates=rates,
            amo_rates_to_confirm=frozenset(n for n in rates if rates_raw[n].get("to_confirm")),
            pharmacist=pharmacist,
            where=where,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        key = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else None
        missing = path if key is None or path[-1:] == (key,) else (*path, key)
        raise DataFileError(
            where,
            f"champ manquant ou mal formé / missing or malformed field {exc}",
            path=missing,
            missing=key is not None and path[-1:] != (key,),
        ) from exc


def _check_pharmacist(where: str, raw: Mapping[str, Any]) -> None:
    """Validate the pharmacist's per-act amount and cap now, not at the first wrap-up."""
    base = ("pharmacist_accompaniment", "periods")
    for i, p in enumerate(raw["periods"]):
        at = (*base, str(i))
        parse_date(where, p["from"], path=(*at, "from"))
        if p.get("until") is not None:
            parse_date(where, p["until"], path=(*at, "until"))
        to_amount(where, p["per_act"], path=(*at, "per_act"))
        to_amount(where, p["annual_cap"], path=(*at, "annual_cap"))


def load_tariffs(source: DataSource = None) -> TariffTable:
    """The packaged tariff table, or an operator's corrected copy (path or parsed mapping)."""
    if source is None:
        return _packaged()
    where, data = load_json("telecabine.domain.billing", "data/tariffs.json", source)
    return parse_tariffs(data, where)


@lru_cache(maxsize=1)
def _packaged() -> TariffTable:
    where, data = load_json("telecabine.domain.billing", "data/tariffs.json")
    return parse_tariffs(data, where)


def act_info(code: str, table: TariffTable | None = None) -> ActInfo | None:
    """Labels and payer of an act code, or None if the table does not know it."""
    return (table or load_tariffs()).acts.get(code.strip().upper())


def tariff(
    code: str, on: date, *, specialty: str | None = None, table: TariffTable | None = None
) -> Decimal:
    """The amount of act ``code`` on ``on`` (TC needs the doctor's ``specialty``).

    Raises :class:`UnknownAct` if the act does not exist or is not reimbursable that day.
    """
    table = table or load_tariffs()
    norm = code.strip().upper()
    act = table.acts.get(norm)
    if act is None or in_force(act.periods, on) is None:
        raise UnknownAct(norm, on)
    if not act.from_specialty:
        return in_force(act.periods, on).value  # type: ignore[union-attr]  # checked above
    spec = table.specialties.get(specialty_code(specialty or "", table) or "")
    period = in_force(spec.periods, on) if spec else None
    if period is None:
        raise UnknownAct(norm, on, specialty=specialty or "?")
    return period.value


def _fold(text: str) -> str:
    """Case- and accent-insensitive key, without a trailing "(…)" qualifier."""
    base = text.split("(")[0].strip().casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c))


def specialty_code(text: str, table: TariffTable | None = None) -> str | None:
    """The specialty code for ``text``: a code ("cardiology") or a label as the doctor's console
    sends it ("Cardiologie", "Psychiatry"); None when the table has no such specialty."""
    table = table or load_tariffs()
    if text in table.specialties:
        return text
    key = _fold(text)
    if not key:
        return None
    for code, spec in table.specialties.items():
        if key in (_fold(code), _fold(spec.label_fr), _fold(spec.label_en)):
            return code
    return None


def participation_forfaitaire(on: date, table: TariffTable | None = None) -> Decimal:
    """The participation forfaitaire per act on ``on`` (0.00 before it existed)."""
    period = in_force((table or load_tariffs()).participation_forfaitaire, on)
    return period.value if period else Decimal("0.00")


def amo_rate(kind: str, on: date, table: TariffTable | None = None) -> Decimal:
    """AMO share (0..1) of a rate family on ``on``: doctor_in_parcours, ..., full."""
    table = table or load_tariffs()
    period = in_force(table.amo_rates.get(kind, ()), on)
    if period is None:
        raise UnknownAct(kind, on)
    return period.value
