"""Soak: one long call with everything that goes wrong in a day, then many encounters in a row.

The station is the one ``telecabine demo`` builds (real CLI entry, real Qt window on an Xvfb
display, simulated devices), run as a subprocess (``bench/soak_station.py``) pointed at a real
hub on 127.0.0.1 in this process; the driver inside it works the real widgets. The doctor is
the real console in Debian Chromium (Playwright). Both cores are loaded by ``stress-ng --cpu 2``
for the whole run.

1. The long call (``SOAK_CALL_S`` seconds; 1800 by default, 300 with ``--quick``), with, spread
   over it: console reloads, network cuts of 5–15 s (the doctor's page offline *and* no UDP at
   the station), camera switches, measurement requests (answered by the "pharmacist" at the
   station) and documents (rendered by the hub, sent, printed). Counts scale with the duration
   (full run: 20 / 10 / 100 / 50 / 20).
2. Encounters in a row (``SOAK_ENCOUNTERS``; 50 by default, 10 with ``--quick``): intake →
   vitals → call (one measurement request) → wrap-up closed → next patient.

Recorded: station crashes (exit code, "Fatal Python error"), Python tracebacks (stderr and the
station's log files), the station's RSS every 10 s (growth from the end of the warm-up, minute
5 of the long call, to its end), open fds and threads at the end, billing records closed at
the station against those the hub holds. Value = station RSS at the end of the long call;
anchor = RSS at the end of the warm-up, same run (ratio 1.03 = 3 % growth).

Run: ``uv run python -m bench soak`` (``--quick``: 5 min call). CI runs a 60 s call with 3
encounters, without stress (tests/integration/test_bench_soak.py). ``SOAK_STRESS_WORKERS``
sets the stress-ng workers (2 by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.call_harness import cpu_stress, launch_browser, load_average, running_hub
from bench.call_harness import sign_in_console as _sign_in
from bench.common import write_result

STATION_ID = "cabine-demo"  # the demo station's id (settings default)
FULL = {"reloads": 20, "cuts": 10, "switches": 100, "measures": 50, "documents": 20}
FULL_CALL_S = 1800.0
TRACEBACK = "Traceback (most recent call last)"
INBOUND_JS = """async () => { const c = window.__telecabineCall;
  if (!c || !c.state.pc) return 0; let n = 0;
  (await c.state.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video')
    n = s.framesDecoded || 0; }); return n; }"""


CHANNEL_JS = """() => { const c = window.__telecabineCall; const s = c && c.state;
  return s ? `channel ${s.channel ? s.channel.readyState : 'none'}, pc ${s.pc ? s.pc.connectionState : 'none'}, hello ${!!s.hello}` : 'no call'; }"""


@dataclass
class Plan:
    """How long and how much."""

    call_s: float
    encounters: int
    warmup_s: float
    counts: dict[str, int]


def plan(quick: bool) -> Plan:
    """Durations from ``SOAK_CALL_S`` / ``SOAK_ENCOUNTERS`` (else full or ``--quick``)."""
    call_s = float(os.environ.get("SOAK_CALL_S") or (300 if quick else FULL_CALL_S))
    encounters = int(os.environ.get("SOAK_ENCOUNTERS") or (10 if quick else 50))
    if call_s < 45 or encounters < 1:
        raise ValueError("SOAK_CALL_S must be >= 45 and SOAK_ENCOUNTERS >= 1")
    scale = call_s / FULL_CALL_S
    counts = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    # Minute 5 of the full call; a fifth of a shorter one.
    warmup_s = 300.0 if call_s >= 900 else call_s / 5
    return Plan(call_s, encounters, warmup_s, counts)


@dataclass
class Station:
    """The station subprocess and what it said."""

    proc: asyncio.subprocess.Process
    stderr_path: Path
    events: list[tuple[float, list[str]]] = field(default_factory=list)
    waiters: list[tuple[str, asyncio.Future]] = field(default_factory=list)
    reader: asyncio.Future | None = None

    async def read_stdout(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            text = line.decode(errors="replace").strip()
            if not text.startswith("SOAK "):
                continue
            parts = text.split()[1:]
            self.events.append((time.monotonic(), parts))
            for kind, fut in list(self.waiters):
                if parts and parts[0] == kind and not fut.done():
                    fut.set_result(parts)
                    self.waiters.remove((kind, fut))

    def expect(self, kind: str) -> asyncio.Future:
        """A future resolved by the next ``SOAK <kind> ...`` line."""
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((kind, fut))
        return fut

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()

    def count(self, kind: str) -> int:
        return sum(1 for _, p in self.events if p and p[0] == kind)


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    """An Xvfb display of its own (``-displayfd``: the server picks a free number)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb missing: apt-get install xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"


