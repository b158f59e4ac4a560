"""Runs the real station (``telecabine run``) and drives its widgets like a user would.

Used by ``test_crash_resume.py`` as a subprocess: mode ``type`` signs in (first run), starts a
patient, types the identity and prints ``TYPED`` once the debounced draft had time to be saved,
then waits to be killed; mode ``resume`` signs in, prints what the home screen offers, resumes
and prints the form as shown, then closes the window.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest

import telecabine.ui.shell as shell_module
from telecabine.cli import main

MODE, DATA_DIR = sys.argv[1], sys.argv[2]
PIN = "482913"
FORM = {
    "birth_name": "DUPONT",
    "first_names": "Jean, Marie",
    "used_name": "MARTIN",
    "birth_date": "12/05/1984",
    "birth_place_insee": "75123",
    "nir": "1 84 05 75 123 456 25",
}
_original_start = shell_module.StationShell.start


def _sign_in(shell) -> None:
    page = shell.signin
    QTest.keyClicks(page.login, "anne")
    if page.first_run:
        QTest.keyClicks(page.display_name, "Anne Martin")
        QTest.keyClicks(page.pin_again, PIN)
    QTest.keyClicks(page.pin, PIN)
    page.submit.click()


def _type(shell) -> None:
    _sign_in(shell)
    shell.home.start_button.click()
    for name, text in FORM.items():
        QTest.keyClicks(shell.patient.inputs[name], text)
    sex = shell.patient.inputs["sex"]
    sex.setCurrentIndex(sex.findData("M"))
    shell.patient.checks["ehpad_resident"].setChecked(True)
    QTest.keyClicks(shell.patient.reason, "Toux depuis 3 jours")

    def typed() -> None:
        print("TYPED", shell.window.context.encounter_id, flush=True)

    QTimer.singleShot(1500, typed)  # well past the 300 ms debounce


def _resume(shell) -> None:
    _sign_in(shell)
    home = shell.home
    offered = home.resume_box.isVisible()
    home.resume_button.click()
    patient = shell.patient
    shown = {name: patient.inputs[name].text() for name in FORM}
    report = {
        "offered": offered,
        "screen": shell.window.current_name,
        "form": shown,
        "sex": patient.inputs["sex"].currentData(),
        "ehpad": patient.checks["ehpad_resident"].isChecked(),
        "reason": patient.reason.text(),
        "can_continue": patient.next_button.isEnabled(),
        "encounter_id": shell.window.context.encounter_id,
    }
    print("RESUMED " + json.dumps(report), flush=True)
    QTimer.singleShot(100, shell.window.close)


def _start(self) -> None:
    _original_start(self)
    QTimer.singleShot(50, lambda: (_type if MODE == "type" else _resume)(self))


shell_module.StationShell.start = _start
raise SystemExit(main(["run", "--data-dir", DATA_DIR]))
