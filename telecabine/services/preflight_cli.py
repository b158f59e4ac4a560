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


def run_check(settings: Settings, as_json: bool) -> int:
    """Run every check; print JSON or one line per item; exit code 1 if a required item failed."""
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
    if as_json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        verdict = ("Équipement prêt.", "Equipment ready.") if report.passed else (
            "Un élément obligatoire (*) a échoué.", "A required item (*) failed.")  # fmt: skip
        print(" / ".join(verdict))
    return report.exit_code
