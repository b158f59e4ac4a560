"""Which device serves which role, from settings: real drivers or simulated twins.

Camera roles (room, otoscope, dermatoscope, document) map to a source string in settings:
a device index (``"0"``), ``/dev/videoN``, a video file path, or ``sim:<role>``. The
equipment screen's role chooser saves choices to ``devices.json`` in ``data_dir`` (device
names only, no patient data); :func:`load_device_choices` applies them on the next start
unless the same field was set explicitly (environment variable or command-line flag).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telecabine.config import Settings
from telecabine.devices.audio import AudioInput, SoundDeviceInput, SoundDeviceOutput
from telecabine.devices.audio_dsp import StethoscopeFilter
from telecabine.devices.video_health import ROLES, HealthThresholds, SourceStatus
from telecabine.devices.video_source import ThreadedVideoSource

if TYPE_CHECKING:
    from telecabine.devices.simulated import SimulatedSpeaker

log = logging.getLogger(__name__)

ROLE_FIELDS = {role: f"camera_{role}" for role in ROLES}
CHOICE_FIELDS = (*ROLE_FIELDS.values(), "audio_input", "audio_output", "stethoscope_device",
                 "stethoscope_gain", "stethoscope_mode")  # fmt: skip
STETHOSCOPE_RATE = 16_000  # plenty for lung sounds (< 2 kHz); keeps the Python biquads cheap


def device_choices_path(settings: Settings) -> Path:
    """Where the equipment screen remembers the device choices."""
    return settings.data_dir / settings.device_choices_filename


def load_device_choices(settings: Settings) -> Settings:
    """Settings with the remembered choices applied (explicitly set fields win)."""
    path = device_choices_path(settings)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, ValueError):
        log.warning("device choices file unreadable, ignored: %s", path.name)
        return settings
    if not isinstance(saved, dict):
        return settings
    update = {
        k: v for k, v in saved.items() if k in CHOICE_FIELDS and k not in settings.model_fields_set
    }
    merged = settings.model_dump() | update
    try:
        return type(settings).model_validate(merged)
    except ValueError:
        log.warning("device choices file invalid, ignored: %s", path.name)
        return settings


def save_device_choices(settings: Settings, choices: dict[str, Any]) -> Path:
    """Merge ``choices`` into the remembered file (atomic replace) and return its path."""
    unknown = set(choices) - set(CHOICE_FIELDS)
    if unknown:
        raise ValueError(f"not a device choice: {', '.join(sorted(unknown))}")
    path = device_choices_path(settings)
    settings.ensure_dirs()
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    current.update(choices)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


class DeviceRegistry:
    """Builds (lazily, once) the source for each role and offers a fallback when one fails."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._video: dict[str, ThreadedVideoSource] = {}
        self._audio: dict[str, Any] = {}

    def _spec(self, role: str) -> str | None:
        if self.settings.simulated_devices:
            return f"sim:{role}"
        return getattr(self.settings, ROLE_FIELDS[role])

    def configured_roles(self) -> list[str]:
        """Roles that have a source configured (room first)."""
        return [r for r in ROLES if self._spec(r)]

    def video_source(self, role: str) -> ThreadedVideoSource | None:
        """The source for ``role`` (not started), or None when the role has no camera."""
        if role not in ROLE_FIELDS:
            raise ValueError(f"unknown camera role {role!r}; roles: {', '.join(ROLES)}")
        if role in self._video:
            return self._video[role]
        spec = self._spec(role)
        if not spec:
            return None
        s = self.settings
        size = {"width": s.camera_width, "height": s.camera_height, "fps": s.camera_fps}
        thresholds = HealthThresholds(
            frozen_after_s=s.video_frozen_after_s, black_luma=s.video_black_luma
        )
        source: ThreadedVideoSource
        # OpenCV is imported when a camera is first asked for (not with the registry): a
        # machine whose OpenCV cannot load still runs its audio, hub and disk checks.
        if spec.startswith("sim:"):
            from telecabine.devices.simulated import SimulatedCamera

            sim_role = spec[4:] if spec[4:] in ROLE_FIELDS else role
            source = SimulatedCamera(sim_role, thresholds=thresholds, **size)
            source.role = role
        else:
            from telecabine.devices.camera import OpenCVCamera, parse_source

            parsed = parse_source(spec)
            loop = isinstance(parsed, str) and not parsed.startswith("/dev/")
            source = OpenCVCamera(parsed, role, loop=loop, thresholds=thresholds, **size)
        self._video[role] = source
        return source

    def capture_still(self, role: str):
        """A full-resolution photo from ``role``'s camera (``devices.still``); its video thread,
        if running, is paused for the capture and restarted after."""
        from telecabine.devices.still import StillError, capture_still

        spec = self._spec(role)
        if not spec:
            raise StillError("camera_unavailable")
        running = self._video.get(role)
        was_running = running is not None and running.status != SourceStatus.STOPPED
        if was_running and not spec.startswith("sim:"):
            running.stop()
        try:
            return capture_still(spec, role)
        finally:
            if was_running and not spec.startswith("sim:"):
                running.start()

    def fallback_for(self, role: str) -> ThreadedVideoSource | None:
        """Another configured source in good health to continue with (room preferred)."""
        for other in self.configured_roles():
            if other == role:
                continue
            src = self.video_source(other)
            if src is not None and src.status == SourceStatus.OK:
                return src
        return None

    def microphone(self) -> AudioInput:
        """The room microphone (not started)."""
        if "mic" not in self._audio:
            spec = "sim" if self.settings.simulated_devices else self.settings.audio_input
            if spec and spec.startswith("sim"):
                from telecabine.devices.simulated import SimulatedAudioInput

                self._audio["mic"] = SimulatedAudioInput("speech", name="sim:microphone")
            else:
                self._audio["mic"] = SoundDeviceInput(spec, name=spec or "default")
        return self._audio["mic"]

    def stethoscope(self) -> AudioInput | None:
        """The stethoscope input with its gain and band-pass, or None when there is none."""
        if "steth" not in self._audio:
            s = self.settings
            spec = "sim" if s.simulated_devices else s.stethoscope_device
            if not spec:
                return None
            filt = StethoscopeFilter(STETHOSCOPE_RATE, s.stethoscope_mode, s.stethoscope_gain)
            if spec.startswith("sim"):
                from telecabine.devices.simulated import SimulatedAudioInput

                self._audio["steth"] = SimulatedAudioInput(
                    "heartbeat", name="sim:stethoscope", sample_rate=STETHOSCOPE_RATE,
                    processor=filt,
                )  # fmt: skip
            else:
                self._audio["steth"] = SoundDeviceInput(
                    spec, name=spec, sample_rate=STETHOSCOPE_RATE, processor=filt
                )
        return self._audio["steth"]

    def speaker(self) -> SoundDeviceOutput | SimulatedSpeaker:
        """The speaker (not started)."""
        if "out" not in self._audio:
            spec = "sim" if self.settings.simulated_devices else self.settings.audio_output
            if spec and spec.startswith("sim"):
                from telecabine.devices.simulated import SimulatedSpeaker

                self._audio["out"] = SimulatedSpeaker()
            else:
                self._audio["out"] = SoundDeviceOutput(spec)
        return self._audio["out"]

    def stop_all(self) -> None:
        """Stop every device this registry built."""
        for src in self._video.values():
            src.stop()
        for dev in self._audio.values():
            dev.stop()
