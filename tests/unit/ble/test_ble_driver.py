"""BLE driver through bleak's public BleakClient/BleakScanner with the simulated backend.

The simulated peripherals sit *below* bleak (``backend=``), so these tests exercise bleak's
own callback contract: notify callbacks get ``(BleakGATTCharacteristic, bytearray)``, the
disconnected callback gets the ``BleakClient``, the scanner's detection callback gets
``(BLEDevice, AdvertisementData)``.
"""

from __future__ import annotations

import dataclasses
import math
import struct

import pytest
from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from hypothesis import given
from hypothesis import strategies as st

from telecabine.devices.ble import adapters as a
from telecabine.devices.ble import errors, frames, gatt
from telecabine.devices.ble.driver import BleVitalsDevice, scan
from telecabine.devices.ble.simulated import Scenario, SimulatedAirspace, SimulatedPeripheral
from telecabine.domain.vitals import MeasurementKind as K

FAST = 0.06  # seconds a simulated measurement takes


def device(space: SimulatedAirspace, kind: K, registry=None) -> BleVitalsDevice:
    registry = registry or a.build_registry()
    adapter = registry.for_kind(kind)[0]
    return BleVitalsDevice(
        space.by_kind(kind).address,
        adapter,
        connect_timeout=1,
        backend=space.client_backend(),
        burst_window=0.05,
    )


# --- encoders used by the simulator agree with the parsers ------------------------------------


def test_frames_round_trip_through_parsers():
    assert gatt.parse_temperature(frames.temperature_frame(36.8)).value == 36.8
    assert gatt.parse_temperature(frames.temperature_frame(102.6, fahrenheit=True)).unit == "[degF]"
    bp = gatt.parse_blood_pressure(
        frames.blood_pressure_frame(16.1, 10.4, 12.3, kpa=True, pulse=70)
    )
    assert (bp.systolic, bp.diastolic, bp.unit, bp.pulse_rate) == (16.1, 10.4, "kPa", 70.0)
    assert gatt.parse_plx_spot_check(frames.plx_spot_check_frame(97, 72)).spo2 == 97.0
    assert gatt.parse_plx_continuous(frames.plx_continuous_frame(88, 110)).pulse_rate == 110.0
    assert gatt.parse_weight(frames.weight_frame(72.4)).value == 72.4
    assert math.isnan(gatt.parse_weight(frames.weight_frame(None)).value)
    hr = gatt.parse_heart_rate(frames.heart_rate_frame(74, rr=(0.8,)))
    assert (hr.bpm, hr.sensor_contact, hr.rr_intervals) == (74, True, (0.7998046875,))
    assert math.isnan(gatt.decode_sfloat(frames.encode_sfloat(math.nan)))
    with pytest.raises(ValueError):
        frames.encode_sfloat(5000)


# --- scanning --------------------------------------------------------------------------------


async def test_scan_finds_one_device_per_kind():
    space = SimulatedAirspace.standard()
    found = await scan(a.build_registry(), timeout=0.05, backend=space.scanner_backend())
    assert {d.kind for d in found} == set(K)
    assert all(d.adapter_id.startswith("sig.") for d in found)
    only = await scan(
        a.build_registry(), timeout=0.05, kind=K.SPO2, backend=space.scanner_backend()
    )
    assert [d.name for d in only] == ["SIM-Oxy"]


async def test_scan_ignores_out_of_range_devices():
    space = SimulatedAirspace.standard()
    space.by_kind(K.WEIGHT).in_range = False
    found = await scan(a.build_registry(), timeout=0.05, backend=space.scanner_backend())
    assert K.WEIGHT not in {d.kind for d in found}


# --- measurements per scenario ---------------------------------------------------------------

EXPECTED = {
    (Scenario.NORMAL, K.TEMPERATURE): {"temperature": (36.8, "Cel")},
    (Scenario.FEVER, K.TEMPERATURE): {"temperature": (102.6, "[degF]")},
    (Scenario.NORMAL, K.BLOOD_PRESSURE): {
        "systolic": (122.0, "mm[Hg]"),
        "diastolic": (78.0, "mm[Hg]"),
        "mean_arterial": (93.0, "mm[Hg]"),
        "heart_rate": (72.0, "/min"),
    },
    (Scenario.HYPERTENSION, K.BLOOD_PRESSURE): {
        "systolic": (168.0, "mm[Hg]"),
        "diastolic": (102.0, "mm[Hg]"),
        "mean_arterial": (124.0, "mm[Hg]"),
        "heart_rate": (72.0, "/min"),
    },
    (Scenario.NORMAL, K.SPO2): {"spo2": (97.0, "%"), "heart_rate": (72.0, "/min")},
    (Scenario.LOW_SPO2, K.SPO2): {"spo2": (88.0, "%"), "heart_rate": (108.0, "/min")},
    (Scenario.NORMAL, K.WEIGHT): {"weight": (72.4, "kg")},
    (Scenario.NORMAL, K.HEART_RATE): {"heart_rate": (74.0, "/min")},
}


