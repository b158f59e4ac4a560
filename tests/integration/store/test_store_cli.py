"""``telecabine store rekey``, ``audit verify`` and ``purge --dry-run`` end to end."""

from __future__ import annotations

from telecabine import cli


def _run(capsys, data_dir, *argv: str) -> tuple[int, str]:
    rc = cli.main(["--data-dir", str(data_dir), *argv])
    return rc, capsys.readouterr().out


def test_audit_verify_ok_then_broken(station_store, data_dir, capsys, t0) -> None:
    station_store.audit.record("staff:1", "sign_in", now=t0)
    station_store.audit.record("staff:1", "sign_out", now=t0)
    station_store.close()
    rc, out = _run(capsys, data_dir, "audit", "verify")
    assert rc == 0 and "intact" in out
    head = out.strip().splitlines()[-1].removeprefix("head ")
    rc, out = _run(capsys, data_dir, "audit", "verify", "--known-head", head)
    assert rc == 0
    from telecabine.config import load_settings
    from telecabine.store import open_store

    store = open_store(load_settings(data_dir=data_dir))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor='staff:2' WHERE seq=1")
    store.close()
    rc, out = _run(capsys, data_dir, "audit", "verify")
    assert rc == 3 and "entrée 1 " in out and "rompu" in out
    rc, _ = _run(capsys, data_dir, "audit", "verify", "--known-head", "nonsense")
    assert rc == 1


def test_purge_dry_run_then_purge_and_rekey(patient_encounter, data_dir, capsys, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.set_state(e.id, "abandoned", now=t0, abandon_reason="left")
    kept = store.encounters.create("cab")  # open: never purged
    store.close()
    rc, out = _run(capsys, data_dir, "purge", "--dry-run", "--retention-days", "30")
    assert rc == 0 and ": 1 " in out and e.id in out and kept.id not in out
    assert "Zyxquorbelin" not in out and "would be purged" in out
    rc, out = _run(capsys, data_dir, "purge")
    assert rc == 0 and e.id in out and "patients: 1" in out
    rc, out = _run(capsys, data_dir, "purge", "--dry-run")
    assert ": 0 " in out
    rc, out = _run(capsys, data_dir, "store", "rekey")
    assert rc == 0 and "rotated" in out
    rc, out = _run(capsys, data_dir, "audit", "verify")
    assert rc == 0 and "(2)" in out  # purge + rekey entries
