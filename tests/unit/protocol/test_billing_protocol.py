"""Billing record schema: decimal-string amounts, NIR key, canonical JSON for idempotency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from telecabine.protocol.billing import CSV_COLUMNS, BillingRecord, flatten, nir_key_ok


def valid_nir() -> str:
    body = "1850578006084"
    return body + f"{97 - int(body) % 97:02d}"


def sample(**over):
    rec = {
        "record_uuid": "4f6d1f1e-8f5e-4c1e-9f55-0d7f0b8f8c11",
        "station_id": "cabine-1",
        "encounter_id": "enc-1",
        "created_at": "2026-11-23T08:00:00+00:00",
        "act_date": "2026-11-23",
        "patient": {
            "birth_name": "Durand",
            "first_names": "Élodie Marie",
            "nir": valid_nir(),
            "birth_date": "1985-05-01",
            "rang_gemellaire": None,
        },
        "accompanying": {
            "role": "pharmacist",
            "staff_name": "Ph. Martin",
            "rpps": "10101010101",
            "am_number": None,
            "act_code": "TLM",
            "amount": "5.00",
        },
        "doctor": {
            "name": "Dr Lefèvre",
            "rpps": "10000000001",
            "specialty": "Médecine générale",
            "act_code": "TCG",
            "amount": "25.00",
        },
        "coverage": {
            "amo": "15.50",
            "amc": "7.50",
            "patient": "0.00",
            "participation_forfaitaire": "2.00",
        },
        "exoneration": None,
        "in_parcours": True,
        "currency": "EUR",
    }
    rec.update(over)
    return rec


def test_valid_record_and_canonical_amounts():
    data = sample()
    data["doctor"] = {**data["doctor"], "amount": "25"}
    rec = BillingRecord.model_validate(data)
    assert rec.model_dump(mode="json")["doctor"]["amount"] == "25.00"
    assert rec.canonical_json() == BillingRecord.model_validate(sample()).canonical_json()


def test_float_amount_rejected():
    data = sample()
    data["doctor"] = {**data["doctor"], "amount": 25.0}
    with pytest.raises(ValidationError):
        BillingRecord.model_validate(data)


def test_three_decimals_rejected():
    data = sample()
    data["coverage"] = {**data["coverage"], "amo": "1.005"}
    with pytest.raises(ValidationError):
        BillingRecord.model_validate(data)


def test_nir_key_checked_and_corsica():
    assert nir_key_ok(valid_nir())
    bad = valid_nir()[:13] + "00"
    with pytest.raises(ValidationError):
        BillingRecord.model_validate(sample(patient={**sample()["patient"], "nir": bad}))
    nir = "185052A006084"  # Corsica: 2A -> 19 before computing the key
    key = 97 - int(nir.replace("2A", "19")) % 97
    assert nir_key_ok(nir + f"{key:02d}")
    assert not nir_key_ok(nir + f"{(key % 97) + 1:02d}")


def test_naive_datetime_rejected():
    with pytest.raises(ValidationError):
        BillingRecord.model_validate(sample(created_at="2026-11-23T08:00:00"))


def test_flatten_matches_columns():
    rec = BillingRecord.model_validate(sample())
    row = flatten(rec.model_dump(mode="json"))
    assert len(row) == len(CSV_COLUMNS)
    assert row[CSV_COLUMNS.index("in_parcours")] == "true"
    assert row[CSV_COLUMNS.index("patient.rang_gemellaire")] == ""


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False),
    name=st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
)
def test_canonical_json_round_trips(amount, name):
    data = sample()
    data["doctor"] = {**data["doctor"], "amount": str(amount)}
    data["patient"] = {**data["patient"], "birth_name": name}
    rec = BillingRecord.model_validate(data)
    again = BillingRecord.model_validate_json(rec.model_dump_json())
    assert again == rec
    assert again.canonical_json() == rec.canonical_json()
    assert rec.model_dump(mode="json")["doctor"]["amount"] == f"{amount:.2f}"
