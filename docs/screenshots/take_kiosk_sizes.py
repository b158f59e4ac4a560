"""Every station screen at 1280×800, 1366×768 and 1920×1080 with the key banner, plus large text
and high contrast at 1280×800: ``xvfb-run -a -s "-screen 0 1920x1080x24" uv run python
docs/screenshots/take_kiosk_sizes.py [lang]``.

Builds the same window as the kiosk layout tests (``tests/ui/kiosk_testlib.py``: real encrypted
store in a throw-away directory, simulated devices, the call screen over a stand-in
consultation) and saves ``sizes/<lang>_<WxH>[_<mode>]_<screen>.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TELECABINE_INSECURE_FILE_KEYRING", "1")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = Path(__file__).resolve().parent / "sizes"
LANG = sys.argv[1] if len(sys.argv) > 1 else "fr"
SCREENS = ("home", "patient", "summary", "equipment", "measurement", "call", "wrapup", "signin")


class _Bot:
    """Enough of pytest-qt's ``qtbot`` for the builder."""

    def __init__(self) -> None:
        self.widgets: list = []

    def addWidget(self, widget) -> None:
        self.widgets.append(widget)


def _day(store) -> None:
    """A morning's worth of encounters so the home overview has something to show."""
    now = datetime.now(UTC)
    for hour, name, first in ((8, "DUPONT", "Jean"), (9, "MARTIN", "Claire")):
        p = store.patients.create(birth_name=name, first_names=first,
                                  birth_date=datetime(1950, 1, 1).date(), sex="M", now=now)  # fmt: skip
        e = store.encounters.create("cabine-test", now=now.replace(hour=hour, minute=10))
        store.encounters.attach_patient(e.id, p.id, now=now)
        store.encounters.close_with_billing(e.id, {"n": hour}, f"rec-{hour}", now=now)
    draft = store.encounters.create("cabine-test", now=now.replace(hour=10, minute=40))
    store.encounters.set_state(draft.id, "identified", now=now)
    store.encounters.save_draft(draft.id, "consent", {"form": {}})


def main() -> int:
    """Save one PNG per screen, size and mode."""
    from kiosk_testlib import SIZES, build_station, show_page

    from telecabine.config import load_settings
    from telecabine.store import open_store
    from telecabine.ui.theme import ThemeModes, apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(load_settings(data_dir=Path(tmp), insecure_file_keyring=True))
        _day(store)
        shell = build_station(_Bot(), store, Path(tmp), lang=LANG)
        window = shell.window
        window.show()

        def snap(size, tag: str) -> None:
            window.resize(*size)
            for name in SCREENS:
                show_page(shell, name)
                if name == "home":
                    shell.home.on_enter(window.context)
                for _ in range(4):
                    app.processEvents()
                    QTest.qWait(40)
                window.grab().save(str(OUT / f"{LANG}_{size[0]}x{size[1]}{tag}_{name}.png"))

        for size in SIZES:
            snap(size, "")
        apply_theme(app, ThemeModes(large_text=True, high_contrast=True))
        snap(SIZES[0], "_large_contrast")
        shell.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
