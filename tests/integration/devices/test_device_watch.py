"""A camera lost mid-encounter: incident stored (dated), message given, fallback source used."""

from __future__ import annotations

import time
from pathlib import Path

from telecabine.config import load_settings
from telecabine.devices.registry import DeviceRegistry
from telecabine.devices.video_health import SourceEvent, SourceStatus
from telecabine.services.device_watch import DeviceWatch


def _wait(cond, timeout: float = 6.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_lost_camera_is_an_incident_and_the_call_goes_on(data_dir: Path, station_store) -> None:
    enc = station_store.encounters.create("cabine-test")
    settings = load_settings(
        data_dir=data_dir, camera_room="sim:room", camera_otoscope="sim:otoscope",
        camera_width=320, camera_height=240,
    )  # fmt: skip
    registry = DeviceRegistry(settings)
    switched: list[str] = []
    messages: list[SourceEvent] = []
    watch = DeviceWatch(
        registry, station_store.encounters, lambda: enc.id,
        on_switch=lambda role, src: switched.append(role),
    )  # fmt: skip
    watch.listeners.append(messages.append)
    watch.start()
    room, oto = registry.video_source("room"), registry.video_source("otoscope")
    room.start()
    oto.start()
    try:
        assert _wait(lambda: room.status == oto.status == SourceStatus.OK)
        watch.set_live("otoscope")
        t_unplug = time.time()
        oto.unplug()
        assert _wait(lambda: switched == ["room"])
        assert watch.live_role == "room"
        oto.replug()
        assert _wait(lambda: oto.status == SourceStatus.OK)
        assert _wait(lambda: len(station_store.encounters.incidents(enc.id)) >= 2)
    finally:
        watch.stop()
        registry.stop_all()
    incidents = station_store.encounters.incidents(enc.id)
    assert [i.kind for i in incidents][:2] == ["camera_lost", "camera_recovered"]
    lost = incidents[0]
    assert abs(lost.at.timestamp() - t_unplug) < 1.0  # when the picture stopped
    assert lost.detail.startswith("otoscope (sim:otoscope)")
    shown = [m for m in messages if m.kind == "camera_lost"]
    assert shown and "débranchée" in shown[0].message_fr and "unplugged" in shown[0].message_en
