"""The patient-data filter's text rules (pure: no file, no handler)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.logs import REDACTED, PatientDataFilter, SensitiveRegistry, redact


@pytest.mark.parametrize(
    "nir",
    ["185057800608436", "1 85 05 78 006 084 36", "2 37 11 2A 123 456 29", "237112B12345629"],
)
def test_nir_like_numbers_redacted(nir: str) -> None:
    out = redact(f"patient nir={nir} ok", SensitiveRegistry())
    assert nir not in out and REDACTED in out and out.endswith(" ok")


@pytest.mark.parametrize("dob", ["29/11/1937", "29-11-1937", "1.2.1950", "1937-11-29"])
def test_dates_of_birth_redacted(dob: str) -> None:
    assert dob not in redact(f"born {dob}", SensitiveRegistry())


def test_timestamps_and_ordinary_numbers_survive() -> None:
    text = "at 2026-11-23T07:28:47Z seq=123456 took 1763884800123 ms, 2026-11-23 07:28:47"
    assert redact(text, SensitiveRegistry()) == text


def test_registered_names_redacted_case_and_accent_insensitive() -> None:
    reg = SensitiveRegistry()
    reg.register("Éloïse-Marie")
    reg.register("de Zyxquorbelin")
    out = redact("ELOISE-marie and eloïse and Zyxquorbelin; relevant de", reg)
    assert "ELOISE" not in out and "eloïse" not in out and "Zyxquorbelin" not in out
    assert "relevant de" in out  # short particle not registered alone; no partial-word hits


def test_registry_is_bounded() -> None:
    reg = SensitiveRegistry(max_items=3)
    for name in ("Aaaa", "Bbbb", "Cccc", "Dddd"):
        reg.register(name)
    assert redact("Aaaa Dddd", reg) == f"Aaaa {REDACTED}"


def test_filter_redacts_args_extras_and_free_text() -> None:
    reg = SensitiveRegistry()
    reg.register("Zyxquorbelin")
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "hello %s %s", ("Zyxquorbelin", "29/11/1937"), None
    )
    record.note = "patient says chest pain"
    record.who = {"name": "Zyxquorbelin"}
    record.encounter_id = "abc"
    assert PatientDataFilter(reg).filter(record)
    assert "Zyxquorbelin" not in record.getMessage() and "1937" not in record.getMessage()
    assert record.note == REDACTED and record.who == {"name": REDACTED}
    assert record.encounter_id == "abc"


@given(st.text(alphabet="0123456789 AB", min_size=0, max_size=40))
def test_redact_never_raises_and_is_idempotent(text: str) -> None:
    once = redact(text, SensitiveRegistry())
    assert redact(once, SensitiveRegistry()) == once
