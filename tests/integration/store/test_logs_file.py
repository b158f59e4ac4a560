"""A distinctive patient's name, NIR and date of birth never reach the log file or stderr."""

from __future__ import annotations

import io
import logging

import pytest

from telecabine.config import load_settings
from telecabine.logs import SensitiveRegistry, register_sensitive, setup_logging, teardown_logging


@pytest.fixture
def logging_setup(data_dir):
    registry = SensitiveRegistry()
    stderr = io.StringIO()
    path = setup_logging(
        load_settings(data_dir=data_dir, log_level="DEBUG"), stream=stderr, registry=registry
    )
    yield path, stderr, registry
    teardown_logging()


def test_patient_data_absent_from_file_and_stderr(logging_setup, distinctive) -> None:
    path, stderr, registry = logging_setup
    register_sensitive(distinctive["birth_name"], registry)
    register_sensitive(distinctive["first_names"], registry)
    log = logging.getLogger("telecabine.test")
    dob = distinctive["birth_date"].strftime("%d/%m/%Y")
    log.info("identified %s %s", distinctive["birth_name"], distinctive["first_names"])
    log.warning("nir %s dob %s", distinctive["nir"], dob, extra={"note": "douleur thoracique"})
    logging.getLogger("aiohttp.access").error("GET /?q=%s", distinctive["birth_name"].upper())
    try:
        raise ValueError(f"bad identity {distinctive['birth_name']} {distinctive['nir']}")
    except ValueError:
        log.exception("intake failed for %s", distinctive["first_names"])
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8") + stderr.getvalue()
    assert "identified" in text and "intake failed" in text and "ValueError" in text
    for needle in (
        distinctive["birth_name"],
        distinctive["birth_name"].upper(),
        "Ermengarde",
        "Philomène",
        distinctive["nir"],
        dob,
        "thoracique",
    ):
        assert needle not in text


def test_log_file_is_json_lines_and_rotates(data_dir) -> None:
    import json

    path = setup_logging(
        load_settings(data_dir=data_dir), stream=io.StringIO(), max_bytes=2000, backup_count=2
    )
    try:
        for i in range(100):
            logging.getLogger("telecabine.rot").info("line %d", i, extra={"encounter_id": "e1"})
        for h in logging.getLogger().handlers:
            h.flush()
        lines = path.read_text(encoding="utf-8").splitlines()
        entry = json.loads(lines[-1])
        assert entry["msg"] == "line 99" and entry["encounter_id"] == "e1"
        assert path.with_name(path.name + ".1").exists()
        assert not path.with_name(path.name + ".3").exists()
    finally:
        teardown_logging()


def test_names_read_from_the_store_are_redacted_without_intake_registering(
    station_store, data_dir, t0
) -> None:
    from datetime import date

    from telecabine.logs import DEFAULT_REGISTRY

    stderr = io.StringIO()
    path = setup_logging(load_settings(data_dir=data_dir), stream=stderr)  # default registry
    try:
        station_store.patients.create(
            birth_name="Vorbelquint", first_names="Aldegonde", birth_date=date(1950, 1, 1),
            sex="F", now=t0,
        )  # fmt: skip
        logging.getLogger("telecabine.t").warning("oops Vorbelquint Aldegonde")
        for h in logging.getLogger().handlers:
            h.flush()
        text = path.read_text(encoding="utf-8") + stderr.getvalue()
        assert "oops" in text and "Vorbelquint" not in text and "Aldegonde" not in text
    finally:
        teardown_logging()
        DEFAULT_REGISTRY.clear()