async def _start_station(tmp: Path, hub, display: str) -> Station:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "TELECABINE_INSECURE_FILE_KEYRING": "1", "TELECABINE_STATION_ID": STATION_ID,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # fmt: skip
    env.pop("TELECABINE_QUIT_AFTER_S", None)
    stderr_path = tmp / "station.stderr"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.soak_station", str(tmp / "station"), hub.url,
        hub.station_token, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=stderr_path.open("wb"), env=env, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    station = Station(proc, stderr_path)
    ready = station.expect("driver_ready")
    station.reader = asyncio.ensure_future(station.read_stdout())
    exited = asyncio.ensure_future(proc.wait())
    await asyncio.wait([ready, exited], timeout=300, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        tail = stderr_path.read_text(errors="replace")[-2000:]
        if proc.returncode is None:
            proc.kill()
        raise RuntimeError(f"station not ready (exit code {proc.returncode}): {tail}")
    return station


async def _sample(station: Station, samples: list[dict[str, Any]], t0: float) -> None:
    """RSS (and fds, threads) of the station every 10 s."""
    p = psutil.Process(station.proc.pid)
    while True:
        with contextlib.suppress(psutil.Error):
            samples.append({"t_s": round(time.monotonic() - t0, 1),
                            "rss_mb": round(p.memory_info().rss / 2**20, 1),
                            "fds": p.num_fds(), "threads": p.num_threads()})  # fmt: skip
        await asyncio.sleep(10)


def _progress(*parts: object) -> None:
    """Progress on stderr (a long run is watched with ``tail -f``)."""
    print(time.strftime("%H:%M:%S"), "soak:", *parts, file=sys.stderr, flush=True)


async def _until(predicate, timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return True
        await asyncio.sleep(every)
    return False


async def _video_flows(page, timeout: float) -> bool:
    """The console decodes new cabin frames (the count grows) within ``timeout``."""
    first = await page.evaluate(INBOUND_JS)

    async def grows():
        return (await page.evaluate(INBOUND_JS)) > first + 5

    return await _until(grows, timeout)


class Doctor:
    """The console actions, each bounded in time; failures are counted, not raised."""

    def __init__(self, page, context, station: Station) -> None:
        self.page, self.context, self.station = page, context, station
        self.done: dict[str, int] = {}
        self.failed: dict[str, list[str]] = {}
        self.recovery_s: dict[str, list[float]] = {"reload": [], "cut": []}
        self.roles: list[str] = []
        self.kinds: list[str] = []
        self.n = 0

    def _ok(self, what: str, ok: bool, why: str = "") -> None:
        if ok:
            self.done[what] = self.done.get(what, 0) + 1
        else:
            self.failed.setdefault(what, []).append(why or "timeout")

    async def take(self, eid: str) -> None:
        row = self.page.locator(f"tr[data-encounter='{eid}']")
        await row.wait_for(timeout=30_000)
        await row.get_by_role("button").click()
        await self.page.wait_for_selector("#call-view:visible", timeout=20_000)
        if not await _video_flows(self.page, 30):
            raise RuntimeError("no cabin video after the take")

    async def act(self, what: str, rng: random.Random) -> None:
        try:
            await asyncio.wait_for(getattr(self, what)(rng), 90)
        except Exception as exc:
            self._ok(what, False, f"{type(exc).__name__}: {str(exc)[:120]}")

    async def reload(self, _rng) -> None:
        t = time.monotonic()
        await self.page.reload()
        await self.page.wait_for_selector("#call-view:visible", timeout=30_000)
        ok = await _video_flows(self.page, 45)
        if ok:
            self.recovery_s["reload"].append(round(time.monotonic() - t, 1))
        self._ok("reload", ok, "no video after the reload")

    async def cut(self, rng) -> None:
        seconds = rng.uniform(5, 15)
        off = self.station.expect("cut_off")
        await self.context.set_offline(True)
        await self.station.send(f"cut {seconds:.1f}")
        try:
            await asyncio.sleep(seconds)
        finally:
            await self.context.set_offline(False)
        await asyncio.wait_for(off, 10)
        t = time.monotonic()
        ok = await _video_flows(self.page, 60)
        if ok:
            self.recovery_s["cut"].append(round(time.monotonic() - t, 1))
        self._ok("cut", ok, "no video 60 s after the cut")

    async def _buttons(self) -> None:
        """The cameras and measurements the console offers (after the cabin's hello)."""
        if not self.roles:
            self.roles = await self.page.eval_on_selector_all(
                "button[data-role]", "els => els.map((e) => e.dataset.role)")  # fmt: skip
        if not self.kinds:
            self.kinds = await self.page.eval_on_selector_all(
                "button[data-kind]", "els => els.map((e) => e.dataset.kind)")  # fmt: skip
        if not self.roles or not self.kinds:
            channel = await self.page.evaluate(CHANNEL_JS)
            raise RuntimeError(f"console shows no camera or measurement buttons ({channel})")

    async def switch(self, _rng) -> None:
        await self._buttons()
        live = await self.page.locator(".tc-live").get_attribute("data-role")
        choices = [r for r in self.roles if r != live] or self.roles
        role = choices[self.n % len(choices)]
        self.n += 1
        await self.page.click(f"button[data-role='{role}']", timeout=10_000)
        ok = await _until(lambda: self._live_is(role), 15)
        self._ok("switch", ok, f"{role} not live")

    async def _live_is(self, role: str) -> bool:
        return (await self.page.locator(".tc-live").get_attribute("data-role")) == role

    async def _tab(self, key: str) -> None:
        """The console's side panel is in tabs (Patient / Échanges / Ordonnance / Fin)."""
        tab = self.page.locator(f"button[data-tab='{key}']")
        if await tab.count():
            await tab.click(timeout=10_000)

    async def measure(self, _rng) -> None:
        await self._buttons()
        await self._tab("exchange")
        kind = self.kinds[self.n % len(self.kinds)]
        self.n += 1
        before = self.station.count("prompt")
        await self.page.click(f"button[data-kind='{kind}']", timeout=10_000)
        ok = await _until(lambda: self.station.count("prompt") > before, 20)
        if ok:  # the measured value reaches the console's vitals list
            ok = await _until(lambda: self.page.locator("li.tc-vital").count(), 30)
        self._ok("measure", ok, f"{kind} not answered")

    async def document(self, _rng) -> None:
        page = self.page
        await self._tab("document")
        await page.evaluate("document.querySelector('.tc-doc-info').textContent = ''")
        await page.fill(".tc-form textarea", f"Paracétamol 1 g, 3 fois par jour ({self.n})")
        self.n += 1
        await page.click(".tc-form button[type=submit]", timeout=10_000)
        info = page.locator(".tc-doc-info")
        # Polled from here: the console's CSP refuses wait_for_function's string evaluation.
        await _until(lambda: info.inner_text(), 45, every=0.5)
        text = await info.inner_text()
        self._ok("document", text.startswith(("Document reçu", "Document received")), text[:80])

    async def end(self) -> None:
        await self._tab("end")
        await self.page.select_option(".tc-end select[name=act]", "TCG")
        await self.page.select_option(".tc-end select[name=outcome]", "prescription")
        await self.page.click(".tc-end button[type=submit]", timeout=10_000)
        await self.page.wait_for_selector("#queue-view:not([hidden])", timeout=30_000)


def _schedule(p: Plan, rng: random.Random) -> list[tuple[float, str]]:
    """Actions spread evenly over the call (after 20 s), in a shuffled but seeded order."""
    actions = [k for k, n in
               (("reload", p.counts["reloads"]), ("cut", p.counts["cuts"]),
                ("switch", p.counts["switches"]), ("measure", p.counts["measures"]),
                ("document", p.counts["documents"])) for _ in range(n)]  # fmt: skip
    rng.shuffle(actions)
    span = p.call_s - 30
    return [(20 + span * i / len(actions), a) for i, a in enumerate(actions)]


async def _encounter(
    station: Station, doctor: Doctor, long: Plan | None, rng: random.Random
) -> str:
    """One patient through the station; the doctor takes, acts, ends. Returns the ids."""
    announced, closed = station.expect("announced"), station.expect("closed")
    failed = station.expect("driver_error")
    await station.send("encounter")
    await asyncio.wait([announced, failed], timeout=180, return_when=asyncio.FIRST_COMPLETED)
    if not announced.done():
        raise RuntimeError(" ".join(failed.result()) if failed.done() else "not announced")
    eid = announced.result()[1]
    _progress("announced", eid)
    await doctor.take(eid)
    if long is not None:
        t0 = time.monotonic()
        for at, what in _schedule(long, rng):
            await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
            await doctor.act(what, rng)
            _progress(what, "done" if what not in doctor.failed else doctor.failed[what][-1:])
        await asyncio.sleep(max(0.0, t0 + long.call_s - time.monotonic()))
    else:  # a short consultation: one measurement asked for
        await doctor.act("measure", rng)
    try:
        await doctor.end()
    except Exception as exc:
        doctor._ok("end", False, f"{type(exc).__name__}: {str(exc)[:120]}")
    await asyncio.wait([closed, failed], timeout=40, return_when=asyncio.FIRST_COMPLETED)
    if not closed.done() and not failed.done():  # the end never reached the cabin
        doctor._ok("end_reached_cabin", False, eid)
        await station.send("end_call")
        await asyncio.wait([closed, failed], timeout=90, return_when=asyncio.FIRST_COMPLETED)
        with contextlib.suppress(Exception):
            await doctor.page.wait_for_selector("#queue-view:not([hidden])", timeout=20_000)
    if not closed.done():
        raise RuntimeError(" ".join(failed.result()) if failed.done() else "not closed")
    if not failed.done():
        station.waiters.remove(("driver_error", failed))
    _progress("closed", eid)
    return closed.result()[2]


def _tracebacks(stderr: str, log_dir: Path) -> dict[str, Any]:
    in_logs = 0
    for f in sorted(log_dir.glob("**/*")) if log_dir.exists() else []:
        if f.is_file():
            in_logs += f.read_text(errors="replace").count(TRACEBACK)
    kinds = sorted(set(re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception)):", stderr, re.M)))
    return {"stderr": stderr.count(TRACEBACK), "station_logs": in_logs, "kinds": kinds[:20]}


async def _hub_records(hub) -> int:
    from sqlalchemy import func, select

    from telecabine.hub.db import billing_records
    from telecabine.hub.state import HUB

    async with hub.running.app[HUB].engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(billing_records))).scalar())


