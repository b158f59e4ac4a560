"""Télé-expertise at the hub (SQLite and PostgreSQL): idempotent filing, photos checked against
their SHA-256, only the addressed expert sees and answers, TE2 + RQD recorded on answer, the
fifth request of a year for the same patient and expert refused with the reason."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from datetime import UTC, datetime

from hub_testlib import client

PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 1000 + b"\xff\xd9"


def _request(station: str, expert: str, *, nir: str = "248057512345690", role="pharmacist"):
    return {
        "v": 1, "request_uuid": str(uuid.uuid4()), "station_id": station,
        "created_at": datetime.now(UTC).isoformat(), "expert_username": expert,
        "urgency": "urgent", "question": "Lésion pigmentée du dos, évolution en 3 mois ?",
        "patient": {"birth_name": "MARTIN", "first_names": "Jeanne", "birth_date": "1948-05-12",
                    "sex": "F", "nir": nir},
        "requester": {"name": "Claire Dubois", "role": role, "rpps": "10000000002"},
        "vitals": [{"code": "8310-5", "value": 37.2, "unit": "Cel", "flag": "normal",
                    "measured_at": datetime.now(UTC).isoformat()}],
        "photos": [{"sha256": hashlib.sha256(PHOTO).hexdigest(), "size": len(PHOTO),
                    "width": 3264, "height": 2448, "source": "dermatoscope"}],
    }  # fmt: skip


async def test_request_photo_answer_and_billing(hub_env) -> None:
    await hub_env.doctor("derma", name="Dr Derma")
    await hub_env.doctor("other", name="Dr Other")
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    body = _request(hub_env.station_name, "derma")
    u = body["request_uuid"]
    async with client(headers=auth) as st:
        async with st.post(f"{hub_env.url}/api/v1/expertise", json=body) as r:
            assert r.status == 201, await r.text()
        async with st.post(f"{hub_env.url}/api/v1/expertise", json=body) as r:
            assert r.status == 200  # replay
        changed = dict(body, question="Autre question ?")
        async with st.post(f"{hub_env.url}/api/v1/expertise", json=changed) as r:
            assert r.status == 409
        async with st.put(f"{hub_env.url}/api/v1/expertise/{u}/photos/0", data=b"x" * 10) as r:
            assert r.status == 422  # checksum
        for _ in range(2):  # idempotent
            async with st.put(f"{hub_env.url}/api/v1/expertise/{u}/photos/0", data=PHOTO) as r:
                assert r.status == 200, await r.text()
    async with client() as other:
        await hub_env.login(other, "other")
        async with other.get(f"{hub_env.url}/api/v1/expertise/inbox") as r:
            assert (await r.json())["open"] == []
        async with other.get(f"{hub_env.url}/api/v1/expertise/{u}") as r:
            assert r.status == 404  # not addressed to her
    async with client() as derma:
        await hub_env.login(derma, "derma")
        async with derma.get(f"{hub_env.url}/api/v1/expertise/inbox") as r:
            inbox = await r.json()
        assert [i["request_uuid"] for i in inbox["open"]] == [u]
        async with derma.get(f"{hub_env.url}/api/v1/expertise/{u}/photos/0") as r:
            assert r.status == 200 and await r.read() == PHOTO
        pdf = b"%PDF-1.4\n%answer\n%%EOF\n"
        answer = {"text": "Naevus atypique : exérèse conseillée.", "outcome": "answered",
                  "pdf_b64": base64.b64encode(pdf).decode()}  # fmt: skip
        async with derma.post(f"{hub_env.url}/api/v1/expertise/{u}/answer", json=answer) as r:
            assert r.status == 200, await r.text()
            billed = await r.json()
        async with derma.post(f"{hub_env.url}/api/v1/expertise/{u}/answer", json=answer) as r:
            assert r.status == 409
    assert [a["code"] for a in billed["acts"]] == ["TE2", "RQD"]
    assert billed["acts"][0]["amount"] == "23.00"  # TE2 from 2026-01-01
    async with client(headers=auth) as st, st.get(f"{hub_env.url}/api/v1/expertise/answers",
                      params={"since": "2020-01-01T00:00:00+00:00"}) as r:  # fmt: skip
        got = (await r.json())["answers"]
    assert len(got) == 1 and got[0]["request_uuid"] == u
    assert base64.b64decode(got[0]["pdf_b64"]) == pdf


async def test_fifth_request_of_the_year_refused_with_the_reason(hub_env) -> None:
    await hub_env.doctor("derma", name="Dr Derma")
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    async with client(headers=auth) as st:
        bodies = [_request(hub_env.station_name, "derma") for _ in range(6)]

        async def post(b):
            async with st.post(f"{hub_env.url}/api/v1/expertise", json=b) as r:
                return r.status, await r.json()

        results = await asyncio.gather(*(post(b) for b in bodies))  # concurrent: no 5th slips
        statuses = sorted(s for s, _ in results)
        assert statuses == [201, 201, 201, 201, 422, 422]
        refusal = next(j for s, j in results if s == 422)["error"]
        assert refusal["code"] == "expertise_limit" and refusal["count"] == 4
        assert "au plus 4 par an" in refusal["message_fr"]
        assert "Limit reached" in refusal["message_en"]
        other_patient = _request(hub_env.station_name, "derma", nir="185057800608491")
        async with st.post(f"{hub_env.url}/api/v1/expertise", json=other_patient) as r:
            assert r.status == 201


async def test_care_assistant_request_bills_te2_only(hub_env) -> None:
    await hub_env.doctor("derma", name="Dr Derma")
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    body = _request(hub_env.station_name, "derma", role="care_assistant")
    body["photos"] = []
    async with (
        client(headers=auth) as st,
        st.post(f"{hub_env.url}/api/v1/expertise", json=body) as r,
    ):
        assert r.status == 201
    async with client() as derma:
        await hub_env.login(derma, "derma")
        url = f"{hub_env.url}/api/v1/expertise/{body['request_uuid']}/answer"
        async with derma.post(url, json={"text": "Vu.", "outcome": "needs_teleconsultation"}) as r:
            billed = await r.json()
    assert [a["code"] for a in billed["acts"]] == ["TE2"]
    assert billed["rqd_refused"] == "role_not_eligible"


async def test_fhir_bundle_and_acts_csv_for_the_operator(hub_env) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from hub_testlib import ADMIN_TOKEN

    await hub_env.doctor("derma", name="Dr Derma")
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    body = _request(hub_env.station_name, "derma")
    body["photos"] = []
    body["patient"]["first_names"] = "=HYPERLINK(1)"
    u = body["request_uuid"]
    async with (
        client(headers=auth) as st,
        st.post(f"{hub_env.url}/api/v1/expertise", json=body) as r,
    ):
        assert r.status == 201
    async with client() as derma:
        await hub_env.login(derma, "derma")
        async with derma.post(f"{hub_env.url}/api/v1/expertise/{u}/answer",
                              json={"text": "Avis.", "outcome": "answered"}) as r:  # fmt: skip
            assert r.status == 200
        async with derma.get(f"{hub_env.url}/api/v1/fhir/expertise/{u}") as r:
            assert r.status == 403  # doctors are not "an authorised system"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with client(headers=admin) as op:
        async with op.get(f"{hub_env.url}/api/v1/fhir/expertise/{u}") as r:
            assert r.status == 200
            bundle = await r.json(content_type=None)
        async with op.get(f"{hub_env.url}/api/v1/expertise/acts.csv") as r:
            text = (await r.read()).decode("utf-8-sig")
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Practitioner", "Observation", "DocumentReference"} <= kinds
    assert "urn:oid:1.2.250.1.213.1.4.8" not in str(bundle)  # identity not qualified
    lines = text.strip().splitlines()
    assert [line.split(";")[3] for line in lines[1:]] == ["TE2", "RQD"]
    assert "'=HYPERLINK(1)" in text
