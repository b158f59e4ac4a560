"""pytest-qt: the wrap-up screen on a real station store, from the doctor's summary to closing."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.sync_outbox import StoreOutbox
from telecabine.services.wrapup import WrapUpService
from telecabine.sync.status import SyncProblem, SyncStatus
from telecabine.ui.screens.wrapup import WrapUpScreen
from telecabine.ui.widgets.sync_status import SyncStatusWidget

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
CTX = {"encounter_id": None, "lang": "fr", "staff_name": "Claire Dubois",
       "staff_role": "pharmacist", "staff_rpps": "10000000002"}  # fmt: skip


def _screen(qtbot, store, woken):
    svc = WrapUpService(store, station_id="cabine-test", clock=lambda: NOW,
                        on_closed=woken.append)  # fmt: skip
    screen = WrapUpScreen(svc, clock=lambda: NOW)
    qtbot.addWidget(screen)
    return screen


def test_prefilled_from_summary_refuses_without_disinfection_then_closes(qtbot, station_store):
    eid = encounter_in_wrap_up(station_store)
    woken: list = []
    screen = _screen(qtbot, station_store, woken)
    screen.on_enter({**CTX, "encounter_id": eid})
    assert screen.act_code.currentText() == "TCG"
    assert screen.doctor_name.text() == "Dr Paul Lefèvre"
    assert "résumé du médecin" in screen.summary_note.text()
    [doc_box] = screen._doc_boxes.values()
    assert doc_box.text() == "ordonnance.pdf" and not doc_box.isChecked()

    with qtbot.assertNotEmitted(screen.sig_next):
        qtbot.mouseClick(screen.close_button, Qt.MouseButton.LeftButton)
    assert "désinfection" in screen.error_label.text()
    assert station_store.encounters.get(eid).state == "wrap_up"
    assert StoreOutbox(station_store).counts().pending == 0

    doc_box.setChecked(True)
    for cb in screen.dis_items.values():
        cb.setChecked(True)
    with qtbot.waitSignal(screen.sig_next, timeout=10_000):
        qtbot.mouseClick(screen.close_button, Qt.MouseButton.LeftButton)
    assert station_store.encounters.get(eid).state == "closed"
    assert StoreOutbox(station_store).counts().pending == 1
    assert len(woken) == 1 and woken[0].payload["doctor"]["act_code"] == "TCG"
    kinds = {d.kind: d for d in station_store.encounters.documents(eid)}
    assert kinds["prescription"].printed_at is not None
    assert kinds["record"].content.startswith(b"%PDF")

    screen.clear()  # next patient: nothing of this one remains
    assert screen.doctor_name.text() == "" and screen._doc_boxes == {}
    assert screen.error_label.text() == ""


def test_manual_act_when_no_summary_and_english(qtbot, station_store):
    eid = encounter_in_wrap_up(station_store, summary=None)
    screen = _screen(qtbot, station_store, [])
    screen.on_enter({**CTX, "encounter_id": eid, "lang": "en"})
    assert screen.outcome.itemText(0) == "Prescription"  # "Ordonnance" in French
    assert screen.dis_items["surfaces"].text() == "Surfaces and armrests disinfected"
    assert screen.doctor_name.text() == ""
    screen.act_code.setCurrentText("")
    for cb in screen.dis_items.values():
        cb.setChecked(True)
    assert screen.close_encounter() is None
    assert screen.error_label.text() == "Enter the doctor's act (e.g. TCG)."
    screen.act_code.setCurrentText("TCG")
    screen.doctor_name.setText("Dr Anne Roux")
    screen.doctor_rpps.setText("10000000003")
    screen.role.setCurrentIndex(1)  # nurse
    assert screen.nurse_setting.isEnabled()
    screen.nurse_setting.setCurrentIndex(2)  # home visit
    closed = screen.close_encounter()
    assert closed is not None and closed.payload["accompanying"]["act_code"] == "TLD"


def test_sync_status_widget_words_and_state(qtbot):
    w = SyncStatusWidget(lang="fr", clock=lambda: NOW)
    qtbot.addWidget(w)
    assert w.text() == "Facturation à jour." and w.state == "ok"
    with qtbot.waitSignal(w.sig_attention):
        w.set_status(SyncStatus(pending=3, stopped=True,
                                last_problem=SyncProblem("unauthorized", NOW)))  # fmt: skip
    assert w.state == "stopped"
    assert "3 enregistrements en attente" in w.text() and "jeton" in w.text()
    w.retranslate("en")
    assert "3 records waiting" in w.text() and "token" in w.text()


def test_english_strings_come_from_the_ts_file(qtbot, station_store, tmp_path):
    import shutil

    from telecabine.ui.i18n import I18N_DIR, Translations

    i18n = tmp_path / "i18n"  # a copy: the build writes .qm next to the .ts
    i18n.mkdir()
    shutil.copy(I18N_DIR / "wrapup_en.ts", i18n)
    translations = Translations(i18n)
    translations.set_language("en")
    try:
        eid = encounter_in_wrap_up(station_store)
        screen = _screen(qtbot, station_store, [])
        screen.on_enter({**CTX, "encounter_id": eid, "lang": "en"})
        assert screen.title.text() == "End of consultation"
        assert screen.close_button.text() == "Close the consultation"
        assert screen.summary_note.text() == "Act taken from the doctor's summary: check it."
    finally:
        translations.set_language("fr")
    screen.retranslate("fr")
    assert screen.title.text() == "Fin de consultation"
