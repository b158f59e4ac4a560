"""Equipment check before a consultation (and ``telecabine check --json`` for fleet monitoring).

Each item ends ``ok``, ``warning`` or ``failed`` with one French and one English sentence
saying what to do, plus the measured figures. A required item that fails makes the whole check
fail (exit code 1 in JSON mode). Plain Python, no Qt: the equipment screen renders the
results as they arrive (``on_result``) and answers the speaker question through ``confirm``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from telecabine.devices.audio import AudioDeviceError
from telecabine.devices.video_health import SourceStatus, status_message
from telecabine.services.preflight_text import TEXT, label

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.devices.registry import DeviceRegistry

Confirm = Callable[[str, str], Awaitable[bool | None]]  # (question_fr, question_en) -> answer
OnResult = Callable[["CheckResult"], None]
MIN_YEAR = 2025


class CheckStatus(StrEnum):
    """Outcome of one item (``pending``/``running`` only while the check is in progress)."""

    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass
class CheckResult:
    """One line of the equipment check."""

    key: str  # camera:room, microphone, speaker, stethoscope, bluetooth, hub, disk, clock
    status: CheckStatus
    required: bool
    message_fr: str
    message_en: str
    measures: dict[str, Any] = field(default_factory=dict)

    @property
    def label_fr(self) -> str:
        """Name of the item in French."""
        return label(self.key)[0]

    @property
    def label_en(self) -> str:
        """Name of the item in English."""
        return label(self.key)[1]


@dataclass
class PreflightReport:
    """All items; ``passed`` is False when a required item failed."""

    results: list[CheckResult]
    started_at: dt.datetime

    @property
    def passed(self) -> bool:
        """No required item failed."""
        return not any(r.required and r.status == CheckStatus.FAILED for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when passed, 1 otherwise (for ``telecabine check --json``)."""
        return 0 if self.passed else 1

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (no patient data: device names and figures only)."""
        return {
            "passed": self.passed,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "items": [asdict(r) | {"status": r.status.value} for r in self.results],
        }


def _result(key: str, status: CheckStatus, required: bool, text: str, **kw: Any) -> CheckResult:
    fr, en = TEXT[text]
    measures = kw.pop("measures", {})
    return CheckResult(key, status, required, fr.format(**kw), en.format(**kw), measures)


class Preflight:
    """Runs every check against the registry's devices, the hub and the local machine."""

    def __init__(
        self,
        settings: Settings,
        registry: DeviceRegistry,
        *,
        confirm: Confirm | None = None,
        bluetooth_probe: Callable[[], Awaitable[bool | None]] | None = None,
        wall_clock: Callable[[], float] = time.time,
        interactive: bool = True,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.confirm = confirm
        self.bluetooth_probe = bluetooth_probe or probe_bluetooth
        self.wall_clock = wall_clock
        self.interactive = interactive
        self._hub_date: tuple[float, float] | None = None  # (hub epoch, local epoch at reply)
        self._started: dict[str, float] = {}  # camera role -> monotonic start time

    def planned(self) -> list[str]:
        """Item keys in the order they run (for the screen to show them pending)."""
        cams = [f"camera:{r}" for r in self.registry.configured_roles()] or ["camera:room"]
        return [*cams, "microphone", "speaker", "stethoscope", "bluetooth", "hub", "disk", "clock"]

    async def run(self, on_result: OnResult | None = None) -> PreflightReport:
        """Every item in order; ``on_result`` sees each one running, then done."""
        started = dt.datetime.fromtimestamp(self.wall_clock(), dt.UTC)
        results = []
        for role in self.registry.configured_roles():  # warm every camera up at once
            try:
                src = self.registry.video_source(role)
            except (ImportError, OSError):  # OpenCV cannot load: the camera item says so
                continue
            if src is not None:
                src.start()
                self._started.setdefault(role, time.monotonic())
        for key in self.planned():
            if on_result:
                on_result(CheckResult(key, CheckStatus.RUNNING, False, "", ""))
            res = await self.check(key)
            results.append(res)
            if on_result:
                on_result(res)
        return PreflightReport(results, started)

    async def check(self, key: str) -> CheckResult:
        """Run one item by key; a missing system library fails the item, never the check."""
        try:
            if key.startswith("camera:"):
                return await self.check_camera(key.split(":", 1)[1])
            method = getattr(self, f"check_{key}")
            return await method()
        except (ImportError, OSError) as exc:
            return missing_part(key, exc, required=key not in OPTIONAL_ITEMS)

    # --- cameras ------------------------------------------------------------------------
    async def check_camera(self, role: str, settle_s: float = 1.0) -> CheckResult:
        """Frames arrive, at a usable rate and size, not black, not frozen."""
        key, required = f"camera:{role}", role == "room"
        src = self.registry.video_source(role)
        if src is None:
            return _result(key, CheckStatus.FAILED, required, "camera_none")
        src.start()  # idempotent: a running preview keeps its source
        started = self._started.setdefault(role, time.monotonic())
        deadline = time.monotonic() + 4.0
        while src.frames_captured == 0 and time.monotonic() < deadline:
            if src.status == SourceStatus.LOST and not src.reopen_lost:
                break
            await asyncio.sleep(0.05)
        if src.frames_captured == 0:
            return _result(key, CheckStatus.FAILED, required, "camera_no_frames", name=src.name)
        # Measure the rate over settle_s since start, and over at least 0.7 s of real frames
        # when the first pictures only just arrived (slow to open, loaded machine).
        wait = started + settle_s - time.monotonic()
        if src.frames_captured < 10:
            wait = max(wait, 0.7)
        await asyncio.sleep(max(0.0, wait))
        fps = round(src.measured_fps, 1)
        measures = {"source": src.name, "width": src.width, "height": src.height, "fps": fps}
        status = src.status
        if status in (SourceStatus.BLACK, SourceStatus.FROZEN, SourceStatus.LOST):
            fr, en = status_message(status, role)
            return CheckResult(key, CheckStatus.FAILED, required, fr, en, measures)
        if fps < self.settings.preflight_min_fps or src.height < 480:
            return _result(key, CheckStatus.WARNING, required, "camera_slow", measures=measures,
                           fps=fps, w=src.width, h=src.height)  # fmt: skip
        return _result(key, CheckStatus.OK, required, "camera_ok", measures=measures,
                       fps=fps, w=src.width, h=src.height)  # fmt: skip

    # --- audio --------------------------------------------------------------------------
    async def check_microphone(self) -> CheckResult:
        """The microphone delivers sound, loud enough while the user speaks."""
        mic = self.registry.microphone()
        try:
            mic.start()
        except AudioDeviceError as exc:
            return CheckResult("microphone", CheckStatus.FAILED, True, exc.message_fr,
                               exc.message_en, {"device": mic.name})  # fmt: skip
        seq0 = mic.mailbox.latest()[0]
        mic.meter.reset()
        await asyncio.sleep(self.settings.preflight_listen_s)
        blocks = mic.mailbox.latest()[0] - seq0
        level = round(mic.meter.max_rms_dbfs, 1)
        measures = {"device": mic.name, "max_rms_dbfs": level, "blocks": blocks}
        if blocks == 0:
            return _result("microphone", CheckStatus.FAILED, True, "mic_silent", measures=measures)
        if level < self.settings.preflight_mic_min_dbfs:
            return _result("microphone", CheckStatus.WARNING, True, "mic_quiet",
                           measures=measures, level=level)  # fmt: skip
        return _result("microphone", CheckStatus.OK, True, "mic_ok", measures=measures, level=level)

    async def check_speaker(self) -> CheckResult:
        """A tone is played; the user says whether they heard it."""
        out = self.registry.speaker()
        try:
            out.start()
            out.play_tone(660.0, 1.0)
        except AudioDeviceError as exc:
            return CheckResult("speaker", CheckStatus.FAILED, True, exc.message_fr,
                               exc.message_en, {"device": out.name})  # fmt: skip
        measures = {"device": out.name}
        answer: bool | None = None
        if self.confirm is not None and self.interactive:
            answer = await self.confirm(*TEXT["speaker_question"])
        else:
            await asyncio.to_thread(out.wait, 2.0)
        if answer is None:
            return _result("speaker", CheckStatus.WARNING, True, "speaker_unconfirmed",
                           measures=measures)  # fmt: skip
        if not answer:
            return _result("speaker", CheckStatus.FAILED, True, "speaker_not_heard",
                           measures=measures)  # fmt: skip
        return _result("speaker", CheckStatus.OK, True, "speaker_ok", measures=measures)

    async def check_stethoscope(self) -> CheckResult:
        """The stethoscope input delivers sound (optional equipment)."""
        steth = self.registry.stethoscope()
        if steth is None:
            return _result("stethoscope", CheckStatus.WARNING, False, "steth_none")
        try:
            steth.start()
        except AudioDeviceError as exc:
            return CheckResult("stethoscope", CheckStatus.FAILED, False, exc.message_fr,
                               exc.message_en, {"device": steth.name})  # fmt: skip
        seq0 = steth.mailbox.latest()[0]
        steth.meter.reset()
        await asyncio.sleep(1.0)
        blocks = steth.mailbox.latest()[0] - seq0
        level = round(steth.meter.max_rms_dbfs, 1)
        measures = {"device": steth.name, "max_rms_dbfs": level, "blocks": blocks}
        if blocks == 0:
            return _result("stethoscope", CheckStatus.FAILED, False, "steth_silent",
                           measures=measures)  # fmt: skip
        return _result("stethoscope", CheckStatus.OK, False, "steth_ok", measures=measures,
                       level=level)  # fmt: skip

    # --- machine, network ---------------------------------------------------------------
    async def check_bluetooth(self) -> CheckResult:
        """A Bluetooth adapter is present (vitals can still be typed in without it)."""
        if self.settings.simulated_devices:
            return _result("bluetooth", CheckStatus.OK, False, "bt_simulated")
        present = await self.bluetooth_probe()
        if present is None:
            return _result("bluetooth", CheckStatus.WARNING, False, "bt_unknown")
        if not present:
            return _result("bluetooth", CheckStatus.WARNING, False, "bt_absent")
        return _result("bluetooth", CheckStatus.OK, False, "bt_ok")

    async def check_hub(self) -> CheckResult:
        """The hub answers ``/healthz``; round-trip time measured."""
        url = self.settings.hub_url.rstrip("/") + "/healthz"
        timeout = aiohttp.ClientTimeout(total=5.0, sock_connect=3.0)
        t0 = time.perf_counter()
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(url, allow_redirects=False) as resp,
            ):
                rtt_ms = round((time.perf_counter() - t0) * 1000, 1)
                date = resp.headers.get("Date")
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _result("hub", CheckStatus.FAILED, True, "hub_down",
                           measures={"url": url, "error": type(exc).__name__})  # fmt: skip
        if date:
            parsed = email.utils.parsedate_to_datetime(date)
            self._hub_date = (parsed.timestamp(), self.wall_clock() - rtt_ms / 2000)
        measures = {"url": url, "rtt_ms": rtt_ms, "http_status": status}
        if status != 200:
            return _result("hub", CheckStatus.FAILED, True, "hub_error", measures=measures,
                           status=status)  # fmt: skip
        if rtt_ms > 400:
            return _result("hub", CheckStatus.WARNING, True, "hub_slow", measures=measures,
                           rtt=rtt_ms)  # fmt: skip
        return _result("hub", CheckStatus.OK, True, "hub_ok", measures=measures, rtt=rtt_ms)

    async def check_disk(self) -> CheckResult:
        """Enough free space where the database and documents live."""
        path = Path(self.settings.data_dir)
        while not path.exists() and path != path.parent:
            path = path.parent
        free_mb = shutil.disk_usage(path).free // (1024 * 1024)
        need = self.settings.preflight_min_free_mb
        measures = {"free_mb": free_mb, "min_mb": need}
        if free_mb < need:
            return _result("disk", CheckStatus.FAILED, True, "disk_full", measures=measures,
                           free=free_mb)  # fmt: skip
        if free_mb < 2 * need:
            return _result("disk", CheckStatus.WARNING, True, "disk_low", measures=measures,
                           free=free_mb)  # fmt: skip
        return _result("disk", CheckStatus.OK, True, "disk_ok", measures=measures, free=free_mb)

    async def check_clock(self) -> CheckResult:
        """The year is plausible and, when the hub answered, the clocks agree."""
        now = self.wall_clock()
        year = dt.datetime.fromtimestamp(now, dt.UTC).year
        measures: dict[str, Any] = {"year": year}
        if year < MIN_YEAR:
            return _result("clock", CheckStatus.FAILED, True, "clock_wrong", measures=measures)
        if self._hub_date is None:
            return _result("clock", CheckStatus.OK, True, "clock_ok_local", measures=measures)
        hub_ts, local_ts = self._hub_date
        skew = round(local_ts - hub_ts, 1)  # the Date header has 1 s resolution
        measures["skew_s"] = skew
        if abs(skew) > self.settings.preflight_max_clock_skew_s:
            return _result("clock", CheckStatus.WARNING, True, "clock_skew", measures=measures,
                           skew=skew)  # fmt: skip
        return _result("clock", CheckStatus.OK, True, "clock_ok", measures=measures, skew=skew)