def _growth(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    inside = [s for s in samples if start <= s["t_s"] <= end]
    if len(inside) < 2:
        return {"pct": None, "from_mb": None, "to_mb": None}
    first, last = inside[0]["rss_mb"], inside[-1]["rss_mb"]
    return {"pct": round(100 * (last - first) / first, 2), "from_mb": first, "to_mb": last,
            "max_mb": max(s["rss_mb"] for s in inside)}  # fmt: skip


async def _soak(p: Plan) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    rng = random.Random(23)
    details: dict[str, Any] = {"plan": {"call_s": p.call_s, "encounters": p.encounters,
                                        "warmup_s": p.warmup_s, "counts": p.counts}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="tc-soak-") as tmp_name:
        tmp = Path(tmp_name)
        xvfb, display = _start_xvfb()
        try:
            async with running_hub(STATION_ID) as hub, async_playwright() as pw:
                browser = await launch_browser(pw)
                context = await browser.browser.new_context(viewport={"width": 1280, "height": 900})
                page = await context.new_page()
                js_errors: list[str] = []
                page.on("pageerror", lambda exc: js_errors.append(str(exc)[:200]))
                await _sign_in(page, hub)
                stress_workers = int(os.environ.get("SOAK_STRESS_WORKERS", "2"))
                # (stress-ng --cpu 0 would load every core: 0 means no stress at all)
                with cpu_stress(stress_workers) if stress_workers else _no_stress() as stress:
                    details["stress"] = stress["how"]
                    details.update(await _run_station(p, tmp, hub, display, page, context, rng))
                details["console_js_errors"] = js_errors[:10]
                details["console_js_error_count"] = len(js_errors)
                closed = details["billing"]["closed_at_station"]
                await _until(lambda: _hub_has(hub, closed), 90, every=1)
                details["billing"]["on_hub"] = await _hub_records(hub)
                await browser.browser.close()
        finally:
            xvfb.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                xvfb.wait(10)
    return details


@contextlib.contextmanager
def _no_stress():
    yield {"how": "none"}


async def _hub_has(hub, n: int) -> bool:
    return await _hub_records(hub) >= n


async def _run_station(p: Plan, tmp: Path, hub, display: str, page, context, rng) -> dict:
    station = await _start_station(tmp, hub, display)
    samples: list[dict[str, Any]] = []
    t0 = time.monotonic()
    sampler = asyncio.ensure_future(_sample(station, samples, t0))
    out: dict[str, Any] = {}
    closed: list[str] = []
    errors: list[str] = []
    hung = False
    doctor = Doctor(page, context, station)
    try:
        try:
            closed.append(await _encounter(station, doctor, p, rng))
        except Exception as exc:  # recorded; the encounters still run
            errors.append(f"long call: {type(exc).__name__}: {str(exc)[:200]}")
        long_end = time.monotonic() - t0
        out["long_call"] = {"done": dict(doctor.done), "failed": dict(doctor.failed),
                            "recovery_s": doctor.recovery_s,
                            "prompts_answered": station.count("prompt"),
                            "closed": len(closed)}  # fmt: skip
        doctor.done, doctor.failed = {}, {}
        enc_t = time.monotonic()
        failures = 0
        for i in range(p.encounters):
            if station.proc.returncode is not None or failures >= 3:
                break
            try:
                closed.append(await _encounter(station, doctor, None, rng))
            except Exception as exc:  # a finding; three in a row stop the series
                failures += 1
                errors.append(f"encounter {i + 1}: {type(exc).__name__}: {str(exc)[:150]}")
        done = len(closed) - out["long_call"]["closed"]
        out["encounters"] = {"asked": p.encounters, "closed": done,
                             "seconds_each_mean": round((time.monotonic() - enc_t) / max(1, done), 1),
                             "doctor_done": dict(doctor.done), "doctor_failed": dict(doctor.failed)}  # fmt: skip
    finally:
        sampler.cancel()
        proc = psutil.Process(station.proc.pid)
        with contextlib.suppress(psutil.Error):
            out["at_end"] = {"fds": proc.num_fds(), "threads": proc.num_threads(),
                             "rss_mb": round(proc.memory_info().rss / 2**20, 1)}  # fmt: skip
        if station.proc.returncode is None:
            await station.send("quit")
            try:
                await asyncio.wait_for(station.proc.wait(), 60)
            except TimeoutError:
                hung = True
                station.proc.kill()
                await station.proc.wait()
                errors.append("station did not exit within 60 s of closing its window")
    stderr = station.stderr_path.read_text(errors="replace")
    rc = station.proc.returncode
    # A crash: the station died on its own (a signal or an error exit), or Python aborted.
    out["crashes"] = int((rc not in (0, None) and not hung) or "Fatal Python error" in stderr)
    out["hung_at_exit"] = hung
    out["station_exit_code"] = rc
    out["fatal_lines"] = [ln[:200] for ln in stderr.splitlines() if "Fatal Python error" in ln][:5]
    out["tracebacks"] = _tracebacks(stderr, tmp / "station" / "logs")
    out["driver_errors"] = [" ".join(e[1])[:200] for e in station.events
                            if e[1][0] in ("driver_error", "wrapup_error")][:10]  # fmt: skip
    out["harness_errors"] = errors
    out["rss_samples"] = samples
    out["rss_growth_long_call"] = _growth(samples, p.warmup_s, long_end)
    out["rss_growth_whole_run"] = _growth(samples, p.warmup_s, samples[-1]["t_s"] if samples else 0)
    out["billing"] = {"closed_at_station": len(closed)}
    if "stderr" in out["tracebacks"] and out["tracebacks"]["stderr"]:
        out["stderr_tail"] = stderr[-3000:]
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Soak and write ``results/soak.json``."""
    p = plan(quick)
    started = time.monotonic()
    d = asyncio.run(_soak(p))
    d["wall_s"] = round(time.monotonic() - started)
    d["load_average_1_5_15"] = load_average()
    growth = d["rss_growth_long_call"]
    tb = d["tracebacks"]
    d["acceptance"] = {
        "crashes_0": d["crashes"] == 0,
        "tracebacks_0": tb["stderr"] == 0 and tb["station_logs"] == 0,
        "rss_growth_under_5_pct": growth["pct"] is not None and growth["pct"] < 5,
        "every_billing_record_on_hub": d["billing"]["on_hub"] == d["billing"]["closed_at_station"],
        "every_encounter_closed": d["billing"]["closed_at_station"] == p.encounters + 1,
    }
    return write_result(
        "soak", value=growth["to_mb"] if growth["to_mb"] is not None else -1.0,
        unit="MiB, station RSS at the end of the long call",
        anchor="station RSS at the end of the warm-up (minute 5 of the call), same run",
        anchor_value=growth["from_mb"],
        goal="ratio < 1.05 (RSS growth < 5 %), 0 crashes, 0 tracebacks, every billing record "
        "on the hub",
        details=d, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
