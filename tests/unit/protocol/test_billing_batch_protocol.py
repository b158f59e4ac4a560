"""Batch envelope of the billing ingest (v1) and the hub's per-record preparation (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_billing_protocol import sample

from telecabine.hub.billing_batch import prepare
from telecabine.protocol.billing import (
    BATCH_HTTP_STATUS,
    MAX_BATCH_RECORDS,
    BatchRequest,
    BatchResponse,
    BillingRecord,
)

KEY = "4f6d1f1e-8f5e-4c1e-9f55-0d7f0b8f8c11"


def test_envelope_limits_and_version():
    item = {"idempotency_key": KEY, "record": sample()}
    assert len(BatchRequest.model_validate({"v": 1, "records": [item]}).records) == 1
    bad = [
        {"v": 2, "records": [item]},
        {"v": 1, "records": []},
        {"v": 1, "records": [item] * (MAX_BATCH_RECORDS + 1)},
        {"v": 1, "records": [item], "extra": 1},
        {"v": 1, "records": [{"idempotency_key": KEY}]},
        {"v": 1, "records": [{"idempotency_key": KEY, "record": [1]}]},
    ]
    for body in bad:
        with pytest.raises(ValidationError):
            BatchRequest.model_validate(body)


def test_answer_model_round_trip():
    body = {"v": 1, "results": [{"index": 0, "idempotency_key": KEY, "outcome": "replayed",
                                 "status": 200, "received_at": "2026-11-23T08:00:01+00:00"}]}  # fmt: skip
    assert BatchResponse.model_validate(body).results[0].status == 200
    with pytest.raises(ValidationError):
        BatchResponse.model_validate({"v": 1, "results": [{**body["results"][0], "outcome": "x"}]})
    assert BATCH_HTTP_STATUS == {"created": 201, "replayed": 200, "conflict": 409,
                                 "invalid": 422, "forbidden": 403}  # fmt: skip


def test_prepare_gives_the_single_endpoint_digest_or_a_typed_answer():
    ready = prepare(0, KEY, sample(), "cabine-1")
    # Same canonical body as the single-record endpoint: a record sent one way and replayed
    # the other way is recognised as the same record.
    assert ready.body == BillingRecord.model_validate(sample()).canonical_json()
    assert prepare(3, KEY, sample(), "cabine-2")["outcome"] == "forbidden"
    wrong_key = prepare(1, "5f6d1f1e-8f5e-4c1e-9f55-0d7f0b8f8c11", sample(), "cabine-1")
    assert wrong_key["status"] == 422
    assert wrong_key["error"]["fields"][0]["loc"] == ["records", "1", "record", "record_uuid"]
    invalid = prepare(2, KEY, sample(currency="USD"), "cabine-1")
    assert invalid["error"]["fields"][0]["loc"] == ["records", "2", "record", "currency"]
    assert "USD" not in str(invalid)  # input values are never echoed
    assert prepare(0, "nope", sample(), "cabine-1")["error"]["fields"][0]["type"] == "uuid"
