"""The soak's station: ``telecabine demo`` as the CLI builds it, in a real window, driven.

``python -m bench.soak_station DATA_DIR HUB_URL STATION_TOKEN`` runs ``telecabine demo`` (the
real CLI entry: shell, intake, equipment, vitals, call, wrap-up, sync worker, simulated
devices) with two changes made from here and nowhere in the product:

- the demo's in-process hub is replaced by the soak's hub (``HUB_URL``, ``STATION_TOKEN``), so
  the station process holds the station only (its memory is the station's memory);
- a driver (coroutines on the station's own qasync loop) works the real widgets like the staff
  does: it reads one command a line on stdin and writes ``SOAK <event> ...`` lines on stdout.

Commands: ``encounter`` (home → patient form → consent → summary → equipment → a vitals
measurement → call screen, which announces the call; prints ``SOAK announced <id>``; once the
doctor ends the call, the wrap-up checklist is ticked and closed: ``SOAK closed <id> <uuid>``,
then ``SOAK home``), ``cut <seconds>`` (no UDP in or out of the station's ICE sockets for that
long, as a pulled cable would), ``quit`` (closes the window). Whenever the doctor asks for a
measurement during a call, the "pharmacist" presses the call screen's measure button
(``SOAK prompt <n>``). ``cut`` and ``end_call`` (the staff presses "end" at the cabin) act at
once, even while ``encounter`` waits for the call to end. No patient data is printed: encounter ids and record uuids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

import telecabine.demo as demo_module
import telecabine.ui.shell as shell_module
from telecabine.cli import main

FORM = {"birth_name": "SOAK", "first_names": "Paul", "birth_date": "12/05/1984",
        "birth_place_insee": "75123", "nir": "184057512345625"}  # fmt: skip
STAFF_RPPS = "10000000002"  # the demo pharmacist's wrap-up needs an RPPS (test value)
LEFT = Qt.MouseButton.LeftButton
WAIT_CALL_END_S = 4 * 3600  # the long call's upper bound (the parent ends it much sooner)


def say(*parts: object) -> None:
    """One line for the parent (flushed at once)."""
    print("SOAK", *parts, flush=True)


async def _soak_hub(_settings, port: int = 0):
    """The soak's hub instead of the demo's in-process one (same return type)."""

    class _Elsewhere:
        async def stop(self) -> None:
            return None

    return demo_module.DemoHub(_Elsewhere(), sys.argv[2], "", "", sys.argv[3])


async def until(predicate, timeout: float, what: str, every: float = 0.1):
    """Await ``predicate()`` becoming truthy (bounded in time); raise with ``what`` if not."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(every)
    return value


