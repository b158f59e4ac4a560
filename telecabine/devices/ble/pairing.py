"""Remembered device per role (measurement kind), kept in a small JSON file in data_dir.

The file holds device addresses, names and adapter ids only: no patient data. Writes are
atomic (temp file + rename) so a crash never leaves half a file; a corrupt file is ignored
(devices are then found again by scanning) rather than blocking the station.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from telecabine.domain.vitals import MeasurementKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PairedDevice:
    """The device remembered for one role."""

    address: str
    adapter_id: str
    name: str | None = None


class PairingStore:
    """Role -> paired device, persisted as JSON."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._devices: dict[MeasurementKind, PairedDevice] = self._load()

    def _load(self) -> dict[MeasurementKind, PairedDevice]:
        try:
            raw = json.loads(self._path.read_text("utf-8"))
            return {
                MeasurementKind(k): PairedDevice(
                    str(v["address"]), str(v["adapter_id"]), v.get("name")
                )
                for k, v in raw.get("devices", {}).items()
            }
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("BLE pairing file %s unreadable, ignored: %s", self._path, exc)
            return {}

    def get(self, kind: MeasurementKind) -> PairedDevice | None:
        """The device paired for ``kind``, if any."""
        return self._devices.get(kind)

    def all(self) -> dict[MeasurementKind, PairedDevice]:
        """Every pairing."""
        return dict(self._devices)

    def pair(self, kind: MeasurementKind, device: PairedDevice) -> None:
        """Remember ``device`` for ``kind`` (replacing any previous one) and save."""
        self._devices[kind] = device
        self._save()

    def forget(self, kind: MeasurementKind) -> None:
        """Forget the device for ``kind`` and save."""
        if self._devices.pop(kind, None) is not None:
            self._save()

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        data = {"version": 1, "devices": {k.value: asdict(v) for k, v in self._devices.items()}}
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), "utf-8")
        os.replace(tmp, self._path)
