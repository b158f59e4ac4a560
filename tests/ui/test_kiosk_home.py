"""Home screen overview (pytest-qt, real store): panels filled, refreshed when shown, English."""

from __future__ import annotations

from datetime import UTC, datetime

from telecabine.services.home import HomeOverview
from telecabine.services.intake import IntakeContext
from telecabine.ui.i18n import Translations
from telecabine.ui.screens.home import HomeScreen

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_home_shows_the_day_and_refreshes_when_shown(qtbot, station_store, intake_service):
    overview = HomeOverview(station_store, "cabine-test", clock=lambda: NOW, local_tz=UTC)
    home = HomeScreen(intake_service, overview=overview)
    qtbot.addWidget(home)
    home.on_enter(IntakeContext())
    body = {k: p.body.text() for k, p in home.panels.panels.items()}
    assert body["today"] == "Aucune consultation aujourd'hui."
    assert body["billing"] == "Tout est transmis au hub."
    assert body["equipment"] == "Pas encore vérifié depuis le démarrage."
    assert home.panels.panels["appointments"].isHidden()  # no agenda source: no fake data
    enc = station_store.encounters.create("cabine-test", now=NOW.replace(hour=9, minute=5))
    station_store.encounters.close_with_billing(enc.id, {"n": 1}, "rec-1", now=NOW)
    home.on_enter(IntakeContext())  # shown again: read again
    today = home.panels.panels["today"].body.text()
    assert "1 consultation(s), dont 1 terminée(s)" in today and "Terminée" in today
    assert "1 dossier(s) en attente" in home.panels.panels["billing"].body.text()
    translations = Translations()
    translations.set_language("en")
    try:
        home.retranslate("en")
        assert home.panels.panels["billing"].title.text() == "Billing"
        assert "1 record(s) waiting" in home.panels.panels["billing"].body.text()
        assert "Finished" in home.panels.panels["today"].body.text()
    finally:
        translations.set_language("fr")
    home.clear()
    assert home.panels.panels["today"].body.text() == ""


def test_home_without_overview_keeps_the_single_button(qtbot, intake_service):
    home = HomeScreen(intake_service)
    qtbot.addWidget(home)
    home.on_enter(IntakeContext())
    assert home.panels_scroll.isHidden()
