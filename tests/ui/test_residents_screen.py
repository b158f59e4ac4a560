"""The residents screen: admit, search by room or name, consent on file, start a consultation;
a bad identity is said beside the form; every string has its English translation."""

from __future__ import annotations

import ast
from pathlib import Path

from telecabine.services.residents import ResidentService
from telecabine.ui.i18n import I18N_DIR, read_ts
from telecabine.ui.screens.residents import ResidentsScreen


def _nir(body13: str) -> str:
    return body13 + f"{97 - int(body13) % 97:02d}"


def test_admit_search_consent_and_start(qtbot, station_store) -> None:
    screen = ResidentsScreen(ResidentService(station_store))
    qtbot.addWidget(screen)
    screen.on_enter(None)
    assert screen.results.count() == 0
    screen.new_button.click()
    screen.f_name.setText("Martin")
    screen.f_first.setText("Jeanne")
    screen.f_birth.setText("12/05/1938")
    screen.f_sex.setCurrentIndex(0)
    screen.f_place.setText("75112")
    screen.f_nir.setText("2380575123456" + "00")  # wrong key
    screen.f_room.setText("12B")
    screen.save_button.click()
    assert screen.error.text() != "" and screen.results.count() == 0
    screen.f_nir.setText(_nir("2380575123456"))
    screen.f_mt.setText("Dr Anne Durand")
    screen.save_button.click()
    assert screen.error.text() == "" and screen.results.count() == 1
    screen.search.setText("12")
    assert screen.results.count() == 1
    screen.search.setText("zz")
    assert screen.results.count() == 0
    screen.search.setText("mart")
    screen.results.setCurrentRow(0)
    assert "Dr Anne Durand" in screen.detail.text() and "recueillir" in screen.detail.text()
    screen.consent_button.click()
    assert "renouveler" in screen.detail.text()
    screen.results.setCurrentRow(0)
    with qtbot.waitSignal(screen.sig_start) as got:
        screen.start_button.click()
    assert isinstance(got.args[0], int)


def test_english_file_covers_every_string_of_the_screen() -> None:
    table = read_ts(I18N_DIR / "residents_en.ts")
    path = Path(__file__).resolve().parents[2] / "telecabine/ui/screens/residents.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {ast.get_docstring(n) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module))}  # fmt: skip
    strings = {
        n.value for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
        and any(c.isalpha() for c in n.value) and n.value[:1].isupper()
        and any(c.islower() for c in n.value) and "\n" not in n.value
    } - docs - {"ResidentsScreen"}  # fmt: skip
    known = {src for (ctx, src) in table if ctx == "ResidentsScreen"}
    assert sorted(strings - known) == []
