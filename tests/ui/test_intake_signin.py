"""Staff sign-in (first run), lockout, idle auto-lock hiding patient data, next patient."""

from __future__ import annotations

from datetime import timedelta

import pytest

from telecabine.store.clock import utc_now

PIN = "482913"


@pytest.fixture
def shell(qtbot, station_store, intake_service):
    from telecabine.services.staff import StaffService
    from telecabine.ui.shell import StationShell

    shell = StationShell(
        cabin_name="Cabine test",
        lang="fr",
        intake=intake_service,
        staff=StaffService(station_store),
        idle_lock_seconds=120,
    )
    qtbot.addWidget(shell.window)
    shell.window.resize(1280, 800)
    shell.window.show()
    shell.start()
    yield shell
    shell.close()


def _first_run(qtbot, shell):
    page = shell.signin
    assert page.first_run and shell.window.pages.currentWidget() is page
    qtbot.keyClicks(page.login, "anne")
    qtbot.keyClicks(page.display_name, "Anne Martin")
    for digit in PIN:  # the on-screen keypad
        page.pad.keys[digit].click()
    qtbot.keyClicks(page.pin_again, PIN)
    page.submit.click()
    assert shell.window.pages.currentWidget() is shell.window.flow_page, page.error.text()


def test_first_run_creates_admin_and_signs_in(qtbot, shell):
    _first_run(qtbot, shell)
    assert shell.window.current_name == "home"
    assert shell.window.staff_label.text() == "Anne Martin"
    assert shell.window.context.staff_name == "Anne Martin"
    for key in shell.signin.pad.keys.values():
        assert key.minimumHeight() >= 48 and key.accessibleName()


def test_idle_lock_hides_patient_data_and_pin_unlocks(qtbot, shell):
    _first_run(qtbot, shell)
    shell.home.start_button.click()
    qtbot.keyClicks(shell.patient.inputs["birth_name"], "DUPONT")
    assert shell.patient.isVisible()
    assert shell.session.tick(now=utc_now() + timedelta(seconds=121))
    assert shell.window.pages.currentWidget() is shell.lock
    assert not shell.patient.isVisible() and not shell.window.flow_page.isVisible()
    qtbot.keyClicks(shell.lock.pin, "000000")
    shell.lock.unlock_button.click()
    assert shell.lock.error.text() and shell.window.pages.currentWidget() is shell.lock
    for digit in PIN:
        shell.lock.pad.keys[digit].click()
    shell.lock.unlock_button.click()
    assert shell.window.pages.currentWidget() is shell.window.flow_page
    assert shell.patient.inputs["birth_name"].text() == "DUPONT"  # work in progress kept


def test_lockout_after_five_failures_says_so(qtbot, shell):
    _first_run(qtbot, shell)
    shell.window.lock_button.click()
    shell.lock.switch_button.click()  # someone else: back to the sign-in page
    page = shell.signin
    assert shell.window.pages.currentWidget() is page and not page.first_run
    for _ in range(5):
        page.login.setText("anne")
        page.pin.setText("111999")
        page.submit.click()
    assert "verrouillé" in page.error.text().lower()
    page.login.setText("anne")
    page.pin.setText(PIN)  # right PIN, still locked for a while
    page.submit.click()
    assert shell.window.pages.currentWidget() is page


def test_next_patient_clears_every_screen(qtbot, shell, station_store):
    _first_run(qtbot, shell)
    shell.home.start_button.click()
    encounter_id = shell.window.context.encounter_id
    qtbot.keyClicks(shell.patient.inputs["birth_name"], "DUPONT")
    shell.patient.checks["emergency"].setChecked(True)
    shell.window.next_patient_button.click()
    assert shell.window.current_name == "home"
    assert shell.patient.inputs["birth_name"].text() == ""
    assert not shell.patient.checks["emergency"].isChecked()
    assert shell.window.context.encounter_id is None
    assert shell.window.context.staff_name == "Anne Martin"  # the staff stays signed in
    encounter = station_store.encounters.get(encounter_id)
    assert encounter.state == "abandoned" and encounter.abandon_reason == "staff_cancelled"


def test_admin_creates_an_account_and_resets_its_pin(qtbot, shell):
    _first_run(qtbot, shell)
    assert shell.window.staff_admin_button.isVisibleTo(shell.window)
    shell.window.staff_admin_button.click()
    page = shell.staff_admin
    assert shell.window.pages.currentWidget() is page
    page.login.setText("bruno")
    page.name.setText("Bruno Petit")
    page.role.setCurrentIndex(page.role.findData("nurse"))
    page.rpps.setText("10003456789")
    page.pin.setText("1234")  # too short: refused with the service's message
    page.create_button.click()
    assert page.accounts.count() == 1 and page.message.text()
    page.pin.setText("385920")
    page.create_button.click()
    assert page.accounts.count() == 2, page.message.text()
    row = next(i for i in range(2) if "bruno" in page.accounts.item(i).text())
    page.accounts.setCurrentRow(row)
    page.reset_pin.setText("720461")
    page.reset_button.click()
    assert "provisoire" in page.message.text()
    page.close_button.click()
    shell.window.lock_button.click()
    shell.lock.switch_button.click()
    shell.signin.login.setText("bruno")
    shell.signin.pin.setText("720461")
    shell.signin.submit.click()
    assert shell.window.staff_label.text() == "Bruno Petit"
    assert not shell.window.staff_admin_button.isVisibleTo(shell.window)  # not an admin
