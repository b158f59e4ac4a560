"""The banner after an abrupt stop: French, English from the catalogue, no patient data."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from telecabine.crash import PreviousCrash
from telecabine.ui.i18n import I18N_DIR, Translations, read_ts
from telecabine.ui.widgets.crash_notice import CTX, CrashNotice

WHEN = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)


def test_banner_words_in_french_then_english(qtbot):
    notice = CrashNotice(PreviousCrash("fatal", WHEN, "Fatal Python error: Segmentation fault"))
    qtbot.addWidget(notice)
    text = notice.label.text()
    assert "arrêtée de façon inattendue (erreur interne" in text
    assert "reprenez le patient depuis l'accueil" in text and "relancé" in text
    assert "03/12/2026" in text
    translations = Translations()
    try:
        translations.set_language("en")
        notice.retranslate("en")
        assert notice.label.text().startswith("The station stopped unexpectedly (an internal error")
        assert notice.dismiss_button.text() == "Got it"
        killed = CrashNotice(PreviousCrash("killed", None, ""))
        qtbot.addWidget(killed)
        assert "(an abrupt stop; session started ?)" in killed.label.text()
    finally:
        translations.set_language("fr")
    notice.show()
    notice.dismiss_button.click()
    assert notice.isHidden()


def test_every_banner_string_has_english():
    table = read_ts(I18N_DIR / "telecabine_en.ts")
    source = (
        Path(__file__).resolve().parents[2] / "telecabine" / "ui" / "widgets" / "crash_notice.py"
    )
    tree = ast.parse(source.read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", "") == "_tr"]  # fmt: skip
    literals = {"".join(p.value for p in ast.walk(c.args[0]) if isinstance(p, ast.Constant))
                for c in calls}  # fmt: skip
    assert len(literals) == 5
    assert all(table.get((CTX, s)) for s in literals), literals - {s for (_c, s) in table}
