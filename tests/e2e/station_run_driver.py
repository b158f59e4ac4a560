"""Runs ``telecabine run`` (the installed station's entry point) and walks its UI like staff do.

Used by ``test_station_run_e2e.py`` as the station process. The station is the production one
(``telecabine.cli.main(["run"])``); this driver only clicks its widgets, like the other app
drivers (``tests/integration/intake/demo_walk_driver.py``). It prints ``AT <step> ...`` lines
and waits for the test's orders on stdin (one word a line) where the doctor or the hub must
act first:

- first run: creates the administrator on the sign-in page, then walks patient A through
  intake, equipment, vitals into the call (``AT call <call status words>``);
- the doctor (Chromium, in the test) takes the call, prescribes and ends it -> ``AT wrapup``;
- on ``close``: ticks the checklist and closes the wrap-up (``CLOSED <record uuid>``, then
  ``SYNC <state>`` with the billing sync state right after closing);
- on ``second``: patient B through intake and vitals while the hub is down
  (``OFFLINE <call status words>``), then "next patient";
- on ``wait-sync``: waits until the sync status says nothing is pending (``SYNCED``), closes.
"""

from __future__ import annotations

import queue
import sys
import threading

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

import telecabine.ui.shell as shell_module
from telecabine.cli import main

PIN = "246810"
PATIENTS = {
    "A": ("M", {"birth_name": "DUPONT", "first_names": "Jean", "birth_date": "12/05/1984",
                "birth_place_insee": "75123", "nir": "184057512345625"}),
    "B": ("F", {"birth_name": "MARTIN", "first_names": "Lucie", "birth_date": "03/11/1990",
                "birth_place_insee": "69123", "nir": "290116912312378"}),
}  # fmt: skip
_orders: queue.Queue[str] = queue.Queue()
_where = [lambda: ""]  # what the screen shows, for a TIMEOUT line
_original_start = shell_module.StationShell.start


def _read_orders() -> None:
    for line in sys.stdin:
        _orders.put(line.strip())


def say(*words: object) -> None:
    print(*words, flush=True)


def when(ready, then, deadline_s: float = 90.0) -> None:
    """Run ``then()`` once ``ready()`` holds (polled every 100 ms), else exit 3."""
    left = [deadline_s]

    def poll() -> None:
        if ready():
            then()
        elif left[0] <= 0:
            say("TIMEOUT", getattr(then, "__name__", then), _where[0]().replace("\n", " | "))
            QTimer.singleShot(0, lambda: sys.exit(3))
        else:
            left[0] -= 0.1
            QTimer.singleShot(100, poll)

    QTimer.singleShot(0, poll)


def order(word: str, then) -> None:
    """Run ``then()`` when the test writes ``word`` on stdin."""

    def got() -> bool:
        try:
            return _orders.get_nowait() == word
        except queue.Empty:
            return False

    when(got, then, deadline_s=240.0)


def _drive(shell) -> None:
    window = shell.window
    status = {name: window.findChild(QLabel, name) for name in ("callStatus", "syncStatus")}

    def where() -> str:
        m = window.screens["measurement"]
        return (
            f"screen={window.current_name} banner={shell.patient.banner.text()!r} "
            f"vitals={m.status_label.text()!r} {m.error_label.text()!r} busy={m.is_busy()} "
            f"kind={m.current_kind} results={len(m._results)}"
        )

    _where[0] = where

    def on(name: str):
        return lambda: (
            window.current_name == name and window.pages.currentWidget() is (window.flow_page)
        )

    def call_words() -> str:
        return status["callStatus"].text()

    def first_admin() -> None:
        signin = shell.signin
        assert signin.first_run
        QTest.keyClicks(signin.login, "claire")
        QTest.keyClicks(signin.display_name, "Claire Dubois")
        QTest.keyClicks(signin.rpps, "10000000002")
        QTest.keyClicks(signin.pin, PIN)
        QTest.keyClicks(signin.pin_again, PIN)
        signin.submit.click()
        when(on("home"), lambda: intake("A", after_vitals=to_call))

    def intake(who: str, after_vitals) -> None:
        say("AT home", who)
        shell.home.start_button.click()
        patient = shell.patient
        sex, form = PATIENTS[who]
        for name, text in form.items():
            QTest.keyClicks(patient.inputs[name], text)
        patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData(sex))
        QTest.keyClicks(patient.reason, "Toux")
        patient.next_button.click()
        shell.consent.agree_button.click()
        shell.summary.next_button.click()
        when(on("equipment"), lambda: vitals(after_vitals))

    def vitals(after) -> None:
        window.screens["equipment"].sig_next.emit()
        when(on("measurement"), lambda: measure(after))

    def measure(after) -> None:
        screen = window.screens["measurement"]
        say("AT measurement")
        if after is offline:  # patient B: the next device (see the report: a second
            screen.next_button.click()  # measurement on the same BLE twin never completes)
        screen.measure_button.click()  # the simulated BLE device of the first step measures
        when(lambda: bool(screen._results) and not screen.is_busy(), lambda: measured(after))

    def measured(after) -> None:
        screen = window.screens["measurement"]
        say("VITALS", len(screen._results))
        after(screen)

    def to_call(screen) -> None:
        when(lambda: status["callStatus"].state == "available", lambda: go_call(screen))

    def go_call(screen) -> None:
        screen.sig_next.emit()
        when(on("call"), lambda: (say("AT call", call_words()), when(on("wrapup"), wrapup)))

    def wrapup() -> None:
        screen = window.screens["wrapup"]
        say("AT wrapup", "summary" if screen._ctx.summary_act is not None else "no-summary")
        order("close", close_wrapup)

    def close_wrapup() -> None:
        screen = window.screens["wrapup"]
        if screen._ctx.summary_act is None:  # no end_call summary: staff types the act in
            QTest.keyClicks(screen.doctor_name, "Dr Claire Martin")
            QTest.keyClicks(screen.doctor_rpps, "10000000001")
            screen.doctor_specialty.insert("Médecine générale")  # keyClicks: ASCII only
            screen.act_code.setCurrentText("TCG")
        for box in [*screen._doc_boxes.values(), *screen.dis_items.values()]:
            box.ensurePolished()
            QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(12, box.height() // 2))
        screen.sig_closed.connect(lambda closed: say("CLOSED", closed.record_uuid))
        QTest.mouseClick(screen.close_button, Qt.MouseButton.LeftButton)
        if screen.error_label.text():
            say("WRAPUP-ERROR", screen.error_label.text())
        sync = status["syncStatus"]  # the worker wakes on closing; the hub is down: it waits
        when(lambda: sync.state != "ok", lambda: say("SYNC", sync.state, sync.text()))
        when(on("home"), lambda: order("second", lambda: intake("B", after_vitals=offline)))

    def offline(screen) -> None:
        when(lambda: status["callStatus"].state == "unreachable", lambda: leave(screen))

    def leave(screen) -> None:
        say("OFFLINE", call_words())
        window.next_patient_button.click()
        when(on("home"), lambda: order("wait-sync", wait_sync))

    def wait_sync() -> None:
        when(lambda: status["syncStatus"].state == "ok", lambda: (say("SYNCED"), window.close()))

    if shell.signin is not None and window.pages.currentWidget() is shell.signin:
        first_admin()


def _start(self) -> None:
    _original_start(self)
    threading.Thread(target=_read_orders, daemon=True).start()
    # the station adds equipment, vitals, call and wrap-up right after the first paint
    when(lambda: "wrapup" in self.window.screens, lambda: _drive(self))


shell_module.StationShell.start = _start
raise SystemExit(main(["--data-dir", sys.argv[1], "run"]))
