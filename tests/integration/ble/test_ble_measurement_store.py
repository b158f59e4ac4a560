"""Simulated peripherals -> bleak -> driver -> measurement service -> encrypted store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from telecabine.devices.ble.adapters import build_registry
from telecabine.devices.ble.manager import BleDeviceManager, BleTimeouts
from telecabine.devices.ble.pairing import PairingStore
from telecabine.devices.ble.simulated import Scenario, SimulatedAirspace
from telecabine.domain.vitals import MeasurementKind as K
from telecabine.domain.vitals import VitalError, default_ranges
from telecabine.services.measurement import MeasurementFailed, MeasurementService, Status

NOW = datetime(2026, 11, 23, 8, 15, tzinfo=UTC)


def make_service(store, data_dir, scenario=Scenario.NORMAL):
    space = SimulatedAirspace.standard(scenario, measure_seconds=0.06)
    manager = BleDeviceManager(
        build_registry(),
        PairingStore(data_dir / "ble_pairing.json"),
        timeouts=BleTimeouts(scan=0.05, connect=1, measurement=2, burst=0.05),
        airspace=space,
    )
    service = MeasurementService(
        manager, store.encounters, ranges=default_ranges(), clock=lambda: NOW, measurement_timeout=2
    )
    return service, manager, space


@pytest.fixture
def encounter(station_store):
    return station_store.encounters.create("cabine-test", now=NOW)


async def test_every_device_stores_observations(station_store, data_dir, encounter):
    service, manager, _space = make_service(station_store, data_dir)
    published, statuses = [], []
    service.add_observation_listener(lambda enc, obs: published.append((enc, obs)))
    service.add_status_listener(lambda u: statuses.append((u.kind, u.status)))
    for kind in K:
        await service.measure(encounter.id, kind)
    await manager.close()
    stored = station_store.encounters.observations(encounter.id)
    codes = sorted(o.code for o in stored)
    # temp, sys+dia+mean+pulse, spo2+pulse, weight, heart rate
    assert codes == sorted(
        ["8310-5", "8480-6", "8462-4", "8478-0", "8867-4", "2708-6", "8867-4", "29463-7", "8867-4"]
    )
    assert all(o.method.startswith("device:5A:1D:") for o in stored)
    assert all(o.flag == "normal" or o.code == "29463-7" for o in stored)
    assert sorted(obs.code for _, obs in published) == codes
    assert {enc for enc, _ in published} == {encounter.id}
    assert len(published) == len(stored)
    for kind in K:
        seq = [s for k, s in statuses if k == kind]
        assert seq[0] == Status.SEARCHING and seq[-1] == Status.DONE
        assert Status.CONNECTED in seq and Status.MEASURING in seq
    # pairing remembered in data_dir for the next start
    assert set(manager.pairing.all()) == set(K)


@pytest.mark.parametrize(
    ("scenario", "kind", "code", "flag"),
    [
        (Scenario.FEVER, K.TEMPERATURE, "8310-5", "high"),
        (Scenario.HYPERTENSION, K.BLOOD_PRESSURE, "8480-6", "high"),
        (Scenario.LOW_SPO2, K.SPO2, "2708-6", "critical"),
    ],
)
async def test_abnormal_scenarios_flagged(
    station_store, data_dir, encounter, scenario, kind, code, flag
):
    service, manager, _ = make_service(station_store, data_dir, scenario)
    observations = await service.measure(encounter.id, kind)
    await manager.close()
    by_code = {o.code: o for o in observations}
    assert by_code[code].flag == flag
    if scenario is Scenario.FEVER:
        assert (by_code[code].value, by_code[code].unit) == (39.2, "Cel")  # sent in °F
    stored = {o.code: o for o in station_store.encounters.observations(encounter.id)}
    assert stored[code].flag == flag


async def test_device_error_and_disconnect_record_incidents(station_store, data_dir, encounter):
    service, manager, space = make_service(station_store, data_dir, Scenario.DEVICE_ERROR)
    with pytest.raises(MeasurementFailed) as e:
        await service.measure(encounter.id, K.BLOOD_PRESSURE)
    assert e.value.code == "device_error" and "Brassard" in e.value.message("fr")
    space.set_scenario(Scenario.DISCONNECT)
    with pytest.raises(MeasurementFailed) as e:
        await service.measure(encounter.id, K.SPO2)
    assert e.value.code == "disconnected"
    observations = await service.measure(encounter.id, K.SPO2)  # retry reconnects
    await manager.close()
    assert {o.code for o in observations} == {"2708-6", "8867-4"}
    kinds = [i.kind for i in station_store.encounters.incidents(encounter.id)]
    assert kinds == ["ble.device_error", "ble.disconnected"]
    assert len(station_store.encounters.observations(encounter.id)) == 2


async def test_doctor_request_joins_running_measurement(station_store, data_dir, encounter):
    import asyncio

    service, manager, _space = make_service(station_store, data_dir)
    first = asyncio.ensure_future(service.measure(encounter.id, K.TEMPERATURE))
    await asyncio.sleep(0)
    assert service.is_busy(K.TEMPERATURE)
    second = await service.measure(encounter.id, "temperature")
    assert await first == second
    await manager.close()
    assert len(station_store.encounters.observations(encounter.id)) == 1


def test_manual_entry_marked_manual_and_validated(station_store, data_dir, encounter):
    service, _, _ = make_service(station_store, data_dir)
    got = []
    service.add_observation_listener(lambda enc, obs: got.append(obs))
    obs = service.record_manual(
        encounter.id, K.TEMPERATURE, {"temperature": 100.4}, {"temperature": "[degF]"}
    )
    assert (obs[0].value, obs[0].method, obs[0].flag) == (38.0, "manual", "high")
    with pytest.raises(VitalError):
        service.record_manual(encounter.id, K.BLOOD_PRESSURE, {"systolic": 80, "diastolic": 95})
    with pytest.raises(VitalError):
        service.record_manual(encounter.id, K.SPO2, {"spo2": 120})
    with pytest.raises(VitalError):
        service.record_manual(encounter.id, K.WEIGHT, {})
    stored = station_store.encounters.observations(encounter.id)
    assert [(o.code, o.method) for o in stored] == [("8310-5", "manual")]
    assert [o.code for o in got] == ["8310-5"]


async def test_other_patient_never_gets_running_values(station_store, data_dir, encounter):
    import asyncio

    other = station_store.encounters.create("cabine-test", now=NOW)
    service, manager, _ = make_service(station_store, data_dir)
    first = asyncio.ensure_future(service.measure(encounter.id, K.WEIGHT))
    await asyncio.sleep(0.02)
    observations = await service.measure(other.id, K.WEIGHT)
    with pytest.raises(asyncio.CancelledError):
        await first
    await manager.close()
    assert observations[0].code == "29463-7"
    assert station_store.encounters.observations(encounter.id) == []
    assert len(station_store.encounters.observations(other.id)) == 1


async def test_published_values_fit_the_data_channel_contract(station_store, data_dir, encounter):
    from telecabine.protocol.datachannel import MeasurementStatus, Vital

    service, manager, _ = make_service(station_store, data_dir, Scenario.HYPERTENSION)
    vitals, statuses = [], []
    service.add_observation_listener(lambda enc, obs: vitals.append(Vital(**obs.as_vital_fields())))
    service.add_status_listener(
        lambda u: statuses.append(MeasurementStatus(**u.as_status_fields()))
    )
    await service.measure(encounter.id, K.BLOOD_PRESSURE)
    await manager.close()
    assert [(v.code, v.flag, v.unit) for v in vitals][:2] == [
        ("8480-6", "high", "mm[Hg]"),
        ("8462-4", "high", "mm[Hg]"),
    ]
    assert all(v.method == "device:5A:1D:00:00:00:02" for v in vitals)
    assert statuses[0].status == "in_progress" and statuses[-1].status == "done"


async def test_built_from_settings_in_demo_mode(station_store, data_dir, encounter):
    from telecabine.config import load_settings
    from telecabine.services.measurement import build_measurement_service

    settings = load_settings(
        data_dir=data_dir,
        simulated_devices=True,
        ble_simulated_scenario="fever",
        ble_scan_timeout_s=0.05,
    )
    service, manager = build_measurement_service(settings, station_store.encounters)
    for p in manager.airspace.peripherals.values():
        p.measure_seconds = 0.05
    observations = await service.measure(encounter.id, K.TEMPERATURE)
    await manager.close()
    assert (observations[0].value, observations[0].flag) == (39.2, "high")
    assert observations[0].measured_at.tzinfo is not None
    assert (data_dir / "ble_pairing.json").is_file()


async def test_scale_with_bmi_and_height(station_store, data_dir, encounter):
    from telecabine.devices.ble import adapters, frames

    service, manager, space = make_service(station_store, data_dir)
    space.by_kind(K.WEIGHT).script = lambda p: [
        (1.0, adapters.WEIGHT_MEASUREMENT, frames.weight_frame(81.0, bmi=26.4, height_m=1.752))
    ]
    observations = await service.measure(encounter.id, K.WEIGHT)
    await manager.close()
    got = {o.code: (o.value, o.unit, o.flag) for o in observations}
    assert got == {
        "29463-7": (81.0, "kg", None),
        "8302-2": (175.0, "cm", None),
        "39156-5": (26.4, "kg/m2", "high"),
    }
