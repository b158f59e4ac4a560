"""The insecure-key banner (issue 9 item 1): above every page, French then English at run time."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from telecabine.ui.i18n import Translations
from telecabine.ui.main_window import MainWindow


def test_key_warning_banner_stays_over_every_page_and_translates(qtbot):
    window = MainWindow("Cabine test")
    translations = Translations()
    window.set_language_hook(translations.set_language)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    banner = window.key_warning_banner
    assert not banner.isVisible()  # secure keyring: nothing to say
    window.show_key_warning(True)
    assert banner.isVisible() and "fichier non protégé" in banner.text()
    page = QLabel("verrou")
    window.add_page(page)
    window.show_page(page)  # the lock / sign-in pages replace the flow, not the banner
    assert banner.isVisible() and page.isVisible()
    assert banner.geometry().bottom() <= page.mapTo(window, page.rect().topLeft()).y()
    try:
        window.set_language("en")
        assert "unprotected file" in banner.text() and "real patients" in banner.text()
        assert banner.accessibleName() == "Security warning"
    finally:
        translations.set_language("fr")
    window.show_key_warning(False)
    assert not banner.isVisible()
