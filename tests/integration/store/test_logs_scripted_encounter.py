"""A full scripted encounter with a distinctive patient, SQL logging on at DEBUG: zero hits of
the patient's name, NIR or date of birth in every log file and on stderr (issue 9 item 5)."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from telecabine.config import load_settings
from telecabine.logs import SensitiveRegistry, register_sensitive, setup_logging, teardown_logging

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT = {
    "birth_name": "Quillebeufzac",
    "first_names": "Anthelme Prudence",
    "birth_date": date(1941, 7, 23),
    "nir": "141072A00108841",
}


@pytest.fixture
def logged(data_dir):
    registry = SensitiveRegistry()
    stderr = io.StringIO()  # what the stderr handler writes
    path = setup_logging(
        load_settings(data_dir=data_dir, log_level="DEBUG"), stream=stderr, registry=registry
    )
    sql_logger = logging.getLogger("sqlalchemy.engine")
    old_level = sql_logger.level
    sql_logger.setLevel(logging.INFO)  # every statement and its parameters: the worst case
    yield path, registry, stderr
    sql_logger.setLevel(old_level)
    teardown_logging()


def test_scripted_encounter_leaves_no_patient_data_in_logs(station_store, logged) -> None:
    from telecabine.services.staff import StaffService
    from telecabine.services.wrapup import (
        DISINFECTION_CHECKLIST,
        Disinfection,
        WrapUpForm,
        WrapUpService,
    )

    path, registry, stderr = logged
    log = logging.getLogger("telecabine.scripted")
    store = station_store

    staff = StaffService(store, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    admin = staff.create_first_admin("claire", "Claire Dubois", "482913", rpps="10000000002")
    staff.sign_in("claire", "482913", now=NOW)

    # Intake: the screen registers what it reads before anything can log it.
    for value in (PATIENT["birth_name"], PATIENT["first_names"]):
        register_sensitive(value, registry)
    p = store.patients.create(sex="M", now=NOW, **PATIENT)
    enc = store.encounters.create("cabine-test", staff_id=admin.id, now=NOW)
    log.info("intake saved for %s %s", PATIENT["birth_name"], PATIENT["nir"])
    store.encounters.save_draft(enc.id, "identity", {"patient": PATIENT}, now=NOW)
    store.encounters.attach_patient(enc.id, p.id, now=NOW)
    store.encounters.add_consent(
        enc.id, kind="teleconsultation", granted=True, text_version="2026-01", now=NOW
    )
    store.encounters.add_observation(
        enc.id, code="8310-5", value=38.4, unit="Cel", method="device:thermo-1",
        flag="high", measured_at=NOW,
    )  # fmt: skip
    pdf = b"%PDF-1.4 Ordonnance pour Quillebeufzac Anthelme\n%%EOF"
    store.encounters.add_document(
        enc.id, kind="prescription", filename="ordonnance.pdf", content=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(), now=NOW,
    )  # fmt: skip
    for state in ("identified", "consented", "measuring", "in_call", "wrap_up"):
        store.encounters.set_state(enc.id, state, now=NOW)
    summary = {
        "v": 1, "type": "end_call", "act_code": "TCG", "outcome": "prescription",
        "note": "Angine, revoir si fièvre.",
        "doctor": {"name": "Dr Paul Lefèvre", "rpps": "10000000001",
                   "specialty": "Médecine générale"},
    }  # fmt: skip
    store.encounters.save_draft(enc.id, "call", {"doctor_summary": summary}, now=NOW)
    log.warning(
        "doctor note received", extra={"note": "patient Quillebeufzac se plaint", "eid": enc.id}
    )

    wrap = WrapUpService(store, station_id="cabine-test", clock=lambda: NOW + timedelta(minutes=30))
    ctx = wrap.load(enc.id)
    items = tuple(k for k, _, _ in DISINFECTION_CHECKLIST)
    form = WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        staff_rpps="10000000002", printed_document_ids=[d.id for d in ctx.documents],
        disinfection=Disinfection(items, NOW, "Claire Dubois"),
    )  # fmt: skip
    closed = wrap.close(enc.id, form)
    try:
        raise ValueError(f"printer jammed on {PATIENT['birth_name']} born 23/07/1941")
    except ValueError:
        log.exception("print failed")
    staff.sign_out(admin.id, now=NOW)
    assert closed.record_uuid and store.audit.verify_chain() is None

    for h in logging.getLogger().handlers:
        h.flush()
    texts = [f.read_text(encoding="utf-8") for f in path.parent.iterdir() if f.is_file()]
    texts.append(stderr.getvalue())
    everything = "\n".join(texts)
    assert "INSERT INTO patient" in everything  # the SQL log really ran
    assert "print failed" in everything and "intake saved" in everything
    needles = [
        PATIENT["birth_name"], PATIENT["birth_name"].upper(), PATIENT["birth_name"].lower(),
        "Anthelme", "ANTHELME", "Prudence", PATIENT["nir"], "1941-07-23", "23/07/1941",
        "se plaint", "$argon2",
    ]  # fmt: skip
    hits = [n for n in needles if n in everything]
    assert hits == []