@pytest.mark.parametrize(("scenario", "kind"), list(EXPECTED), ids=lambda x: str(x))
async def test_measurement_values(scenario, kind):
    space = SimulatedAirspace.standard(scenario, FAST)
    dev = device(space, kind)
    progress = []
    reading = await dev.measure(timeout=2, on_progress=progress.append)
    assert reading.final and reading.error is None
    assert dict(reading.values) == EXPECTED[scenario, kind]
    if kind in (K.BLOOD_PRESSURE, K.SPO2, K.HEART_RATE):
        assert progress, "continuous/intermediate frames are reported as progress"
    assert dev.is_connected
    await dev.disconnect()
    assert not dev.is_connected


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (K.TEMPERATURE, "device.error.no_value"),
        (K.BLOOD_PRESSURE, "device.error.cuff_fit"),
        (K.SPO2, "device.error.no_value"),
        (K.WEIGHT, "device.error.no_value"),
        (K.HEART_RATE, "device.error.no_contact"),
    ],
)
async def test_device_error_scenario(kind, key):
    space = SimulatedAirspace.standard(Scenario.DEVICE_ERROR, FAST)
    with pytest.raises(errors.DeviceReportedError) as e:
        await device(space, kind).measure(timeout=0.5)
    assert e.value.key == key
    assert e.value.message("fr") != e.value.message("en")


@pytest.mark.parametrize("kind", list(K))
async def test_disconnect_mid_measurement_then_retry_reconnects(kind):
    space = SimulatedAirspace.standard(Scenario.DISCONNECT, FAST)
    dev = device(space, kind)
    with pytest.raises(errors.DeviceDisconnected):
        await dev.measure(timeout=2)
    assert not dev.is_connected
    reading = await dev.measure(timeout=2)  # retry: reconnects, second link does not drop
    assert reading.final and space.by_kind(kind).connections == 2


async def test_battery_level_when_offered():
    space = SimulatedAirspace.standard(measure_seconds=FAST)
    dev = device(space, K.WEIGHT)
    await dev.connect()
    assert await dev.battery_level() == 87
    space2 = SimulatedAirspace.standard(measure_seconds=FAST)
    space2.by_kind(K.WEIGHT).battery = None
    dev2 = device(space2, K.WEIGHT)
    await dev2.connect()
    assert await dev2.battery_level() is None


async def test_out_of_range_device_is_not_found():
    space = SimulatedAirspace.standard(measure_seconds=FAST)
    space.by_kind(K.TEMPERATURE).in_range = False
    with pytest.raises(errors.DeviceNotFound):
        await device(space, K.TEMPERATURE).measure(timeout=1)


async def test_no_measurement_times_out():
    space = SimulatedAirspace.standard(measure_seconds=5)
    with pytest.raises(errors.MeasurementTimeout):
        await device(space, K.TEMPERATURE).measure(timeout=0.1)


# --- the bleak callback contract directly ----------------------------------------------------


async def test_notify_callback_contract_and_bad_frames():
    """bleak calls the notify callback with (BleakGATTCharacteristic, bytearray)."""
    space = SimulatedAirspace.standard(measure_seconds=5)
    dev = device(space, K.TEMPERATURE)
    await dev.connect()
    client = dev._client
    assert isinstance(client, BleakClient)
    characteristic = client.services.get_characteristic(a.TEMPERATURE_MEASUREMENT)
    assert isinstance(characteristic, BleakGATTCharacteristic)
    dev._on_notify(characteristic, bytearray(b"\x00\x01"))  # truncated frame
    with pytest.raises(errors.DeviceReportedError) as e:
        await dev.measure(timeout=1)
    assert e.value.key == "device.error.bad_frame"
    dev._on_notify(characteristic, bytearray(frames.temperature_frame(37.1)))
    assert (await dev.measure(timeout=1)).values["temperature"] == (37.1, "Cel")


async def test_unsupported_device_missing_characteristic():
    space = SimulatedAirspace()
    space.add(
        SimulatedPeripheral(
            "AA:00:00:00:00:01",
            K.TEMPERATURE,
            service_uuid=a.HEALTH_THERMOMETER,
            characteristics=(),
        )
    )
    with pytest.raises(errors.DeviceUnsupported):
        await device(space, K.TEMPERATURE).connect()


# --- vendor adapter: a proprietary thermometer added without touching the rest ----------------

ACME_SERVICE = "0000fff0-0000-1000-8000-00805f9b34fb"
ACME_CHAR = "0000fff4-0000-1000-8000-00805f9b34fb"


def acme_decode(_char: str, data: bytes) -> a.DeviceReading:
    """ACME sends a u16 of hundredths of °C (made-up proprietary format)."""
    if len(data) != 2:
        raise gatt.GattParseError("acme: need 2 bytes")
    (raw,) = struct.unpack("<H", data)
    return a.DeviceReading(K.TEMPERATURE, {"temperature": (raw / 100, "Cel")})


ACME = a.VendorAdapter(
    "acme.thermo", K.TEMPERATURE, ACME_SERVICE, (ACME_CHAR,), acme_decode, ("ACME-T",)
)


