"""Encounter repository: states, crash-safe draft, search, atomic close with billing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from telecabine.store import IntegrityProblem, NotFoundError
from telecabine.store.tables import BillingRecordRow, OutboxEntry

UUID1 = "6f1c2a52-8a55-4d2b-9b55-0a0e4c1b0001"


def test_state_changes_and_abandon_needs_reason(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.set_state(e.id, "identified", now=t0)
    with pytest.raises(IntegrityProblem):
        store.encounters.set_state(e.id, "consented", now=t0, expected_from="created")
    with pytest.raises(ValueError):
        store.encounters.set_state(e.id, "teleported", now=t0)
    with pytest.raises(IntegrityProblem):
        store.encounters.set_state(e.id, "abandoned", now=t0)
    done = store.encounters.set_state(e.id, "abandoned", now=t0, abandon_reason="patient_left")
    assert (done.state, done.abandon_reason, done.closed_at) == ("abandoned", "patient_left", t0)


def test_draft_survives_a_reopen_and_encounter_is_resumable(data_dir, t0) -> None:
    from telecabine.config import load_settings
    from telecabine.store import open_store

    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True)
    store = open_store(settings)
    e = store.encounters.create("cab", now=t0)
    store.encounters.save_draft(e.id, "identity", {"birth_name": "Martin", "n": 3}, now=t0)
    # No close(): simulate a crash by dropping the engine without checkpoint.
    store.engine.dispose()
    again = open_store(settings)
    try:
        resumable = again.encounters.find_resumable("cab")
        assert [r.id for r in resumable] == [e.id]
        draft = again.encounters.load_draft(e.id)
        assert (draft.step, draft.data) == ("identity", {"birth_name": "Martin", "n": 3})
    finally:
        again.close()


def test_search_by_name_prefix_nir_and_dates(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    other = store.patients.create(
        birth_name="Zyxa", first_names="Paul", birth_date=date(1990, 5, 6), sex="M", now=t0
    )
    e2 = store.encounters.create("cab", now=t0 + timedelta(days=3))
    store.encounters.attach_patient(e2.id, other.id)
    assert [h.encounter_id for h in store.encounters.search("zyxq")] == [e.id]
    assert {h.encounter_id for h in store.encounters.search("ZYX")} == {e.id, e2.id}
    assert [h.encounter_id for h in store.encounters.search("zyx paul")] == [e2.id]
    assert [h.encounter_id for h in store.encounters.search("zyxquorbelin ermen")] == [e.id]
    assert [h.encounter_id for h in store.encounters.search("2 37 11 2A")] == [e.id]
    assert [h.encounter_id for h in store.encounters.search("29/11/1937")] == [e.id]
    day2 = (t0 + timedelta(days=3)).date().isoformat()
    assert [h.encounter_id for h in store.encounters.search(day2)] == [e2.id]
    assert store.encounters.search("   ") == []
    hit = store.encounters.search("Zyxq")[0]
    assert hit.birth_name == "Zyxquorbelin" and hit.birth_date == date(1937, 11, 29)


def test_close_with_billing_writes_record_and_outbox_together(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.close_with_billing(e.id, {"amount": "25.00"}, UUID1, now=t0)
    assert store.encounters.get(e.id).state == "closed"
    due = store.outbox.pending(now=t0)
    assert [(d.record_uuid, d.payload) for d in due] == [(UUID1, {"amount": "25.00"})]
    with pytest.raises(IntegrityProblem):
        store.encounters.close_with_billing(e.id, {}, "other-uuid", now=t0)


def test_close_with_billing_is_atomic_on_failure(patient_encounter, t0, monkeypatch) -> None:
    store, _, e = patient_encounter

    def boom(*_a, **_k):
        raise RuntimeError("power cut between the two inserts")

    # Fail after the billing record and outbox rows were flushed, inside the transaction.
    monkeypatch.setattr("telecabine.store.repositories.encounters.append_in", boom)
    with pytest.raises(RuntimeError):
        store.encounters.close_with_billing(e.id, {"amount": "25.00"}, UUID1, now=t0)
    with store.read() as s:
        assert s.exec(select(BillingRecordRow)).all() == []
        assert s.exec(select(OutboxEntry)).all() == []
    assert store.encounters.get(e.id).state == "created"


def test_duplicate_record_uuid_leaves_nothing(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.close_with_billing(e.id, {"a": "1"}, UUID1, now=t0)
    e2 = store.encounters.create("cab", now=t0)
    with pytest.raises(IntegrityProblem):  # duplicate record uuid -> refused, e2 untouched
        store.encounters.close_with_billing(e2.id, {"a": "2"}, UUID1, now=t0)
    assert store.encounters.get(e2.id).state == "created"
    assert store.outbox.counts().pending == 1


def test_observations_incidents_documents(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.add_observation(
        e.id,
        code="8310-5",
        value=38.4,
        unit="Cel",
        method="device:therm-1",
        measured_at=t0,
        flag="high",
    )
    with pytest.raises(ValueError):
        store.encounters.add_observation(
            e.id, code="8310-5", value=1, unit="Cel", method="guess", measured_at=t0
        )
    store.encounters.add_incident(e.id, "video_lost", "ice failed", now=t0)
    pdf = b"%PDF-1.7 test"
    with pytest.raises(IntegrityProblem):
        store.encounters.add_document(
            e.id, kind="prescription", filename="o.pdf", content=pdf, sha256="00" * 32
        )
    doc = store.encounters.add_document(e.id, kind="prescription", filename="o.pdf", content=pdf)
    store.encounters.mark_printed(doc.id, now=t0)
    assert store.encounters.get_document(doc.id).content == pdf
    assert store.encounters.get_document(doc.id).printed_at == t0
    assert [o.value for o in store.encounters.observations(e.id)] == [38.4]
    assert [i.kind for i in store.encounters.incidents(e.id)] == ["video_lost"]
    with pytest.raises(NotFoundError):
        store.encounters.add_incident("no-such-encounter", "x")


def test_checked_transitions_follow_the_domain_state_machine(patient_encounter, t0) -> None:
    from telecabine.domain.encounter import IllegalTransition

    store, _, e = patient_encounter
    with pytest.raises(IllegalTransition):
        store.encounters.set_state(e.id, "in_call", now=t0, check_transition=True)
    assert store.encounters.get(e.id).state == "created"
    for state in ("identified", "consented", "in_call", "wrap_up"):
        store.encounters.set_state(e.id, state, now=t0, check_transition=True)
    store.encounters.set_state(
        e.id, "abandoned", now=t0, abandon_reason="patient_left", check_transition=True
    )
    with pytest.raises(IllegalTransition):
        store.encounters.set_state(e.id, "closed", now=t0, check_transition=True)


def test_transitions_are_checked_by_default(patient_encounter, t0) -> None:
    from telecabine.domain.encounter import IllegalTransition

    store, _, e = patient_encounter
    with pytest.raises(IllegalTransition):
        store.encounters.set_state(e.id, "consented", now=t0)  # skips "identified"
    store.encounters.set_state(e.id, "abandoned", now=t0, abandon_reason="patient_left")
    with pytest.raises(IllegalTransition):  # a terminal state stays terminal
        store.encounters.set_state(e.id, "identified", now=t0)
    assert store.encounters.get(e.id).state == "abandoned"
