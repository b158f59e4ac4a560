"""The appointments screen against a real hub on the qasync loop: doctors listed, a booking
with an invited doctor sends the link and the code (aiosmtpd), the day view shows it, and an
unreachable hub is said plainly with the form kept."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiosmtpd.controller import Controller
from PySide6.QtCore import QDate, QTime
from qasync import QEventLoop

from telecabine.hub.config import HubSettings
from telecabine.hub.server import create_doctor, register_station, start_hub
from telecabine.hub.state import HUB
from telecabine.services.appointments import AppointmentsService
from telecabine.sync.appointments_client import AppointmentsClient
from telecabine.ui.screens.appointments import AppointmentsScreen


@pytest.fixture
def loop(qapp):
    loop = QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()  # SPIKES: an unclosed qasync loop aborts the interpreter at exit
    asyncio.set_event_loop(None)


class Inbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _wait(loop, cond, timeout: float = 10.0) -> None:
    """Run the qasync loop until ``cond()`` holds (the screen's hub calls are tasks on it)."""

    async def poll() -> None:
        deadline = loop.time() + timeout
        while not cond():
            assert loop.time() < deadline, "condition not reached in time"
            await asyncio.sleep(0.05)

    loop.run_until_complete(poll())


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_book_with_an_invited_doctor_and_offline(loop, qtbot, tmp_path) -> None:
    inbox, smtp_port = Inbox(), _port()
    relay = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    relay.start()
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0,
        public_url="https://hub.example.org", invite_smtp_host="127.0.0.1",
        invite_smtp_port=smtp_port, invite_smtp_security="none",
    )  # fmt: skip
    hub = loop.run_until_complete(start_hub(settings, host="127.0.0.1"))
    try:
        engine = hub.app[HUB].engine
        loop.run_until_complete(create_doctor(
            engine, username="dr.paris", password="correct-horse-battery", name="Dr Alice Paris",
            rpps="10000000001", specialty="Médecine générale"))  # fmt: skip
        token = loop.run_until_complete(register_station(engine, "cabine-1"))
        service = AppointmentsService(AppointmentsClient(hub.url, token))
        screen = AppointmentsScreen(service)
        qtbot.addWidget(screen)
        screen.on_enter(None)
        _wait(loop, lambda: screen.f_doctor.count() == 1)
        tomorrow = QDate.currentDate().addDays(1)
        screen.f_date.setDate(tomorrow)
        screen.f_time.setTime(QTime(10, 30))
        screen.f_invite.setChecked(True)
        screen.f_invited_name.setText("Dr Anne Durand")
        screen.f_invited_email.setText("anne.durand@medecin.mssante.fr")
        screen.f_reason.setText("Suivi escarre")
        screen.f_patient.setText("Mme M. J., ch. 12B")
        screen.book_button.click()
        _wait(loop, lambda: "Invitation" in screen.message.text())
        assert inbox.count == 2  # the link, then the code
        _wait(loop, lambda: screen.list.count() == 1
              and "Suivi escarre" in screen.list.item(0).text())  # fmt: skip
        assert "10:30 (heure de Paris)" in screen.list.item(0).text()
        loop.run_until_complete(service.close())
        offline = AppointmentsScreen(
            AppointmentsService(AppointmentsClient("http://127.0.0.1:9", token))
        )
        qtbot.addWidget(offline)
        offline.f_reason.setText("Gardé")
        offline.book_button.click()
        _wait(loop, lambda: "injoignable" in offline.message.text())
        assert offline.f_reason.text() == "Gardé"
    finally:
        loop.run_until_complete(hub.stop())
        relay.stop()


def test_english_file_covers_every_string_of_the_screen() -> None:
    import ast
    from pathlib import Path

    from telecabine.ui.i18n import I18N_DIR, read_ts

    table = read_ts(I18N_DIR / "appointments_en.ts")
    path = Path(__file__).resolve().parents[2] / "telecabine/ui/screens/appointments.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {ast.get_docstring(n) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))}  # fmt: skip
    calls = {
        n.args[1].value for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_T"
        and len(n.args) == 2 and isinstance(n.args[1], ast.Constant)
    }  # fmt: skip
    labels = {
        n.value for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value[:1].isupper()
        and any(c.islower() for c in n.value) and "\n" not in n.value
    } - docs - {"AppointmentsScreen"}  # fmt: skip
    known = {src for (ctx, src) in table if ctx == "AppointmentsScreen"}
    assert sorted((calls | labels) - known) == []
