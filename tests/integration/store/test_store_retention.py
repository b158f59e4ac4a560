"""Retention with a fake clock: synced and old goes, unsynced or recent stays; audited."""

from __future__ import annotations

from datetime import date, timedelta

from telecabine.store.retention import purge


def _closed_encounter(store, t, uuid, *, synced: bool, name="Ancien"):
    p = store.patients.create(
        birth_name=name, first_names="X", birth_date=date(1950, 1, 1), sex="M", now=t
    )
    e = store.encounters.create("cab", now=t)
    store.encounters.attach_patient(e.id, p.id, now=t)
    store.encounters.add_observation(
        e.id, code="8867-4", value=70, unit="/min", method="manual", measured_at=t
    )
    store.encounters.add_document(
        e.id, kind="prescription", filename="o.pdf", content=b"%PDF", now=t
    )
    store.encounters.close_with_billing(e.id, {"n": uuid}, uuid, now=t)
    if synced:
        store.outbox.mark_sent([uuid], now=t + timedelta(hours=1))
    return e


def test_purge_keeps_unsynced_and_recent(station_store, t0) -> None:
    s = station_store
    old_synced = _closed_encounter(s, t0, "u-old-synced", synced=True, name="Premier")
    old_unsynced = _closed_encounter(s, t0, "u-old-unsynced", synced=False, name="Second")
    later = t0 + timedelta(days=20)
    recent_synced = _closed_encounter(s, later, "u-recent", synced=True, name="Troisieme")
    abandoned = s.encounters.create("cab", now=t0)
    s.encounters.set_state(abandoned.id, "abandoned", now=t0, abandon_reason="left")
    open_one = s.encounters.create("cab", now=t0)

    now = t0 + timedelta(days=31)
    dry = purge(s, retention_days=30, now=now, dry_run=True)
    assert set(dry.encounter_ids) == {old_synced.id, abandoned.id}
    assert dry.counts["documents"] == 1 and dry.counts["observations"] == 1
    assert dry.counts["patients"] == 1
    assert s.encounters.get(old_synced.id)  # dry run removed nothing
    assert s.audit.count() == 3  # three closings, no purge entry

    done = purge(s, retention_days=30, now=now)
    assert set(done.encounter_ids) == {old_synced.id, abandoned.id}
    assert done.counts == dry.counts
    remaining = {e.encounter_id for e in s.encounters.search("premier")}
    assert remaining == set()
    assert s.patients.search_by_name("premier") == []
    for kept in (old_unsynced, recent_synced, open_one):
        assert s.encounters.get(kept.id)
    assert s.outbox.counts().pending == 1
    last = s.audit.entries()[-1]
    assert last.action == "purge" and '"encounters":2' in last.details_json
    assert s.audit.verify_chain() is None

    # Later on, the recent one ages out too; the unsynced one still never goes.
    again = purge(s, retention_days=30, now=later + timedelta(days=31))
    assert again.encounter_ids == [recent_synced.id]
    assert s.encounters.get(old_unsynced.id)
