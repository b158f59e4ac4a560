"""Helpers for the store tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

DISTINCTIVE = {
    "birth_name": "Zyxquorbelin",
    "first_names": "Ermengarde Philomène",
    "birth_date": date(1937, 11, 29),
    "nir": "237112A12345629",
}


@pytest.fixture
def distinctive() -> dict:
    """Identity traits of a patient whose name appears nowhere else (for grep tests)."""
    return dict(DISTINCTIVE)


@pytest.fixture
def t0() -> datetime:
    """A fixed 'now' for tests that pass a fake clock."""
    return T0


@pytest.fixture
def patient_encounter(station_store):
    """A distinctive patient attached to a new encounter: (store, patient, encounter)."""
    p = station_store.patients.create(sex="F", now=T0, **DISTINCTIVE)
    e = station_store.encounters.create("cabine-test", now=T0)
    station_store.encounters.attach_patient(e.id, p.id, now=T0)
    return station_store, p, e
