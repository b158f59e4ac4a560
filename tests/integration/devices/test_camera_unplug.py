"""Unplug / replug through the real driver's reopen path, incidents, and registry fallback."""

from __future__ import annotations

import time
from pathlib import Path

from telecabine.config import load_settings
from telecabine.devices.camera import OpenCVCamera
from telecabine.devices.registry import DeviceRegistry
from telecabine.devices.simulated import UnpluggableDevice
from telecabine.devices.video_health import SourceEvent, SourceStatus


def _wait(cond, timeout: float = 6.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_device_that_errors_is_lost_then_recovers() -> None:
    dev = UnpluggableDevice(unplugged_read_delay_s=0.4)  # reads hang a while once unplugged
    cam = OpenCVCamera(0, "dermatoscope", capture_factory=dev.open)
    events: list[SourceEvent] = []
    noticed: list[float] = []
    cam.add_listener(events.append)
    cam.add_listener(lambda e: noticed.append(time.time()))
    cam.start()
    try:
        assert _wait(lambda: cam.status == SourceStatus.OK)
        assert (cam.width, cam.height, cam.fps) == (320, 240, 30.0)
        dev.plugged = False
        t_unplug = time.time()
        assert _wait(lambda: cam.status == SourceStatus.LOST)
        lost = events[-1]
        assert lost.kind == "camera_lost" and lost.is_incident
        # dated at the last good frame, i.e. when the picture stopped, not when noticed
        # (3 failed reads of 0.4 s each: noticed over a second later)
        assert noticed[-1] - lost.at.timestamp() > 1.0
        assert abs(lost.at.timestamp() - t_unplug) < 0.6
        frames_at_loss = cam.frames_captured
        time.sleep(0.7)
        assert cam.frames_captured == frames_at_loss
        dev.plugged = True
        assert _wait(lambda: cam.status == SourceStatus.OK)
        assert events[-1].kind == "camera_recovered"
        assert _wait(lambda: cam.frames_captured > frames_at_loss + 3)
        assert dev.opens >= 2
    finally:
        cam.stop()


def test_frozen_and_black_are_reported() -> None:
    dev = UnpluggableDevice()
    cam = OpenCVCamera(0, "room", capture_factory=dev.open)
    cam._health.thresholds.frozen_after_s = 0.3
    cam.start()
    try:
        assert _wait(lambda: cam.status == SourceStatus.OK)
        still = dev.next_image()
        dev.next_image = lambda: (time.sleep(1 / 30), still.copy())[1]  # type: ignore[method-assign]
        assert _wait(lambda: cam.status == SourceStatus.FROZEN, 3)
        dark = still * 0
        dev.next_image = lambda: (time.sleep(1 / 30), dark.copy())[1]  # type: ignore[method-assign]
        assert _wait(lambda: cam.status == SourceStatus.BLACK, 3)
        assert [e.kind for e in cam.events][-2:] == ["camera_frozen", "camera_black"]
    finally:
        cam.stop()


def test_registry_offers_another_source_when_one_is_lost(data_dir: Path) -> None:
    settings = load_settings(
        data_dir=data_dir, camera_room="sim:room", camera_otoscope="sim:otoscope",
        camera_width=320, camera_height=240,
    )  # fmt: skip
    reg = DeviceRegistry(settings)
    assert reg.configured_roles() == ["room", "otoscope"]
    oto, room = reg.video_source("otoscope"), reg.video_source("room")
    assert oto is not None and room is not None
    oto.start()
    room.start()
    try:
        assert _wait(lambda: oto.status == SourceStatus.OK and room.status == SourceStatus.OK)
        oto.unplug()
        assert _wait(lambda: oto.status == SourceStatus.LOST)
        assert reg.fallback_for("otoscope") is room
        seq = room.mailbox.latest()[0]
        assert _wait(lambda: room.mailbox.latest()[0] > seq + 3)  # the session goes on
        oto.replug()
        assert _wait(lambda: oto.status == SourceStatus.OK)
    finally:
        reg.stop_all()
