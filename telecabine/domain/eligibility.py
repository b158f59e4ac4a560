"""Is this teleconsultation in the parcours de soins (reimbursed at the normal rate), and why?

The rules are effective-dated data (``data/parcours_rules.json``; avenant 6 of 2018-09-15 and
avenant 9 of 2022-04-01, shared/design/DOMAIN.md §1), interpreted here: a period applies from its
date to the next; the act is in the parcours if any exception matches, else if all requirements
hold. Before the first period teleconsultation was not reimbursed at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from typing import Any

from telecabine.domain.datafile import DataFileError, DataSource, load_json, parse_date
from telecabine.domain.ins import age_on


@dataclass(frozen=True, slots=True)
class PatientSituation:
    """What the staff answers before the call; ``None`` means unknown (never satisfies a rule).

    ``specialty`` is the teleconsultant's specialty code (e.g. "general_practice", "psychiatry",
    "pediatrics", "gynecology"). ``ald``/``maternity`` do not change the parcours; they are here
    because coverage (``domain.billing``) needs them from the same form.
    """

    has_medecin_traitant: bool | None = None
    orientation_by_medecin_traitant: bool | None = None
    teleconsultant_is_medecin_traitant: bool | None = None
    medecin_traitant_unavailable: bool | None = None
    seen_in_person_within_12_months: bool | None = None
    alternance_respected: bool | None = None
    teleconsultant_in_territory: bool | None = None
    birth_date: date | None = None
    age: int | None = None
    ehpad_resident: bool | None = None
    disability_facility_resident: bool | None = None
    ald: bool | None = None
    maternity: bool | None = None
    emergency: bool | None = None
    specialty: str | None = None
    prisoner: bool | None = None

    def value(self, name: str, on: date) -> Any:
        """A field by name; ``age`` comes from ``birth_date`` on ``on`` when not given directly."""
        if name == "age" and self.age is None and self.birth_date is not None:
            return age_on(self.birth_date, on)
        return getattr(self, name)


_FIELDS = frozenset(f.name for f in fields(PatientSituation))


@dataclass(frozen=True, slots=True)
class Rule:
    """One exception or requirement: a condition plus the words to explain it."""

    code: str
    when: Mapping[str, Any]
    label_fr: str
    label_en: str
    missing_fr: str = ""
    missing_en: str = ""


@dataclass(frozen=True, slots=True)
class RulePeriod:
    """The rules in force from ``valid_from`` until the next period."""

    period_id: str
    valid_from: date
    source: str
    to_confirm: bool
    exceptions: tuple[Rule, ...]
    requirements: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class ParcoursRules:
    """All periods, sorted, plus what to say before the first one."""

    periods: tuple[RulePeriod, ...]
    before_code: str
    before_fr: str
    before_en: str

    def period_on(self, on: date) -> RulePeriod | None:
        """The period in force on ``on``, or None before the first one."""
        current = None
        for period in self.periods:
            if period.valid_from <= on:
                current = period
        return current


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """The answer: reimbursable at all, in the parcours, which rule codes decided, one sentence."""

    reimbursable: bool
    in_parcours: bool
    reasons: tuple[str, ...]
    explanation_fr: str
    explanation_en: str
    period_id: str | None = None
    to_confirm: bool = False

    def explanation(self, lang: str = "fr") -> str:
        """The one-sentence explanation in ``lang``."""
        return self.explanation_en if lang == "en" else self.explanation_fr


def _holds(cond: Mapping[str, Any], situation: PatientSituation, on: date) -> bool:
    """Evaluate a condition of the data file; unknown (None) values never hold."""
    if "any" in cond:
        return any(_holds(c, situation, on) for c in cond["any"])
    if "all" in cond:
        return all(_holds(c, situation, on) for c in cond["all"])
    value = situation.value(cond["field"], on)
    if value is None:
        return False
    if "is" in cond:
        return value is cond["is"]
    if "in" in cond:
        return value in cond["in"]
    if "lt" in cond:
        return value < cond["lt"]
    return value >= cond["gte"]


def _check_condition(where: str, path: tuple[str, ...], cond: Any) -> None:
    if not isinstance(cond, Mapping):
        raise DataFileError(where, f"condition invalide / invalid condition {cond!r}", path=path)
    for key in ("any", "all"):
        if key in cond:
            if not isinstance(cond[key], list) or not cond[key]:
                raise DataFileError(
                    where, f"« {key} » doit être une liste non vide / must be a non-empty list",
                    path=(*path, key),
                )  # fmt: skip
            for i, sub in enumerate(cond[key]):
                _check_condition(where, (*path, key, str(i)), sub)
            return
    ops = {"is", "in", "lt", "gte"} & set(cond)
    valid = cond.get("field") in _FIELDS and len(ops) == 1
    if valid:
        arg = cond[next(iter(ops))]
        valid = {
            "is": isinstance(arg, bool),
            "in": isinstance(arg, list),
            "lt": isinstance(arg, int | float) and not isinstance(arg, bool),
            "gte": isinstance(arg, int | float) and not isinstance(arg, bool),
        }[next(iter(ops))]
    if not valid:
        raise DataFileError(
            where, f"condition invalide / invalid condition {dict(cond)!r}", path=path
        )


def _rule(where: str, path: tuple[str, ...], raw: Mapping[str, Any], requirement: bool) -> Rule:
    if not isinstance(raw, Mapping):
        raise DataFileError(where, "règle invalide / invalid rule", path=path)
    keys = ["code", "when", "label_fr", "label_en"] + (["missing_fr", "missing_en"] * requirement)
    for k in keys:
        if k not in raw:
            raise DataFileError(
                where, f"champ manquant / missing field '{k}'", path=(*path, k), missing=True
            )
    _check_condition(where, (*path, "when"), raw["when"])
    texts = {k: str(raw[k]) for k in keys if k != "when"}
    return Rule(when=raw["when"], **texts)


def parse_parcours_rules(data: Mapping[str, Any], where: str = "<mapping>") -> ParcoursRules:
    """Validate a parsed rules document and build :class:`ParcoursRules`.

    Errors are :class:`DataFileError` naming the file and the faulty field's path
    (e.g. ``periods.1.exceptions.0.when``).
    """
    path: tuple[str, ...] = ("not_reimbursable_before",)
    try:
        before = data["not_reimbursable_before"]
        before_texts = [str(before[k]) for k in ("code", "explanation_fr", "explanation_en")]
        periods = []
        path = ("periods",)
        for i, raw in enumerate(data["periods"]):
            path = ("periods", str(i))
            pid = str(raw["id"])
            rules = {}
            for kind in ("exceptions", "requirements"):
                path = ("periods", str(i), kind)
                rules[kind] = tuple(
                    _rule(where, (*path, str(j)), r, kind == "requirements")
                    for j, r in enumerate(raw[kind])
                )
            path = ("periods", str(i))
            periods.append(
                RulePeriod(
                    period_id=pid,
                    valid_from=parse_date(where, raw["from"], path=(*path, "from")),
                    source=str(raw.get("source", "")),
                    to_confirm=bool(raw.get("to_confirm", False)),
                    exceptions=rules["exceptions"],
                    requirements=rules["requirements"],
                )
            )
        result = ParcoursRules(
            periods=tuple(sorted(periods, key=lambda p: p.valid_from)),
            before_code=before_texts[0],
            before_fr=before_texts[1],
            before_en=before_texts[2],
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
    if not result.periods:
        raise DataFileError(where, "aucune période / no period", path=("periods",))
    return result


def load_parcours_rules(source: DataSource = None) -> ParcoursRules:
    """The packaged rules, or an operator's corrected copy (path or parsed mapping)."""
    if source is None:
        return _packaged_rules()
    where, data = load_json("telecabine.domain", "data/parcours_rules.json", source)
    return parse_parcours_rules(data, where)