async def test_vendor_adapter_end_to_end():
    registry = a.build_registry()
    registry.register(ACME)
    space = SimulatedAirspace()
    space.add(
        SimulatedPeripheral(
            "AC:ME:00:00:00:01",
            K.TEMPERATURE,
            measure_seconds=FAST,
            name="ACME-T100",
            service_uuid=ACME_SERVICE,
            characteristics=((ACME_CHAR, "notify"),),
            script=lambda p: [(1.0, ACME_CHAR, struct.pack("<H", 3712))],
        )
    )
    found = await scan(registry, timeout=0.05, backend=space.scanner_backend())
    assert [(d.adapter_id, d.name) for d in found] == [("acme.thermo", "ACME-T100")]
    dev = BleVitalsDevice(found[0].address, ACME, backend=space.client_backend())
    assert (await dev.measure(timeout=1)).values == {"temperature": (37.12, "Cel")}
    assert not space.peripherals["AC:ME:00:00:00:01"].bonded
    bonding = BleVitalsDevice(
        found[0].address,
        dataclasses.replace(ACME, requires_bonding=True),
        backend=space.client_backend(),
    )
    await bonding.connect()
    assert space.peripherals["AC:ME:00:00:00:01"].bonded  # bleak passed pair=True down
    assert registry.match([], "ACME-T200") is ACME
    assert registry.match([a.HEALTH_THERMOMETER], None).adapter_id == "sig.thermometer"


async def test_no_bluez_maps_to_bluetooth_unavailable():
    """On Linux without BlueZ, bleak raises FileNotFoundError (no D-Bus socket) on connect."""
    space = SimulatedAirspace.standard(measure_seconds=FAST)
    base = space.client_backend()

    class NoDbus(base):  # type: ignore[misc, valid-type]
        async def connect(self, pair, **kwargs):
            raise FileNotFoundError(2, "No such file or directory")

    adapter = a.build_registry().for_kind(K.TEMPERATURE)[0]
    dev = BleVitalsDevice(space.by_kind(K.TEMPERATURE).address, adapter, backend=NoDbus)
    with pytest.raises(errors.BluetoothUnavailable) as e:
        await dev.measure(timeout=1)
    assert "Bluetooth indisponible" in e.value.message("fr")


@pytest.mark.parametrize("adapter", a.STANDARD_ADAPTERS, ids=lambda x: x.adapter_id)
@given(data=st.binary(max_size=32))
def test_standard_decoders_only_raise_parse_errors(adapter, data):
    for uuid in adapter.notify_uuids + adapter.optional_notify_uuids:
        try:
            reading = adapter.decode(uuid, data)
        except gatt.GattParseError:
            continue
        assert reading.kind == adapter.kind


async def test_buggy_vendor_decoder_becomes_bad_frame_error():
    def boom(_char, _data):
        raise KeyError("vendor bug")

    space = SimulatedAirspace.standard(measure_seconds=FAST)
    buggy = dataclasses.replace(a.build_registry().for_kind(K.TEMPERATURE)[0], decode=boom)
    dev = BleVitalsDevice(
        space.by_kind(K.TEMPERATURE).address, buggy, backend=space.client_backend()
    )
    with pytest.raises(errors.DeviceReportedError) as e:
        await dev.measure(timeout=1)
    assert e.value.key == "device.error.bad_frame"


@pytest.mark.parametrize("with_time", [True, False])
async def test_stored_records_burst_returns_the_newest(with_time):
    """A scale that stored records sends them on connection: the newest one is the measurement."""
    from datetime import datetime

    def ts(day):
        return datetime(2026, 11, day, 8, 0) if with_time else None

    # Sent back to back, as a device dumps its memory (same tick, so no timing dependence).
    records = [(0.2, 71.0, ts(21)), (0.2, 72.4, ts(23)), (0.2, 70.2, ts(22))]
    space = SimulatedAirspace.standard(measure_seconds=1.0)
    space.by_kind(K.WEIGHT).script = lambda p: [
        (at, a.WEIGHT_MEASUREMENT, frames.weight_frame(kg, timestamp=t)) for at, kg, t in records
    ]
    reading = await device(space, K.WEIGHT).measure(timeout=2)
    assert reading.values["weight"] == ((72.4, "kg") if with_time else (70.2, "kg"))


async def test_continuous_device_waits_for_stable_values():
    """A heart-rate strap settles: early jumpy values are shown as progress, not kept."""
    bpms = [150, 60, 90, 74, 75, 74, 73, 74, 74]
    space = SimulatedAirspace.standard(measure_seconds=1.0)
    space.by_kind(K.HEART_RATE).script = lambda p: [
        (0.02 * i, a.HEART_RATE_MEASUREMENT, frames.heart_rate_frame(b)) for i, b in enumerate(bpms)
    ]
    progress = []
    reading = await device(space, K.HEART_RATE).measure(timeout=2, on_progress=progress.append)
    # 5-frame window within 2 bpm first holds at 74, 75, 74, 73, 74
    assert reading.values["heart_rate"] == (74.0, "/min")
    assert [r.values["heart_rate"][0] for r in progress] == [150, 60, 90, 74, 75, 74, 73, 74]
