"""Walk Home → Patient → Consent → Summary in French and English over the real store."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit

VALID_NIR = "1 84 05 75 123 456 25"
PATIENT = {
    "birth_name": "DUPONT",
    "first_names": "Jean, Marie",
    "birth_date": "12/05/1984",
    "birth_place_insee": "75123",
    "nir": VALID_NIR,
}


def fill(qtbot, screen, values, sex="M"):
    """Type the identity like a user (keystrokes, so validation runs as they type)."""
    for name, text in values.items():
        widget = screen.inputs[name]
        assert isinstance(widget, QLineEdit)
        widget.clear()
        qtbot.keyClicks(widget, text)
    combo = screen.inputs["sex"]
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData(sex))


@pytest.mark.parametrize(
    ("lang", "titles", "eligibility_word"),
    [
        ("fr", ("Identité du patient", "Récapitulatif"), "parcours de soins"),
        ("en", ("Patient identity", "Summary"), "coordinated care pathway"),
    ],
)
def test_walk_home_to_summary(qtbot, intake_window, station_store, lang, titles, eligibility_word):
    window = intake_window
    window.set_language(lang)
    home = window.screens["home"]
    home.start_button.click()
    assert window.current_name == "patient"
    patient = window.screens["patient"]
    assert patient.title.text() == titles[0]
    assert not patient.next_button.isEnabled()
    fill(qtbot, patient, PATIENT)
    patient.checks["no_medecin_traitant"].setChecked(True)
    assert patient.next_button.isEnabled(), [e.text() for e in patient.errors.values()]
    patient.next_button.click()
    assert window.current_name == "consent"
    consent = window.screens["consent"]
    consent.agree_button.click()
    assert window.current_name == "summary"
    summary = window.screens["summary"]
    assert summary.title.text() == titles[1]
    nir_shown = summary.values["nir"].text()
    assert nir_shown.startswith("1 84") and "456" not in nir_shown  # masked
    assert eligibility_word in summary.values["eligibility"].text()
    encounter_id = window.context.encounter_id
    assert station_store.encounters.get(encounter_id).state == "consented"
    [row] = station_store.encounters.consents(encounter_id)
    assert row.granted and row.text_version.startswith("teleconsultation_info@v")


def test_bad_nir_error_beside_field_and_other_fields_kept(qtbot, intake_window):
    window = intake_window
    window.screens["home"].start_button.click()
    patient = window.screens["patient"]
    bad = VALID_NIR[:-1] + "6"  # wrong key
    fill(qtbot, patient, {**PATIENT, "nir": bad})
    error = patient.errors["nir"]
    assert not error.isHidden() and "clé" in error.text().lower()
    assert patient.errors["birth_name"].isHidden()
    assert patient.inputs["birth_name"].text() == "DUPONT"
    assert patient.inputs["birth_date"].text() == "12/05/1984"
    assert not patient.next_button.isEnabled()
    patient.next_button.click()  # refused: stays, fields kept
    assert window.current_name == "patient"
    assert patient.inputs["first_names"].text() == "Jean, Marie"
    window.set_language("en")
    assert "key" in patient.errors["nir"].text().lower()


def test_nir_mismatch_warning_needs_a_reason(qtbot, intake_window):
    window = intake_window
    window.screens["home"].start_button.click()
    patient = window.screens["patient"]
    fill(qtbot, patient, PATIENT, sex="F")  # NIR says male
    assert not patient.next_button.isEnabled()
    [edit] = [e for c, e in patient.override_inputs.items() if c == "nir.sex_mismatch"]
    qtbot.keyClicks(edit, "Acte de naissance verifie")
    assert patient.next_button.isEnabled()


def test_refusal_is_recorded_and_encounter_abandoned(qtbot, intake_window, station_store):
    window = intake_window
    window.screens["home"].start_button.click()
    patient = window.screens["patient"]
    fill(qtbot, patient, PATIENT)
    patient.next_button.click()
    consent = window.screens["consent"]
    with qtbot.waitSignal(consent.sig_refused):
        consent.refuse_button.click()
    encounter = station_store.encounters.get(window.context.encounter_id)
    assert encounter.state == "abandoned" and encounter.abandon_reason == "consent_refused"
    [row] = station_store.encounters.consents(encounter.id)
    assert row.granted is False
    actions = [e.action for e in station_store.audit.entries()]
    assert "patient_created" in actions and "consent_recorded" in actions


def test_keyboard_only_enter_submits_and_escape_goes_back(qtbot, intake_window):
    from PySide6.QtCore import Qt

    window = intake_window
    window.show()
    qtbot.waitExposed(window)
    window.screens["home"].start_button.click()
    patient = window.screens["patient"]
    fill(qtbot, patient, PATIENT)
    qtbot.keyClick(patient.inputs["nir"], Qt.Key.Key_Return)  # Enter in a field = Continue
    assert window.current_name == "consent"
    consent = window.screens["consent"]
    qtbot.keyClick(consent.giver_name, Qt.Key.Key_Escape)
    assert window.current_name == "patient"
    assert patient.inputs["birth_name"].text() == "DUPONT"
