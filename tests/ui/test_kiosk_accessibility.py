"""Accessibility at the station (issue 17 item 4): large text, high contrast, spoken guidance."""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

import pytest
from kiosk_testlib import all_names, build_station, dispose, show_page
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from telecabine.devices.speech import EspeakNgSpeech, SimulatedSpeech, system_speech
from telecabine.domain.vitals import MeasurementKind as K
from telecabine.ui.accessibility import connect_speech
from telecabine.ui.i18n import I18N_DIR, Translations, read_ts
from telecabine.ui.screens.measurement_text import instruction as guidance_sentence
from telecabine.ui.theme import ThemeModes, stylesheet


@pytest.fixture
def themed_app(qapp):
    """Themes applied to the application are taken off again after the test."""
    yield qapp
    qapp.setStyleSheet("")
    qapp.setProperty("telecabineLargeText", False)
    qapp.setProperty("telecabineHighContrast", False)


def test_menu_switches_large_text_and_high_contrast_at_run_time(
    qtbot, themed_app, station_store, data_dir
):
    shell = build_station(qtbot, station_store, data_dir, extras=False)
    window = shell.window
    window.resize(1280, 800)
    window.show()
    show_page(shell, "home")
    start = shell.home.start_button
    normal_height = start.sizeHint().height()
    normal_font = start.fontInfo().pixelSize()
    menu = window.accessibility
    menu.large_text.trigger()  # each choice re-applies the theme to the whole application
    QApplication.processEvents()
    assert start.fontInfo().pixelSize() >= 25 > normal_font
    assert start.sizeHint().height() > normal_height
    menu.high_contrast.trigger()
    QApplication.processEvents()
    picture = start.grab().toImage()
    fill = picture.pixelColor(8, picture.height() // 2)  # left padding: the button fill
    assert fill == QColor("#ffff00"), fill.name()  # primary = black text on yellow
    menu.large_text.trigger()
    QApplication.processEvents()
    assert start.fontInfo().pixelSize() == 18  # kiosk.qss size again, contrast kept
    assert themed_app.property("telecabineHighContrast") is True
    dispose(shell)


def test_every_screen_still_fits_1280x800_in_large_text(qtbot, station_store, data_dir):
    from test_kiosk_fit_and_wheel import _overflows, _page

    shell = build_station(qtbot, station_store, data_dir)
    window = shell.window
    window.setStyleSheet(stylesheet(ThemeModes(large_text=True, high_contrast=True)))
    window.resize(1280, 800)
    window.show()
    problems = []
    for name in all_names(shell):
        show_page(shell, name)
        window.resize(1280, 800)
        QApplication.processEvents()
        if (window.width(), window.height()) != (1280, 800):
            problems.append(f"{name}: window forced to {window.width()}×{window.height()}")
        problems += [f"{name}: {p}" for p in _overflows(_page(shell, name), window)]
    dispose(shell)
    assert not problems, "\n".join(problems)


def test_each_step_speaks_its_sentence_and_the_menu_turns_it_off(qtbot, station_store, data_dir):
    from telecabine.ui.screens.measurement import MeasurementScreen

    shell = build_station(qtbot, station_store, data_dir)
    speech = SimulatedSpeech()
    screen = MeasurementScreen(shell.window.screens["measurement"]._service, speech=speech)
    qtbot.addWidget(screen)
    connect_speech(shell.window.accessibility, screen, enabled=True)  # as app.py wires it
    assert speech.spoken == []  # built, not shown: silent
    screen.show()
    screen.on_enter({"encounter_id": "enc-1"})
    assert speech.spoken == [("fr", guidance_sentence(K.TEMPERATURE))]
    screen.select_step(K.BLOOD_PRESSURE)
    assert speech.spoken[-1] == ("fr", guidance_sentence(K.BLOOD_PRESSURE))
    assert len(speech.spoken) == 2  # once per step, not once per repaint
    translations = Translations()
    translations.set_language("en")
    try:
        screen.retranslate("en")
        screen.select_step(K.SPO2)
        assert speech.spoken[-1][0] == "en"
        assert speech.spoken[-1][1] == guidance_sentence(K.SPO2)
        assert speech.spoken[-1][1].isascii()  # the English sentence, not the French one
    finally:
        translations.set_language("fr")
    shell.window.accessibility.speech.trigger()  # off from the menu
    screen.select_step(K.WEIGHT)
    assert len(speech.spoken) == 3 and speech.stopped >= 1
    screen.hide()
    silent = MeasurementScreen(screen._service, speech=None)  # no engine installed
    connect_speech(shell.window.accessibility, silent, enabled=True)
    assert not shell.window.accessibility.speech.isEnabled() and not silent.speech_enabled
    assert "indisponible" in shell.window.accessibility.speech.text()
    silent.deleteLater()
    dispose(shell)


def test_real_espeak_ng_writes_the_sentence_to_a_wav_file(tmp_path: Path, qapp):
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("espeak-ng missing under CI (scripts/bootstrap.sh installs it)")
        pytest.skip("espeak-ng not installed")
    assert isinstance(system_speech(), EspeakNgSpeech)
    wav = EspeakNgSpeech().to_wav(guidance_sentence(K.TEMPERATURE), "fr", tmp_path / "t.wav")
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 2.0 < seconds < 20.0  # a real sentence, spoken at 150 words per minute


def test_kiosk_strings_have_english():
    """Every literal of the kiosk contexts has an English translation in kiosk_en.ts."""
    import ast

    table = read_ts(I18N_DIR / "kiosk_en.ts")
    root = Path(__file__).resolve().parents[2] / "telecabine" / "ui"
    files = {"KioskHome": "screens/home_panels.py", "KioskSummary": "screens/summary_billing.py",
             "KioskA11y": "accessibility.py"}  # fmt: skip
    for context, name in files.items():
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        docstrings = {ast.get_docstring(n) for n in ast.walk(tree)
                      if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module))}  # fmt: skip
        strings = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and (n.value[:1].isupper() or n.value.startswith(("{", "…")))
        }  # fmt: skip
        strings -= {context, "ThemeModes", "PatientScreen"}  # contexts, not words
        known = {src for (ctx, src) in table if ctx == context}
        missing = sorted(s for s in strings - known - docstrings if s and "\n" not in s)
        assert not missing, (context, missing)
