"""Fixtures for the intake UI tests: a real encrypted store and the intake screens."""

from __future__ import annotations

from datetime import date

import pytest

VALID_NIR = "1 84 05 75 123 456 25"  # key 25 = 97 - (1840575123456 mod 97)


@pytest.fixture
def intake_service(station_store):
    """``IntakeService`` over the real store, with a fixed date after the 2022 rule change."""
    from telecabine.services.audit import AuditTrail
    from telecabine.services.intake import IntakeService

    return IntakeService(
        station_store.encounters,
        station_store.patients,
        "cabine-test",
        today=lambda: date(2026, 11, 23),
        audit=AuditTrail(station_store),
    )


@pytest.fixture
def intake_window(qtbot, intake_service):
    """Main window with Home, Patient, Consent and Summary over the real intake service."""
    from telecabine.services.intake import IntakeContext
    from telecabine.ui.i18n import Translations
    from telecabine.ui.main_window import MainWindow
    from telecabine.ui.screens.consent import ConsentScreen
    from telecabine.ui.screens.home import HomeScreen
    from telecabine.ui.screens.patient import PatientScreen
    from telecabine.ui.screens.summary import SummaryScreen

    window = MainWindow("Cabine test")
    translations = Translations()
    window.set_language_hook(translations.set_language)
    window.context = IntakeContext()
    for screen in (HomeScreen(intake_service), PatientScreen(intake_service),
                   ConsentScreen(intake_service), SummaryScreen(intake_service)):  # fmt: skip
        window.add_screen(screen.screen_name, screen)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.go_to("home")
    yield window
    translations.set_language("fr")
