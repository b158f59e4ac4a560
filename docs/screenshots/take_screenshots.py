"""Take one PNG per intake screen in French: ``xvfb-run -a -s "-screen 0 1280x800x24" \
uv run python docs/screenshots/take_screenshots.py [lang]``.

Uses a throw-away data directory (real encrypted store, insecure file keyring).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TELECABINE_INSECURE_FILE_KEYRING", "1")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parent
LANG = sys.argv[1] if len(sys.argv) > 1 else "fr"


def main() -> int:
    """Walk the screens and save ``<lang>_<n>_<screen>.png`` next to this script."""
    from telecabine.config import load_settings
    from telecabine.services.home import HomeOverview
    from telecabine.services.intake import IntakeService
    from telecabine.services.staff import StaffService
    from telecabine.store import open_store
    from telecabine.ui.shell import StationShell
    from telecabine.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), insecure_file_keyring=True)
        store = open_store(settings)
        shell = StationShell(cabin_name="Pharmacie du Centre — cabine 1", lang=LANG,
                             intake=IntakeService(store.encounters, store.patients, "c1"),
                             staff=StaffService(store), idle_lock_seconds=120,
                             home_overview=HomeOverview(store, "c1"))  # fmt: skip
        window = shell.window
        window.resize(1280, 800)
        window.show()
        shell.start()

        def snap(index: int, name: str) -> None:
            for _ in range(5):
                app.processEvents()
                QTest.qWait(50)
            window.grab().save(str(OUT / f"{LANG}_{index}_{name}.png"))

        page = shell.signin
        QTest.keyClicks(page.login, "anne")
        QTest.keyClicks(page.display_name, "Anne Martin")
        snap(1, "signin_first_run")
        QTest.keyClicks(page.pin, "482913")
        QTest.keyClicks(page.pin_again, "482913")
        page.submit.click()
        snap(2, "home")
        shell.home.start_button.click()
        patient = shell.patient
        for name, text in (("birth_name", "DUPONT"), ("first_names", "Jean, Marie"),
                           ("birth_date", "12/05/1984"), ("birth_place_insee", "75123"),
                           ("nir", "1 84 05 75 123 456 26")):  # fmt: skip
            QTest.keyClicks(patient.inputs[name], text)
        patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData("M"))
        QTest.keyClicks(patient.reason, "Toux depuis 3 jours")
        patient.scroll.ensureWidgetVisible(patient.errors["nir"])
        snap(3, "patient_bad_nir")
        patient.scroll.ensureWidgetVisible(patient.inputs["birth_name"])
        patient.inputs["nir"].clear()
        QTest.keyClicks(patient.inputs["nir"], "1 84 05 75 123 456 25")
        patient.checks["ehpad_resident"].setChecked(True)
        snap(4, "patient")
        patient.next_button.click()
        snap(5, "consent")
        shell.consent.agree_button.click()
        snap(6, "summary")
        shell.session.lock("manual")
        snap(7, "lock")
        shell.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