OPTIONAL_ITEMS = ("stethoscope", "bluetooth")
# What a missing piece of the machine looks like (words in the error) -> sentence key.
_MISSING = (
    (("portaudio", "sounddevice"), "lib_portaudio"),
    (("cv2", "opencv", "libgl", "libglib", "libgthread"), "lib_opencv"),
    (("qt.qpa", "platform plugin", "xcb", "pyside6", "libegl", "libxkbcommon"), "lib_qt"),
    (("dbus", "d-bus", "bluez", "bleak"), "lib_dbus"),
)


def missing_part(key: str, exc: BaseException, *, required: bool) -> CheckResult:
    """The item failed because a library could not load: say which and what to install."""
    from telecabine.devices.audio import PORTAUDIO_MISSING

    words = f"{type(exc).__name__} {exc} {getattr(exc, 'name', '') or ''}".lower()
    if key.startswith("camera:"):
        words += " cv2"  # a camera item can only miss OpenCV's pieces
    text = next((t for needles, t in _MISSING if any(n in words for n in needles)), "lib_other")
    if text == "lib_portaudio":
        fr, en = PORTAUDIO_MISSING
        return CheckResult(key, CheckStatus.FAILED, required, fr, en, {"error": type(exc).__name__})
    return _result(key, CheckStatus.FAILED, required, text, measures={"error": type(exc).__name__},
                   name=type(exc).__name__)  # fmt: skip


async def probe_bluetooth() -> bool | None:
    """True/False when we can tell whether an adapter exists, None when we cannot."""
    if sys.platform.startswith("linux"):
        # BlueZ registers each adapter under /sys/class/bluetooth (hci0, ...); no D-Bus needed.
        root = Path("/sys/class/bluetooth")
        return root.exists() and any(p.name.startswith("hci") for p in root.iterdir())
    try:
        from bleak import BleakScanner

        await BleakScanner.discover(timeout=1.0)
        return True
    except Exception:  # bleak raises backend-specific errors when there is no radio
        return False
