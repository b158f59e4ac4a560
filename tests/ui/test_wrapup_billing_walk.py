"""pytest-qt: the wrap-up screen walked like the staff does, for each coverage case, and the
amounts of the billing record actually stored (AMO / AMC / patient / participation forfaitaire).

Act date 2026-03-02: TCG 25.00 EUR, participation forfaitaire 2.00 EUR, TLM 5.00 EUR (750 EUR
a year), TLL 12.00 EUR (shared/design/DOMAIN.md §1; figures in domain/billing/data/tariffs.json).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from wrapup_testlib import T_START, encounter_in_wrap_up

from telecabine.services.billing_ledger import tally_row
from telecabine.services.wrapup import WrapUpService
from telecabine.store.tables import BillingRecordRow
from telecabine.ui.screens.wrapup import EXONERATIONS, NURSE_SETTINGS, ROLES, WrapUpScreen

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
CTX = {"lang": "fr", "staff_name": "Claire Dubois", "staff_role": "pharmacist",
       "staff_rpps": "10000000002"}  # fmt: skip
LEFT = Qt.MouseButton.LeftButton


def _tick(qtbot, box) -> None:
    """Click a check box on its indicator (a stretched box's centre is empty space)."""
    box.ensurePolished()
    qtbot.mouseClick(box, LEFT, pos=QPoint(12, box.height() // 2))


def _with_situation(store, situation: dict | None) -> str:
    eid = encounter_in_wrap_up(store)
    if situation is not None:  # the intake's answers, kept in the draft through the call
        data = {**store.encounters.load_draft(eid).data, "situation": situation}
        store.encounters.save_draft(eid, "call", data, now=T_START)
    return eid


def _billed_tlm(store, amount: str, act_date: str) -> None:
    """An earlier closed encounter of this cabin whose record billed ``amount`` of TLM."""
    eid = encounter_in_wrap_up(store)
    payload = {"station_id": "cabine-test", "act_date": act_date,
               "accompanying": {"role": "pharmacist", "act_code": "TLM", "amount": amount}}  # fmt: skip
    store.encounters.close_consultation(eid, payload, str(uuid.uuid4()), T_START,
                                        tally=tally_row(payload))  # fmt: skip


def _stored(store, record_uuid: str) -> dict:
    with store.read() as s:
        return json.loads(s.get(BillingRecordRow, record_uuid).payload_json)


def _walk_and_close(qtbot, screen, store, eid, *, role="pharmacist", setting=None,
                    in_parcours=None, exoneration=None, has_amc=True):  # fmt: skip
    """Check what must be checked on screen, click the checklist, close; return the record."""
    screen.on_enter({**CTX, "encounter_id": eid})
    assert screen.act_code.currentText() == "TCG"  # from the doctor's summary
    if role != "pharmacist":
        screen.role.setCurrentIndex([k for k, _, _ in ROLES].index(role))
        screen.staff_name.clear()
        qtbot.keyClicks(screen.staff_name, "Marc Infirmier")
    if setting is not None:
        screen.nurse_setting.setCurrentIndex([k for k, _, _ in NURSE_SETTINGS].index(setting))
    if in_parcours is not None and screen.in_parcours.isChecked() != in_parcours:
        _tick(qtbot, screen.in_parcours)
    if exoneration is not None:
        screen.exoneration.setCurrentIndex([k for k, _, _ in EXONERATIONS].index(exoneration))
    if screen.has_amc.isChecked() != has_amc:
        _tick(qtbot, screen.has_amc)
    for box in screen._doc_boxes.values():
        _tick(qtbot, box)  # the prescription was printed
    for box in screen.dis_items.values():
        _tick(qtbot, box)
    preview = screen.preview_label.text() + " | " + screen.eligibility_note.text()
    assert all(b.isChecked() for b in screen.dis_items.values()), screen.error_label.text()
    with qtbot.waitSignal(screen.sig_closed, timeout=10_000) as closed:
        qtbot.mouseClick(screen.close_button, LEFT)
    assert screen.error_label.text() == ""
    record = _stored(store, closed.args[0].record_uuid)
    assert store.encounters.get(eid).state == "closed"
    return record, preview


def _coverage(record) -> tuple[str, str, str, str]:
    c = record["coverage"]
    return c["amo"], c["amc"], c["patient"], c["participation_forfaitaire"]


@pytest.fixture
def screen(qtbot, station_store):
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    w = WrapUpScreen(svc, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()  # clicks land on laid-out, visible widgets like on the kiosk
    qtbot.waitExposed(w)
    return w


def test_adult_in_parcours(qtbot, screen, station_store):
    eid = _with_situation(station_store, {"has_medecin_traitant": False})  # exception: in
    record, preview = _walk_and_close(qtbot, screen, station_store, eid)
    assert "Dans le parcours de soins : patient sans médecin traitant" in preview, preview
    assert record["in_parcours"] is True and record["exoneration"] is None
    assert record["doctor"]["amount"] == "25.00"
    # 70 % AMO = 17.50 minus the 2 EUR participation forfaitaire; 30 % complémentaire.
    assert _coverage(record) == ("15.50", "7.50", "2.00", "2.00")
    assert record["accompanying"] == {**record["accompanying"], "act_code": "TLM",
                                      "amount": "5.00", "role": "pharmacist"}  # fmt: skip
    assert "Assurance Maladie 15,50 €" in preview and "TLM : 5,00 €" in preview


def test_out_of_parcours_hint_from_intake_answers(qtbot, screen, station_store):
    eid = _with_situation(station_store, {"has_medecin_traitant": True,
                                          "orientation_by_medecin_traitant": False})  # fmt: skip
    record, preview = _walk_and_close(qtbot, screen, station_store, eid)
    assert "Hors parcours de soins" in preview, preview
    assert record["in_parcours"] is False
    # Out-of-parcours rate 30 % (data, to confirm): 7.50 - 2.00; the complémentaire covers the
    # usual 30 % only, the penalty is the patient's.
    assert _coverage(record) == ("5.50", "7.50", "12.00", "2.00")


def test_out_of_parcours_without_complementaire(qtbot, screen, station_store):
    eid = _with_situation(station_store, None)
    record, _ = _walk_and_close(qtbot, screen, station_store, eid, in_parcours=False,
                                has_amc=False)  # fmt: skip
    assert _coverage(record) == ("5.50", "0.00", "19.50", "2.00")


def test_ald_prefilled_from_intake(qtbot, screen, station_store):
    eid = _with_situation(station_store, {"has_medecin_traitant": False, "ald": True})
    record, _ = _walk_and_close(qtbot, screen, station_store, eid)
    assert record["exoneration"] == "ald"
    # 100 % AMO, the participation forfaitaire is still due (CSS L160-13).
    assert _coverage(record) == ("23.00", "0.00", "2.00", "2.00")


def test_ehpad_resident_nothing_left_with_nurse_in_dedicated_place(qtbot, screen, station_store):
    eid = _with_situation(station_store, {"ehpad_resident": True})
    record, _ = _walk_and_close(qtbot, screen, station_store, eid, role="nurse",
                                setting="dedicated_place")  # fmt: skip
    assert record["exoneration"] == "ehpad" and record["in_parcours"] is True
    assert _coverage(record) == ("25.00", "0.00", "0.00", "0.00")
    acc = record["accompanying"]
    assert (acc["role"], acc["act_code"], acc["amount"]) == ("nurse", "TLL", "12.00")
    assert acc["staff_name"] == "Marc Infirmier"


def test_pharmacist_tlm_cap_reached(qtbot, screen, station_store):
    _billed_tlm(station_store, "750.00", "2025-12-31")  # last year: does not count
    _billed_tlm(station_store, "747.50", "2026-02-27")
    first = _with_situation(station_store, None)
    record, preview = _walk_and_close(qtbot, screen, station_store, first)
    assert record["accompanying"]["amount"] == "2.50"  # what was left under 750 EUR
    assert "Plafond annuel" in preview and "750,00 €" in preview
    second = _with_situation(station_store, None)
    record2, _ = _walk_and_close(qtbot, screen, station_store, second)
    assert record2["accompanying"]["act_code"] == "TLM"  # still traced, nothing more paid
    assert record2["accompanying"]["amount"] == "0.00"
    assert _coverage(record2) == ("15.50", "7.50", "2.00", "2.00")  # the doctor's act unchanged


def test_coverage_part_in_english_from_the_ts_file(qtbot, screen, station_store, tmp_path):
    import shutil

    from telecabine.ui.i18n import I18N_DIR, Translations

    i18n = tmp_path / "i18n"  # a copy: the build writes .qm next to the .ts
    i18n.mkdir()
    shutil.copy(I18N_DIR / "wrapup_en.ts", i18n)
    translations = Translations(i18n)
    translations.set_language("en")
    try:
        eid = _with_situation(station_store, {"ehpad_resident": True})
        screen.on_enter({**CTX, "encounter_id": eid, "lang": "en"})
        assert screen.cov_box.title() == "Coverage"
        assert screen.exoneration.currentText() == "EHPAD resident (ARS-funded)"
        assert screen.preview_label.text().startswith(
            "Doctor €25.00: Assurance Maladie €25.00, complementary insurance €0.00, "
            "patient €0.00 (including the €0.00 flat contribution). Accompaniment TLM: €5.00."
        )
        assert "Within the coordinated care pathway" in screen.eligibility_note.text()
    finally:
        translations.set_language("fr")


def test_maternity_chosen_by_hand(qtbot, screen, station_store):
    eid = _with_situation(station_store, {"has_medecin_traitant": False})
    record, _ = _walk_and_close(qtbot, screen, station_store, eid, exoneration="maternity")
    assert record["exoneration"] == "maternity"
    assert _coverage(record) == ("25.00", "0.00", "0.00", "0.00")  # no PF in maternity


def test_specialist_act_typed_by_hand_when_no_summary(qtbot, screen, station_store):
    eid = encounter_in_wrap_up(station_store, summary=None)
    screen.on_enter({**CTX, "encounter_id": eid})
    assert "saisissez l'acte" in screen.summary_note.text()
    screen.act_code.setCurrentText("")
    qtbot.keyClicks(screen.act_code.lineEdit(), "tc")
    for widget, text in ((screen.doctor_name, "Dr Ines Garnier"),
                         (screen.doctor_rpps, "10000000007"),
                         (screen.doctor_specialty, "Cardiologie")):  # fmt: skip
        qtbot.keyClicks(widget, text)
    screen.doctor_specialty.editingFinished.emit()
    assert "Médecin 47,73 €" in screen.preview_label.text()
    for box in screen.dis_items.values():
        _tick(qtbot, box)
    with qtbot.waitSignal(screen.sig_closed, timeout=10_000) as closed:
        qtbot.mouseClick(screen.close_button, LEFT)
    record = _stored(station_store, closed.args[0].record_uuid)
    assert record["doctor"] == {**record["doctor"], "act_code": "TC", "amount": "47.73",
                                "name": "Dr Ines Garnier", "rpps": "10000000007"}  # fmt: skip
    # 70 % of 47.73 = 33.411 -> 33.41, minus 2.00 PF; the complémentaire pays the rest of 30 %.
    assert _coverage(record) == ("31.41", "14.32", "2.00", "2.00")