@lru_cache(maxsize=1)
def _packaged_rules() -> ParcoursRules:
    where, data = load_json("telecabine.domain", "data/parcours_rules.json")
    return parse_parcours_rules(data, where)


def _join(parts: list[str], conj: str) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {conj} " + parts[-1]


def evaluate(
    situation: PatientSituation, on: date, rules: ParcoursRules | None = None
) -> EligibilityResult:
    """Decide in/out of the parcours de soins on ``on`` and explain it in one sentence."""
    rules = rules or load_parcours_rules()
    period = rules.period_on(on)
    if period is None:
        return EligibilityResult(
            False, False, (rules.before_code,), rules.before_fr, rules.before_en
        )
    matched = [r for r in period.exceptions if _holds(r.when, situation, on)]
    if matched:
        return EligibilityResult(
            True,
            True,
            tuple(r.code for r in matched),
            f"Dans le parcours de soins : {_join([r.label_fr for r in matched], 'et')}.",
            f"Within the coordinated care pathway: {_join([r.label_en for r in matched], 'and')}.",
            period.period_id,
            period.to_confirm,
        )
    missing = [r for r in period.requirements if not _holds(r.when, situation, on)]
    if missing:
        return EligibilityResult(
            True,
            False,
            tuple(r.code for r in missing),
            f"Hors parcours de soins : {_join([r.missing_fr for r in missing], 'et')}.",
            f"Outside the coordinated care pathway: {_join([r.missing_en for r in missing], 'and')}.",
            period.period_id,
            period.to_confirm,
        )
    met = period.requirements
    why_fr = _join([r.label_fr for r in met], "et") if met else "aucune condition requise"
    why_en = _join([r.label_en for r in met], "and") if met else "no condition required"
    return EligibilityResult(
        True,
        True,
        tuple(r.code for r in met),
        f"Dans le parcours de soins : {why_fr}.",
        f"Within the coordinated care pathway: {why_en}.",
        period.period_id,
        period.to_confirm,
    )
