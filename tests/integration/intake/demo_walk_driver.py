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


def _when(ready, then, deadline_s: float = 60.0) -> None:
    """Run ``then()`` once ``ready()`` holds (polled every 100 ms): no fixed delays that a
    loaded machine outruns. Past the deadline, exit with a message (the test shows stderr)."""
    waited = [0.0]

    def poll() -> None:
        if ready():
            then()
        elif waited[0] > deadline_s:
            print(f"timed out waiting for {getattr(then, '__name__', then)}", file=sys.stderr)
            raise SystemExit(3)
        else:
            waited[0] += 0.1
            QTimer.singleShot(100, poll)

    QTimer.singleShot(0, poll)


def _drive(shell) -> None:
    window = shell.window

    def on(name: str):
        return lambda: (
            window.current_name == name and window.pages.currentWidget() is window.flow_page
        )

    def intake() -> None:
        print(
            "AT", window.current_name, window.pages.currentWidget() is window.flow_page, flush=True
        )
        shell.home.start_button.click()
        _when(on("patient"), patient_form)

    def patient_form() -> None:
        patient = shell.patient
        for name, text in FORM.items():
            QTest.keyClicks(patient.inputs[name], text)
        patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData("M"))
        QTest.keyClicks(patient.reason, "Toux")
        patient.next_button.click()
        _when(on("consent"), consent)

    def consent() -> None:
        shell.consent.agree_button.click()
        _when(on("summary"), summary)

    def summary() -> None:
        print("AT", window.current_name, flush=True)
        shell.summary.next_button.click()
        _when(on("equipment"), to_vitals)

    def to_vitals() -> None:
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(1000, lambda: window.screens["equipment"].sig_next.emit())
        _when(on("measurement"), to_call)

    def to_call() -> None:
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(1000, lambda: window.screens["measurement"].sig_next.emit())
        _when(on("call"), in_call)

    def in_call() -> None:
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(2500, window.close)  # hang up by closing the window mid-call

    _when(on("home"), intake)


def _start(self) -> None:
    _original_start(self)
    _drive(self)


shell_module.StationShell.start = _start
raise SystemExit(main(["demo", "--data-dir", sys.argv[1]]))
