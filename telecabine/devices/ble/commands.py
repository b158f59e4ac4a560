"""``telecabine ble ...``: scan nearby vitals devices, pair/forget one per role, try a measurement.

For installers and support staff on site; nothing is stored on an encounter.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from telecabine.devices.ble.errors import BleDeviceError
from telecabine.domain.vitals import MeasurementKind

if TYPE_CHECKING:
    from telecabine.config import Settings

KINDS = [k.value for k in MeasurementKind]


def configure(parser: argparse.ArgumentParser) -> None:
    """Sub-commands of ``telecabine ble``."""
    parser.add_argument(
        "--simulated", action="store_true", help="appareils simulés / simulated devices"
    )
    sub = parser.add_subparsers(dest="ble_command", metavar="ACTION", required=True)
    scan = sub.add_parser("scan", help="lister les appareils proches / list nearby devices")
    scan.add_argument("--kind", choices=KINDS, default=None)
    pair = sub.add_parser("pair", help="mémoriser un appareil / remember a device for its role")
    pair.add_argument("address")
    forget = sub.add_parser("forget", help="oublier l'appareil d'un rôle / forget a role's device")
    forget.add_argument("kind", choices=KINDS)
    measure = sub.add_parser("measure", help="essayer une mesure / try one measurement")
    measure.add_argument("kind", choices=KINDS)
    sub.add_parser("list", help="appareils mémorisés / remembered devices")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``ble`` action; returns the exit code."""
    from telecabine.devices.ble.manager import build_device_manager

    if args.simulated:
        settings = settings.model_copy(update={"simulated_devices": True})
    manager = build_device_manager(settings, measure_seconds=1.0)
    try:
        return asyncio.run(_run(args, manager))
    except BleDeviceError as exc:
        print(f"{exc.message('fr')}\n{exc.message('en')}")
        return 1


async def _run(args: argparse.Namespace, manager) -> int:  # type: ignore[no-untyped-def]
    action = args.ble_command
    if action == "list":
        for kind, dev in manager.pairing.all().items():
            print(f"{kind.value:15} {dev.address:20} {dev.name or ''} ({dev.adapter_id})")
        return 0
    if action == "forget":
        manager.forget(MeasurementKind(args.kind))
        return 0
    if action in ("scan", "pair"):
        kind = MeasurementKind(args.kind) if action == "scan" and args.kind else None
        found = await manager.scan(kind)
        if action == "scan":
            if not found:
                print("Aucun appareil trouvé / no device found")
            for d in found:
                print(
                    f"{d.kind.value:15} {d.address:20} {d.rssi:4} dBm  {d.name or ''} ({d.adapter_id})"
                )
            return 0
        match = [d for d in found if d.address.lower() == args.address.lower()]
        if not match:
            print("Appareil introuvable / device not found")
            return 1
        manager.pair(match[0])
        print(f"{match[0].kind.value}: {match[0].address}")
        return 0
    return await _measure(manager, MeasurementKind(args.kind))


async def _measure(manager, kind: MeasurementKind) -> int:  # type: ignore[no-untyped-def]
    from telecabine.domain.vitals import (
        VITAL_SIGNS,
        VitalError,
        default_ranges,
        device_method,
        make_observation,
    )

    device = await manager.device_for(kind)
    try:
        await device.connect()
        print(f"{device.device_id}: batterie / battery {await device.battery_level()}")
        reading = await device.measure(manager.timeouts.measurement)
    finally:
        await manager.close()
    ranges, now = default_ranges(), datetime.now(UTC)
    method = device_method(device.device_id)
    for sign, (value, unit) in reading.values.items():
        if sign not in VITAL_SIGNS:
            continue
        try:
            obs = make_observation(sign, value, unit, method=method, measured_at=now, ranges=ranges)
        except VitalError as exc:
            print(f"{sign}: {exc.message_fr} / {exc.message_en}")
            continue
        print(f"{obs.label_fr:28} {obs.value:>7} {obs.unit:8} {obs.flag or ''}")
    return 0
