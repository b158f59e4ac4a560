"""Screens after the intake, taken from the real demo app (``telecabine demo``, simulated
devices, in-process hub): ``xvfb-run -a -s "-screen 0 1280x800x24" uv run python
docs/screenshots/take_app_screenshots.py [lang]``.

Staff accounts page, equipment check (finished), vitals (one simulated measurement), the call
screen (waiting room for real; the doctor joining, a vital and a request are fed through the
consultation's observer lists, as the session would) and the wrap-up with a doctor's summary.
Uses a throw-away data directory (insecure file keyring: its banner shows at the top).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from PySide6.QtTest import QTest

import telecabine.station as station_module
import telecabine.ui.shell as shell_module
from telecabine.cli import main

OUT = Path(__file__).resolve().parent
LANG = sys.argv[1] if len(sys.argv) > 1 else "fr"
FORM = {"birth_name": "DUPONT", "first_names": "Jean", "birth_date": "12/05/1984",
        "birth_place_insee": "75123", "nir": "184057512345625"}  # fmt: skip
SUMMARY = {
    "v": 1, "type": "end_call", "act_code": "TCG", "outcome": "prescription",
    "note": "Angine virale probable ; revoir si fièvre > 3 jours.",
    "doctor": {"name": "Dr Paul Lefèvre", "rpps": "10000000001",
               "specialty": "Médecine générale"},
}  # fmt: skip
_holder: dict = {}
_original_add = station_module.Station.start_services


async def _keep_station(station) -> None:
    _holder["station"] = station
    await _original_add(station)


async def _settle(seconds: float = 0.3) -> None:
    # Only asyncio sleeps: qasync paints meanwhile. QTest.qWait here would run a nested Qt loop
    # inside this task, and qasync then refuses to enter other tasks ("Cannot enter into task").
    await asyncio.sleep(seconds)
    for _ in range(5):
        await asyncio.sleep(0.02)


def _snap(window, index: int, name: str) -> None:
    window.grab().save(str(OUT / f"{LANG}_{index}_{name}.png"))
    print("saved", f"{LANG}_{index}_{name}.png", flush=True)


async def _drive(shell) -> None:
    window = shell.window
    while "wrapup" not in window.screens:  # the demo adds its screens after the first page
        await asyncio.sleep(0.1)
    station = _holder["station"]
    shell.on_staff_admin()
    await _settle()
    _snap(window, 8, "staff_admin")
    window.show_flow()
    shell.home.start_button.click()
    for name, text in FORM.items():
        QTest.keyClicks(shell.patient.inputs[name], text)
    shell.patient.inputs["sex"].setCurrentIndex(shell.patient.inputs["sex"].findData("M"))
    QTest.keyClicks(shell.patient.reason, "Mal de gorge")
    shell.patient.next_button.click()
    shell.consent.agree_button.click()
    shell.summary.next_button.click()
    await _settle(9.0)  # the check listens to the microphone and opens every camera
    _snap(window, 9, "equipment")
    window.screens["equipment"].sig_next.emit()
    vitals = window.screens["measurement"]
    vitals.start_measurement()
    await _settle(1.0)
    await vitals.wait_idle()
    await _settle()
    _snap(window, 10, "vitals")
    vitals.sig_next.emit()
    await _settle(2.0)
    events = station.consultation.events
    for cb in events.state:
        cb("in_call")
    for cb in events.doctor:
        cb("Dr Paul Lefèvre", "Médecine générale")
    for cb in events.prompt:
        cb(
            "blood_pressure",
            "Le médecin demande la tension",
            "The doctor asks for the blood pressure",
        )
    for cb in events.chat:
        cb("doctor", "Bonjour, je vous entends bien.")
    await _settle(1.0)
    _snap(window, 11, "call")
    eid = window.context.encounter_id
    await station.consultation.cancel()
    encounters = station.store.encounters
    if encounters.get(eid).state != "in_call":
        encounters.set_state(eid, "in_call")
    encounters.set_state(eid, "wrap_up")
    encounters.save_draft(eid, "call", {"doctor_summary": SUMMARY})
    window.screens["call"].blockSignals(True)
    window.go_to("wrapup")
    await _settle()
    _snap(window, 12, "wrapup")
    window.close()


def _start(self) -> None:
    _original_start(self)
    _holder["drive"] = asyncio.ensure_future(_drive(self))


_original_start = shell_module.StationShell.start
shell_module.StationShell.start = _start
station_module.Station.start_services = _keep_station

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TELECABINE_LANGUAGE"] = LANG
        raise SystemExit(main(["--data-dir", str(Path(tmp) / "data"), "demo"]))
