"""IntakeService over the real encrypted store: debounced drafts, resume, identity, consent."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from telecabine.services.intake import (
    DRAFT_DEBOUNCE_S,
    IntakeContext,
    IntakeError,
    IntakeService,
)

FORM = {"birth_name": "DUPONT", "first_names": "Jean", "birth_date": "12/05/1984",
        "sex": "M", "birth_place_insee": "75123", "nir": "184057512345625"}  # fmt: skip


class _CountingEncounters:
    """The real repository, counting draft writes (to see the debounce work)."""

    def __init__(self, real) -> None:
        self._real = real
        self.saves = 0

    def save_draft(self, *args, **kwargs):
        self.saves += 1
        return self._real.save_draft(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture
def service(station_store):
    encounters = _CountingEncounters(station_store.encounters)
    svc = IntakeService(encounters, station_store.patients, "cab", today=lambda: date(2026, 1, 5))
    return svc, encounters


async def test_keystrokes_are_saved_once_after_the_debounce(service, station_store):
    svc, counting = service
    ctx = svc.start(IntakeContext())
    before = counting.saves
    for i in range(1, 7):
        svc.update(ctx, "form", "birth_name", "DUPONT"[:i])
    assert counting.saves == before  # nothing written while typing
    await asyncio.sleep(DRAFT_DEBOUNCE_S + 0.2)
    assert counting.saves == before + 1
    draft = station_store.encounters.load_draft(ctx.encounter_id)
    assert draft.data["form"]["birth_name"] == "DUPONT" and draft.step == "patient"


async def test_identify_twice_after_resume_keeps_one_patient(service, station_store):
    svc, _ = service
    ctx = svc.start(IntakeContext())
    for name, value in FORM.items():
        svc.update(ctx, "form", name, value)
    svc.update(ctx, "situation", "ehpad_resident", True)
    svc.identify(ctx)
    resumed = svc.resume(ctx.encounter_id, IntakeContext())
    assert resumed.step == "consent" and resumed.state == "identified"
    assert resumed.form == FORM and resumed.situation == {"ehpad_resident": True}
    svc.identify(resumed)  # going through the patient screen again
    assert resumed.patient_id == ctx.patient_id
    assert resumed.eligibility is not None and resumed.eligibility.in_parcours


def test_incomplete_identity_is_refused_and_nothing_attached(service, station_store):
    svc, _ = service
    ctx = svc.start(IntakeContext())
    svc.update(ctx, "form", "birth_name", "DUPONT")
    with pytest.raises(IntakeError) as info:
        svc.identify(ctx)
    assert "Identity incomplete" in info.value.message("en")
    assert station_store.encounters.get(ctx.encounter_id).patient_id is None
    assert "birth_date" in svc.check(ctx).errors


def test_representative_must_be_named(service):
    svc, _ = service
    ctx = svc.start(IntakeContext())
    for name, value in FORM.items():
        svc.update(ctx, "form", name, value)
    svc.identify(ctx)
    from telecabine.domain.errors import DomainError

    with pytest.raises(DomainError):
        svc.record_consent(ctx, "given", "legal_representative", None)
    assert svc.record_consent(ctx, "given", "legal_representative", "Paul Dupont")
    assert ctx.state == "consented"
