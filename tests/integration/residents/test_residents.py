"""EHPAD residents: admitted with a validated identity (one transaction with the médecin
traitant), found by name or room, consent on file with its renewal, and an encounter started
from a resident gets the EHPAD parcours exception."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from telecabine.domain.eligibility import evaluate
from telecabine.services.intake import situation_of
from telecabine.services.residents import ResidentError, ResidentService

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FORM = {"birth_name": "Martin", "first_names": "Jeanne Marie", "birth_date": "12/05/1938",
        "sex": "F", "nir": "238057512345638", "birth_place_insee": "75112"}  # fmt: skip


def _svc(store) -> ResidentService:
    return ResidentService(store, clock=lambda: NOW)


def _valid_nir(body13: str) -> str:
    return body13 + f"{97 - int(body13) % 97:02d}"


def test_admit_search_consent_and_prefill(station_store) -> None:
    svc = _svc(station_store)
    form = dict(FORM, nir=_valid_nir("2380575123456"))
    rid = svc.admit(form, room="12 b", unit="Les Tilleuls", ald=True,
                    medecin_traitant={"name": "Dr Anne Durand", "rpps": "10003456789",
                                      "email": "anne.durand@medecin.mssante.fr"})  # fmt: skip
    (line,) = svc.search("12B")
    assert line.resident_id == rid and line.room == "12 b" and line.consent_due
    assert line.medecin_traitant == "Dr Anne Durand"
    assert [x.resident_id for x in svc.search("mart")] == [rid]
    assert svc.search("dupont") == []
    renew = svc.record_consent(rid, "trusted_person")
    assert renew.year == 2027 and not svc.search("12")[0].consent_due
    pre = svc.intake_prefill(rid)
    assert pre.form["birth_date"] == "12/05/1938" and pre.form["birth_name"] == "Martin"
    assert pre.situation == {"ehpad_resident": True, "has_medecin_traitant": True, "ald": True}
    verdict = evaluate(situation_of(pre.situation, None), NOW.date())
    assert verdict.in_parcours  # the EHPAD exception applies
    contact = station_store.care_contacts.medecin_traitant(pre.patient_id)
    assert contact.email == "anne.durand@medecin.mssante.fr"


def test_bad_identity_or_room_is_refused_and_nothing_saved(station_store) -> None:
    svc = _svc(station_store)
    with pytest.raises(ResidentError) as err:
        svc.admit(dict(FORM, nir="238057512345600"), room="3")
    assert err.value.field == "nir"
    with pytest.raises(ResidentError) as err:
        svc.admit(dict(FORM, nir=_valid_nir("2380575123456")), room=" ")
    assert err.value.field == "room"
    assert svc.search("") == []
    assert station_store.patients.search_by_name("MARTIN") == []


def test_search_at_two_thousand_residents_is_indexed(station_store) -> None:
    """Functional check at scale (the timing goal lives in bench/, not here): 2,000 residents,
    name and room prefix searches return the right rows."""
    repo = station_store.residents
    for i in range(2000):
        repo.create_with_patient(
            {"birth_name": f"NOM{i:04d}", "first_names": "Paul", "sex": "M",
             "birth_date": datetime(1930 + i % 60, 1 + i % 12, 1 + i % 28).date()},
            room=f"{100 + i}", now=NOW,
        )  # fmt: skip
    svc = _svc(station_store)
    t0 = time.perf_counter()
    by_name = svc.search("NOM0042")
    by_room = svc.search("1042")
    elapsed = time.perf_counter() - t0
    assert [x.display_name for x in by_name] == ["NOM0042 Paul"]
    assert [x.room for x in by_room] == ["1042"]
    assert len(svc.search("", limit=30)) == 30
    print(f"two searches at 2,000 residents: {elapsed * 1000:.1f} ms")
