"""BLE pairing persisted in data_dir, device manager, vendor modules loaded by name."""

from __future__ import annotations

import json

import pytest

from telecabine.devices.ble import adapters as a
from telecabine.devices.ble import errors
from telecabine.devices.ble.manager import BleDeviceManager, BleTimeouts
from telecabine.devices.ble.pairing import PairedDevice, PairingStore
from telecabine.devices.ble.simulated import SimulatedAirspace
from telecabine.domain.vitals import MeasurementKind as K

FAST = 0.06


def test_vendor_modules_loaded_by_name(tmp_path, monkeypatch):
    (tmp_path / "acme_vendor_mod.py").write_text(
        "def register(registry):\n    from tests_acme_shared import ADAPTER\n    registry.register(ADAPTER)\n"
    )
    (tmp_path / "tests_acme_shared.py").write_text(
        "from telecabine.devices.ble.adapters import STANDARD_ADAPTERS\n"
        "import dataclasses\n"
        "ADAPTER = dataclasses.replace(STANDARD_ADAPTERS[0], adapter_id='acme.x')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = a.build_registry(["acme_vendor_mod"])
    assert registry.get("acme.x") is not None and registry.get("sig.thermometer") is not None


# --- pairing remembered across restarts ------------------------------------------------------


def test_pairing_store_persists_and_survives_corruption(tmp_path):
    path = tmp_path / "ble_pairing.json"
    store = PairingStore(path)
    store.pair(K.SPO2, PairedDevice("AA:BB", "sig.pulse_oximeter", "Oxy"))
    assert PairingStore(path).get(K.SPO2) == PairedDevice("AA:BB", "sig.pulse_oximeter", "Oxy")
    assert json.loads(path.read_text())["devices"]["spo2"]["address"] == "AA:BB"
    PairingStore(path).forget(K.SPO2)
    assert PairingStore(path).get(K.SPO2) is None
    path.write_text("{not json")
    assert PairingStore(path).all() == {}


async def test_manager_scans_pairs_and_remembers(tmp_path):
    space = SimulatedAirspace.standard(measure_seconds=FAST)
    path = tmp_path / "ble_pairing.json"
    timeouts = BleTimeouts(scan=0.05, connect=1, measurement=2, burst=0.05)
    manager = BleDeviceManager(
        a.build_registry(), PairingStore(path), timeouts=timeouts, airspace=space
    )
    dev = await manager.device_for(K.BLOOD_PRESSURE)
    assert dev.device_id == space.by_kind(K.BLOOD_PRESSURE).address
    assert (await dev.measure(timeout=2)).values["systolic"] == (122.0, "mm[Hg]")
    await manager.close()
    # A new manager (after a restart) uses the remembered device even when it does not advertise.
    space.by_kind(K.BLOOD_PRESSURE).name = "renamed"
    again = BleDeviceManager(
        a.build_registry(), PairingStore(path), timeouts=timeouts, airspace=space
    )
    assert again.pairing.get(K.BLOOD_PRESSURE).address == dev.device_id
    assert (await again.device_for(K.BLOOD_PRESSURE)).device_id == dev.device_id
    space.peripherals.clear()
    empty = BleDeviceManager(
        a.build_registry(), PairingStore(tmp_path / "other.json"), timeouts=timeouts, airspace=space
    )
    with pytest.raises(errors.DeviceNotFound):
        await empty.device_for(K.WEIGHT)


async def test_installer_preset_address_used_and_station_pairing_wins(tmp_path):
    space = SimulatedAirspace.standard(measure_seconds=FAST)
    oxy = space.by_kind(K.SPO2).address
    timeouts = BleTimeouts(scan=0.05, connect=1, measurement=2, burst=0.05)
    store = PairingStore(tmp_path / "p.json")
    manager = BleDeviceManager(
        a.build_registry(), store, timeouts=timeouts, airspace=space, preset={"spo2": oxy}
    )
    space.by_kind(K.SPO2).name = "not-advertising-the-usual-name"
    dev = await manager.device_for(K.SPO2)
    assert dev.device_id == oxy and store.get(K.SPO2) is None  # preset, not persisted
    assert (await dev.measure(timeout=2)).values["spo2"] == (97.0, "%")
    await manager.close()
    store.pair(K.SPO2, PairedDevice("11:22:33:44:55:66", "sig.pulse_oximeter"))
    other = BleDeviceManager(
        a.build_registry(), store, timeouts=timeouts, airspace=space, preset={"spo2": oxy}
    )
    assert (await other.device_for(K.SPO2)).device_id == "11:22:33:44:55:66"
