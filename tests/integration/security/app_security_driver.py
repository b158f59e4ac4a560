"""Runs ``telecabine demo`` (the real app: logging, store, retention) and scripts one encounter.

Used by ``test_security_app_run.py`` as a subprocess. A distinctive patient goes through intake
to the call screen, the station is locked, unlocked, the user switches (sign-out), then the
window closes. Prints ``BANNER <visible>`` and ``AT <screen>`` lines for the test.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest

import telecabine.ui.shell as shell_module
from telecabine.app import DEMO_PIN
from telecabine.cli import main

_original_start = shell_module.StationShell.start
FORM = {
    "birth_name": "QUILLEBEUFZAC",
    "first_names": "Anthelme Prudence",
    "birth_date": "12/05/1984",
    "birth_place_insee": "75123",
    "nir": "184057512345625",
}


def _drive(shell) -> None:
    window = shell.window
    print("BANNER", window.key_warning_banner.isVisible(), flush=True)
    shell.home.start_button.click()
    patient = shell.patient
    for name, text in FORM.items():
        QTest.keyClicks(patient.inputs[name], text)
    patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData("M"))
    QTest.keyClicks(patient.reason, "Douleur Quillebeufzac")
    patient.next_button.click()
    shell.consent.agree_button.click()
    shell.summary.next_button.click()
    print("AT", window.current_name, flush=True)

    def to_call() -> None:
        window.screens["equipment"].roles.save()  # a settings change (camera choices)
        window.screens["equipment"].sig_next.emit()
        window.screens["measurement"].sig_next.emit()
        print("AT", window.current_name, flush=True)
        QTimer.singleShot(1500, lock_and_leave)

    def lock_and_leave() -> None:
        window.sig_lock_requested.emit()
        print("LOCKED", window.pages.currentWidget() is shell.lock, flush=True)
        shell.lock.pin.setText(DEMO_PIN)
        shell.lock.unlock_button.click()
        print("UNLOCKED", window.pages.currentWidget() is window.flow_page, flush=True)
        window.sig_lock_requested.emit()
        shell.lock.switch_button.click()  # sign-out: every screen forgets the patient
        print("SIGNIN", window.pages.currentWidget() is shell.signin, flush=True)
        QTimer.singleShot(1500, check_withdrawn)

    def check_withdrawn() -> None:
        call = window.screens["call"].consultation.call
        print("CALL", call.state if call is not None else None, window.current_name, flush=True)
        window.close()

    QTimer.singleShot(1200, to_call)


def _start(self) -> None:
    _original_start(self)

    def when_built(tries: int = 300) -> None:  # the station adds its screens after first paint
        if "wrapup" in self.window.screens or tries == 0:
            _drive(self)
        else:
            QTimer.singleShot(100, lambda: when_built(tries - 1))

    QTimer.singleShot(300, when_built)


shell_module.StationShell.start = _start
raise SystemExit(main(["--data-dir", sys.argv[1], "demo"]))
