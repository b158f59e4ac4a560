"""``telecabine check [--json]``: the equipment check from a terminal or a monitoring agent."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

from telecabine.services.preflight import CheckResult, CheckStatus, Preflight

if TYPE_CHECKING:
    from telecabine.config import Settings

_MARK = {CheckStatus.OK: "OK ", CheckStatus.WARNING: "AVERT.", CheckStatus.FAILED: "ÉCHEC"}


async def _ask(question_fr: str, question_en: str) -> bool | None:
    answer = await asyncio.to_thread(input, f"{question_fr} / {question_en} [o/n] ")
    text = answer.strip().lower()
    if text in ("o", "oui", "y", "yes"):
        return True
    if text in ("n", "non", "no"):
        return False
    return None


def list_devices(as_json: bool) -> int:
    """Print the cameras and audio devices present, with the value to put in settings."""
    from telecabine.devices.audio import AudioDeviceError, enumerate_audio_devices

    try:
        from telecabine.devices.camera import enumerate_cameras

        cameras = [{"source": c.source, "name": c.name} for c in enumerate_cameras()]
    except (ImportError, OSError):  # OpenCV cannot load (``check`` says what to install)
        cameras = []
    try:
        audio = [
            {"index": d.index, "name": d.name, "hostapi": d.hostapi,
             "inputs": d.max_input_channels, "outputs": d.max_output_channels}
            for d in enumerate_audio_devices()
        ]  # fmt: skip
    except (OSError, AudioDeviceError):  # PortAudio library missing
        audio = []
    if as_json:
        print(json.dumps({"cameras": cameras, "audio": audio}, indent=2, ensure_ascii=False))
        return 0
    print("Caméras / cameras (TELECABINE_CAMERA_<ROLE>=source):")
    for c in cameras or [{"source": "-", "name": "aucune / none"}]:
        print(f"  {c['source']:14} {c['name']}")
    print("Audio (TELECABINE_AUDIO_INPUT / _AUDIO_OUTPUT / _STETHOSCOPE_DEVICE = nom / name):")
    for d in audio:
        print(f"  {d['index']:3} {d['name']} [{d['hostapi']}] in={d['inputs']} out={d['outputs']}")
    return 0


def key_storage_result(settings: Settings) -> CheckResult:
    """Where the database key lives (issue 9 item 1): secure keyring, insecure file, or none.

    No OS keyring and no fallback allowed means the station cannot open its database: a
    required failure. The plaintext-file fallback works but is a warning on every run.
    """
    from telecabine.store.errors import KeyringUnavailableError
    from telecabine.store.keys import choose_key_store

    try:
        warning = choose_key_store(settings.data_dir, settings.insecure_file_keyring).warning
    except KeyringUnavailableError as exc:
        return CheckResult("key_storage", CheckStatus.FAILED, True, exc.message_fr, exc.message_en)
    if warning is not None:
        return CheckResult("key_storage", CheckStatus.WARNING, True, warning[0], warning[1])
    return CheckResult(
        "key_storage", CheckStatus.OK, True,
        "Clé de la base dans le trousseau sécurisé du système.",
        "Database key in the system's secure keyring.",
    )  # fmt: skip


def run_check(settings: Settings, as_json: bool, list_only: bool = False) -> int:
    """Run every check; print JSON or one line per item; exit code 1 if a required item failed."""
    if list_only:
        return list_devices(as_json)
    from telecabine.devices.registry import DeviceRegistry, load_device_choices

    settings = load_device_choices(settings)
    registry = DeviceRegistry(settings)
    interactive = not as_json and sys.stdin.isatty()
    preflight = Preflight(
        settings, registry, confirm=_ask if interactive else None, interactive=interactive
    )

    def show(result: CheckResult) -> None:
        if as_json or result.status == CheckStatus.RUNNING:
            return
        req = "*" if result.required else " "
        print(f"[{_MARK[result.status]:6}]{req} {result.label_fr}: {result.message_fr}")
        print(f"{'':9} {result.label_en}: {result.message_en}", flush=True)

    try:
        report = asyncio.run(preflight.run(show))
    finally:
        registry.stop_all()
    key_item = key_storage_result(settings)
    report.results.append(key_item)
    show(key_item)
    if as_json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        verdict = ("Équipement prêt.", "Equipment ready.") if report.passed else (
            "Un élément obligatoire (*) a échoué.", "A required item (*) failed.")  # fmt: skip
        print(" / ".join(verdict))
    return report.exit_code
