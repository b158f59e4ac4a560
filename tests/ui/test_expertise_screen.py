"""The télé-expertise screen: photos taken off the UI thread and shown, a request queued with
the selected vitals, errors beside the form, answers shown and printed; every string has its
English translation."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from telecabine.devices.still import simulated_still
from telecabine.services.expertise import ExpertiseService
from telecabine.ui.i18n import I18N_DIR, read_ts
from telecabine.ui.screens.expertise import ExpertiseScreen


def _ctx(store):
    p = store.patients.create(birth_name="MARTIN", first_names="Jeanne",
                              birth_date=date(1948, 5, 12), sex="F")  # fmt: skip
    enc = store.encounters.create("cabine-test")
    store.encounters.attach_patient(enc.id, p.id)
    store.encounters.add_observation(enc.id, code="8310-5", value=38.2, unit="Cel",
                                     method="manual", measured_at=datetime.now(UTC))  # fmt: skip
    return SimpleNamespace(patient_id=p.id, encounter_id=enc.id, staff_id=None,
                           staff_name="Claire Dubois", staff_role="nurse", staff_rpps=None,
                           lang="fr")  # fmt: skip


def test_photo_request_and_answer_flow(qtbot, station_store) -> None:
    printed: list[tuple[bytes, str]] = []
    service = ExpertiseService(station_store, station_id="cabine-test")
    screen = ExpertiseScreen(
        service, capture=lambda role: simulated_still(role), experts=[("derma", "Dr Derma")],
        print_pdf=lambda data, title: printed.append((data, title)),
    )  # fmt: skip
    qtbot.addWidget(screen)
    screen.on_enter(_ctx(station_store))
    assert len(screen._vital_boxes) == 1 and screen._vital_boxes[0].isChecked()
    screen.send_button.click()  # no question yet: refused beside the form, nothing queued
    assert "question" in screen.error.text()
    assert service.recent() == []
    screen.photo_buttons["dermatoscope"].click()
    qtbot.waitUntil(lambda: len(screen._stills) == 1, timeout=10_000)
    assert "3264" in screen.info.text()
    screen.question.setPlainText("Escarre talon droit : stade ?")
    screen.urgent.click()
    screen.send_button.click()
    assert screen.error.text() == ""
    (view,) = service.recent()
    assert view.urgency == "urgent" and view.photos == 1 and view.status == "pending"
    assert screen.requests.count() == 1
    row = station_store.expertise.get(view.request_uuid)
    import json

    assert [v["code"] for v in json.loads(row.payload_json)["vitals"]] == ["8310-5"]
    station_store.expertise.mark_sent(view.request_uuid)
    station_store.expertise.save_answer(
        view.request_uuid,
        {"request_uuid": view.request_uuid, "answered_at": "2026-12-03T10:00:00+00:00",
         "outcome": "answered", "text": "Stade 2.", "expert_name": "Dr Derma",
         "expert_rpps": "10000000009", "acts": [], "rqd_refused": None},
        datetime.now(UTC), b"%PDF-1.4\n%%EOF\n",
    )  # fmt: skip
    screen.refresh()
    screen.requests.setCurrentRow(0)
    assert "Stade 2." in screen.answer.toPlainText()
    assert screen.print_button.isEnabled()
    screen.print_button.click()
    assert printed and printed[0][0].startswith(b"%PDF")
    assert station_store.expertise.get(view.request_uuid).printed_at is not None


def test_a_failed_capture_is_said_not_raised(qtbot, station_store) -> None:
    def broken(role):
        raise RuntimeError("camera gone")

    screen = ExpertiseScreen(ExpertiseService(station_store, station_id="c"), capture=broken)
    qtbot.addWidget(screen)
    screen.on_enter(_ctx(station_store))
    screen.photo_buttons["document"].click()
    qtbot.waitUntil(lambda: screen.error.text() != "", timeout=5_000)
    assert "caméra" in screen.error.text()
    assert all(b.isEnabled() for b in screen.photo_buttons.values())


def test_english_file_covers_every_string_of_the_screen() -> None:
    table = read_ts(I18N_DIR / "expertise_en.ts")
    path = Path(__file__).resolve().parents[2] / "telecabine/ui/screens/expertise.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {ast.get_docstring(n) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module))}  # fmt: skip
    strings = {
        n.value for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
        and any(c.isalpha() for c in n.value) and n.value[:1].isupper()
        and any(c.islower() for c in n.value)
    } - docs - {"ExpertiseScreen", "JPG", "QPushButton:checked { background: #0b5cad; color: white; }"}  # fmt: skip
    known = {src for (ctx, src) in table if ctx == "ExpertiseScreen"}
    assert sorted(s for s in strings - known if "\n" not in s) == []
