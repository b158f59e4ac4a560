"""Parcours de soins eligibility: both rule sets, the boundaries, and operator data files."""

import json
from datetime import date
from importlib import resources

import pytest

from telecabine.domain.datafile import DataFileError
from telecabine.domain.eligibility import PatientSituation, evaluate, load_parcours_rules

BEFORE_2018 = date(2018, 9, 14)
START_2018 = date(2018, 9, 15)
LAST_2018_RULES = date(2022, 3, 31)
START_2022 = date(2022, 4, 1)

ADULT = date(1970, 5, 1)
# Oriented by the médecin traitant, seen in person within 12 months: in under 2018 rules.
CLASSIC_2018 = PatientSituation(
    has_medecin_traitant=True,
    orientation_by_medecin_traitant=True,
    seen_in_person_within_12_months=True,
    birth_date=ADULT,
    specialty="general_practice",
)


def packaged_data():
    path = resources.files("telecabine.domain") / "data/parcours_rules.json"
    return json.loads(path.read_text("utf-8"))


def test_before_september_2018_not_reimbursable():
    result = evaluate(CLASSIC_2018, BEFORE_2018)
    assert not result.reimbursable and not result.in_parcours
    assert result.reasons == ("not_reimbursable",)
    assert "15 septembre 2018" in result.explanation_fr
    assert "15 September 2018" in result.explanation("en")


def test_2018_rules_in_parcours_with_both_requirements():
    for on in (START_2018, LAST_2018_RULES):
        result = evaluate(CLASSIC_2018, on)
        assert result.reimbursable and result.in_parcours
        assert result.reasons == ("oriented_by_medecin_traitant", "seen_in_person_12_months")
        assert result.period_id == "avenant6_2018" and not result.to_confirm
        assert result.explanation_fr.startswith("Dans le parcours de soins : orientation")
        assert result.explanation_fr.count(".") == 1  # one sentence


def test_2022_rules_replace_the_12_month_rule():
    # Same answers on both sides of 2022-04-01: in before, out after (no alternance/territory).
    assert evaluate(CLASSIC_2018, LAST_2018_RULES).in_parcours
    after = evaluate(CLASSIC_2018, START_2022)
    assert after.reimbursable and not after.in_parcours
    assert after.reasons == ("alternance_presentiel", "territorial_anchoring")
    assert after.period_id == "avenant9_2022" and after.to_confirm
    assert after.explanation_fr.startswith("Hors parcours de soins : pas d'alternance")
    assert " et médecin téléconsultant hors du territoire" in after.explanation_fr

    situation_2022 = PatientSituation(
        has_medecin_traitant=True,
        orientation_by_medecin_traitant=True,
        alternance_respected=True,
        teleconsultant_in_territory=True,
        birth_date=ADULT,
    )
    assert evaluate(situation_2022, START_2022).in_parcours
    before = evaluate(situation_2022, LAST_2018_RULES)
    assert not before.in_parcours and before.reasons == ("seen_in_person_12_months",)


def test_medecin_traitant_teleconsulting_counts_as_oriented_and_territorial():
    mt = PatientSituation(
        has_medecin_traitant=True,
        teleconsultant_is_medecin_traitant=True,
        alternance_respected=True,
    )
    assert evaluate(mt, START_2022).in_parcours


def test_not_oriented_is_out_and_says_why():
    result = evaluate(PatientSituation(has_medecin_traitant=True, birth_date=ADULT), START_2018)
    assert not result.in_parcours
    assert result.reasons == ("oriented_by_medecin_traitant", "seen_in_person_12_months")
    assert "pas d'orientation par le médecin traitant" in result.explanation_fr
    assert "no referral" in result.explanation_en


@pytest.mark.parametrize(
    ("situation", "code"),
    [
        (PatientSituation(has_medecin_traitant=True, birth_date=date(2010, 6, 1)), "under_16"),
        (PatientSituation(has_medecin_traitant=True, age=15), "under_16"),
        (
            PatientSituation(has_medecin_traitant=True, specialty="psychiatry"),
            "direct_access_specialty",
        ),
        (PatientSituation(has_medecin_traitant=True, emergency=True), "emergency"),
        (PatientSituation(has_medecin_traitant=False), "no_medecin_traitant"),
        (PatientSituation(medecin_traitant_unavailable=True), "medecin_traitant_unavailable"),
        (PatientSituation(prisoner=True), "prisoner"),
        (PatientSituation(ehpad_resident=True), "ehpad_or_disability_facility"),
        (PatientSituation(disability_facility_resident=True), "ehpad_or_disability_facility"),
    ],
)
@pytest.mark.parametrize("on", [START_2018, LAST_2018_RULES, START_2022, date(2026, 1, 1)])
def test_exceptions_hold_in_both_periods(situation, code, on):
    result = evaluate(situation, on)
    assert result.in_parcours and code in result.reasons


def test_age_boundary_sixteenth_birthday():
    on = date(2026, 6, 1)
    assert evaluate(
        PatientSituation(birth_date=date(2010, 6, 2), has_medecin_traitant=True), on
    ).in_parcours
    sixteen = evaluate(PatientSituation(birth_date=date(2010, 6, 1), has_medecin_traitant=True), on)
    assert not sixteen.in_parcours


def test_unknown_answers_never_satisfy_a_rule():
    result = evaluate(PatientSituation(), START_2022)
    assert not result.in_parcours
    assert result.reasons == (
        "oriented_by_medecin_traitant", "alternance_presentiel", "territorial_anchoring",
    )  # fmt: skip


def test_several_exceptions_are_joined_in_one_sentence():
    result = evaluate(PatientSituation(emergency=True, prisoner=True), START_2022)
    assert result.reasons == ("emergency", "prisoner")
    assert (
        result.explanation_fr
        == "Dans le parcours de soins : situation d'urgence et personne détenue."
    )


def test_operator_copy_can_move_a_date(tmp_path):
    data = packaged_data()
    data["periods"][1]["from"] = "2023-01-01"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), "utf-8")
    for source in (path, str(path), data):
        rules = load_parcours_rules(source)
        assert evaluate(CLASSIC_2018, date(2022, 6, 1), rules).in_parcours


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["periods"][0].update({"from": "15/09/2018"}), "date"),
        (
            lambda d: d["periods"][0]["exceptions"][0].update(
                {"when": {"field": "agee", "lt": 16}}
            ),
            "condition",
        ),
        (
            lambda d: d["periods"][0]["exceptions"][0].update(
                {"when": {"field": "age", "lt": "16"}}
            ),
            "condition",
        ),
        (lambda d: d["periods"][0]["requirements"][0].pop("missing_fr"), "missing_fr"),
        (lambda d: d.pop("periods"), "periods"),
        (lambda d: d.update({"periods": []}), "période"),
    ],
)
def test_broken_operator_files_give_clear_errors(mutate, needle):
    good = load_parcours_rules()  # packaged copy still loads
    assert good.periods
    data = packaged_data()
    mutate(data)
    with pytest.raises(DataFileError) as info:
        load_parcours_rules(data)
    assert needle in str(info.value) or needle in info.value.message_en
    assert info.value.code == "data.invalid"


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(DataFileError, match="lecture impossible"):
        load_parcours_rules(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", "utf-8")
    with pytest.raises(DataFileError, match="JSON"):
        load_parcours_rules(bad)