class Driver:
    """Works the real station widgets from the commands the parent writes on stdin."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.window = shell.window
        self.loop = asyncio.get_running_loop()
        self.tasks: set[asyncio.Task] = set()
        self.prompts = 0
        self.observations = 0
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def start(self) -> None:
        """Read stdin in a thread; run commands one after the other on the loop."""
        threading.Thread(target=self._read, name="soak-stdin", daemon=True).start()
        self._spawn(self._commands())
        self._spawn(self._pharmacist())

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            say("driver_error", type(exc).__name__, str(exc)[:200].replace("\n", " "))

    def _read(self) -> None:
        for line in sys.stdin:
            cmd, *args = line.split() or [""]
            # At once, even while ``encounter`` waits for the call to end:
            if cmd == "end_call":
                self.loop.call_soon_threadsafe(self._end_call)
            elif cmd == "cut":
                self.loop.call_soon_threadsafe(self._spawn, self.cut(float(args[0])))
            else:
                self.loop.call_soon_threadsafe(self.queue.put_nowait, line.strip())
        self.loop.call_soon_threadsafe(self.queue.put_nowait, "quit")

    def on(self, name: str) -> bool:
        w = self.window
        return w.current_name == name and w.pages.currentWidget() is w.flow_page

    async def _commands(self) -> None:
        while True:
            cmd = ((await self.queue.get()).split() or [""])[0]
            try:
                if cmd == "encounter":
                    await self.encounter()
                elif cmd == "quit":
                    self.window.close()
                    return
            except Exception as exc:  # reported to the parent; the next command still runs
                # (no traceback printed: the soak counts the station's own tracebacks)
                say("driver_error", cmd, type(exc).__name__, str(exc)[:200].replace("\n", " "))

    async def encounter(self) -> None:
        """One patient from the home page to the wrap-up closed and home again."""
        shell, window = self.shell, self.window
        await until(lambda: self.on("home"), 30, "home page")
        QTest.mouseClick(shell.home.start_button, LEFT)
        await until(lambda: self.on("patient"), 15, "patient form")
        patient = shell.patient
        for name, text in FORM.items():
            patient.inputs[name].clear()
            QTest.keyClicks(patient.inputs[name], text)
        patient.inputs["sex"].setCurrentIndex(patient.inputs["sex"].findData("M"))
        patient.reason.clear()
        QTest.keyClicks(patient.reason, "Toux")
        await until(patient.next_button.isEnabled, 10, "patient form valid")
        QTest.mouseClick(patient.next_button, LEFT)
        await until(lambda: self.on("consent"), 15, "consent")
        QTest.mouseClick(shell.consent.agree_button, LEFT)
        await until(lambda: self.on("summary"), 15, "summary")
        QTest.mouseClick(shell.summary.next_button, LEFT)
        await until(lambda: self.on("equipment"), 15, "equipment")
        await asyncio.sleep(1.0)  # the check opens the cameras and microphones, then on
        window.screens["equipment"].sig_next.emit()
        await until(lambda: self.on("measurement"), 15, "vitals")
        vitals = window.screens["measurement"]
        before = self.observations
        vitals.sig_observations.connect(self._observed)
        try:
            QTest.mouseClick(vitals.measure_button, LEFT)
            await until(lambda: self.observations > before, 30, "a vitals measurement")
        finally:
            vitals.sig_observations.disconnect(self._observed)
        for _ in range(12):  # "next" walks the remaining measurement steps, then leaves
            if self.on("call"):
                break
            QTest.mouseClick(vitals.next_button, LEFT)
            await asyncio.sleep(0.2)
        await until(lambda: self.on("call"), 15, "call screen")
        consultation = window.screens["call"].consultation
        await until(lambda: consultation.call is not None and consultation.call.state == "waiting",
                    30, "call announced")  # fmt: skip
        eid = window.context.encounter_id
        say("announced", eid)
        await until(lambda: self.on("wrapup"), WAIT_CALL_END_S, "wrap-up", every=0.5)
        await self.wrap_up(eid)
        await until(lambda: self.on("home"), 30, "home after the wrap-up")
        say("home")

    def _observed(self, observations) -> None:
        self.observations += len(observations) or 1

    async def wrap_up(self, eid: str) -> None:
        """Tick what the staff ticks (documents printed, checklist) and close."""
        screen = self.window.screens["wrapup"]
        await asyncio.sleep(0.3)
        if not screen.staff_rpps.text():
            QTest.keyClicks(screen.staff_rpps, STAFF_RPPS)
        if not screen.doctor_name.text():  # the doctor's summary never arrived: staff types it
            say("doctor_typed", eid)
            for field, text in ((screen.doctor_name, "Dr Bench"), (screen.doctor_rpps, "10000000001"),
                                (screen.doctor_specialty, "Médecine générale")):  # fmt: skip
                field.clear()
                QTest.keyClicks(field, text)
        for box in [*screen._doc_boxes.values(), *screen.dis_items.values()]:
            if not box.isChecked():
                box.ensurePolished()
                QTest.mouseClick(box, LEFT, pos=QPoint(12, box.height() // 2))
        closed: list[str] = []

        def on_closed(c) -> None:
            closed.append(str(getattr(c, "record_uuid", "") or getattr(c, "uuid", "")))

        screen.sig_closed.connect(on_closed)
        try:
            QTest.mouseClick(screen.close_button, LEFT)
            try:
                await until(lambda: closed, 30, "wrap-up closed")
            except TimeoutError:
                say("wrapup_error", eid, screen.error_label.text()[:200].replace("\n", " "))
                raise
        finally:
            with contextlib.suppress(RuntimeError):
                screen.sig_closed.disconnect(on_closed)
        say("closed", eid, closed[0])

    def _end_call(self) -> None:
        """The staff ends the call from the cabin (the doctor's end never arrived)."""
        if self.on("call"):
            say("end_button")
            QTest.mouseClick(self.window.screens["call"].end_button, LEFT)

    async def _pharmacist(self) -> None:
        """During a call, the doctor's measurement request is answered by pressing measure."""
        while True:
            await asyncio.sleep(0.3)
            if not self.on("call"):
                continue
            screen = self.window.screens["call"]
            button = screen.measure_button
            if not screen.prompt.isHidden() and button.isVisible() and button.isEnabled():
                QTest.mouseClick(button, LEFT)
                self.prompts += 1
                say("prompt", self.prompts)
                await asyncio.sleep(1.0)

    async def cut(self, seconds: float) -> None:
        """No UDP through aioice (media and ICE checks) for ``seconds``: a pulled cable."""
        from aioice import ice

        proto = ice.StunProtocol
        originals = (proto.send_data, proto.send_stun, proto.datagram_received)

        async def send_data(self_, data, addr):
            return None

        def send_stun(self_, message, addr):
            return None

        def received(self_, data, addr):
            return None

        proto.send_data, proto.send_stun, proto.datagram_received = send_data, send_stun, received
        say("cut_on", seconds)
        try:
            await asyncio.sleep(seconds)
        finally:
            proto.send_data, proto.send_stun, proto.datagram_received = originals
            say("cut_off")


_original_start = shell_module.StationShell.start


def _start(self) -> None:
    _original_start(self)
    Driver(self).start()
    say("driver_ready")


if __name__ == "__main__":
    demo_module.start_demo_hub = _soak_hub
    shell_module.StationShell.start = _start
    raise SystemExit(main(["demo", "--data-dir", sys.argv[1]]))
