"""Runs ``telecabine demo`` and walks the intake into the equipment, vitals and call screens.

Used by ``test_demo_walk.py`` as a subprocess; prints ``AT <screen>`` at each step.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest

import telecabine.ui.shell as shell_module
from telecabine.cli import main

_original_start = shell_module.StationShell.start
FORM = {"birth_name": "DUPONT", "first_names": "Jean", "birth_date": "12/05/1984",
        "birth_place_insee": "75123", "nir": "184057512345625"}  # fmt: skip


def _drive(shell) -> None:
    window = shell.window
    print("AT", window.current_name, window.pages.currentWidget() is window.flow_page, flush=True)
    shell.home.start_button.click()
    patient = shell.patient
    for name, text in FORM.items():
        QTest.keyClicks(patient.inputs[name], text)
    patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData("M"))
    QTest.keyClicks(patient.reason, "Toux")
    patient.next_button.click()
    shell.consent.agree_button.click()
    print("AT", window.current_name, flush=True)
    shell.summary.next_button.click()
    print("AT", window.current_name, flush=True)

    def to_vitals() -> None:
        window.screens["equipment"].sig_next.emit()
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(1500, to_call)

    def to_call() -> None:
        window.screens["measurement"].sig_next.emit()
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(2500, window.close)

    QTimer.singleShot(1500, to_vitals)


def _start(self) -> None:
    _original_start(self)
    QTimer.singleShot(200, lambda: _drive(self))


shell_module.StationShell.start = _start
raise SystemExit(main(["demo", "--data-dir", sys.argv[1]]))
