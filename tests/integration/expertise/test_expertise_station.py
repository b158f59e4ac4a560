"""Télé-expertise end to end without a browser: a station queues a request with two
full-resolution photos while the hub is down; it arrives exactly once when the hub is back;
the expert answers; the station keeps the answer, its PDF and the TE2/RQD acts; a fifth request
in the year for the same patient and expert comes back refused with the reason."""

from __future__ import annotations

import base64
import socket
from datetime import date

import aiohttp
import pytest
from sqlalchemy import func, select

from telecabine.devices.still import SIM_STILL_SIZE, simulated_still
from telecabine.hub.config import HubSettings
from telecabine.hub.expertise import expertise_photos, expertise_requests
from telecabine.hub.server import create_doctor, register_station, start_hub
from telecabine.hub.state import HUB
from telecabine.services.expertise import (
    ExpertiseInputError,
    ExpertiseService,
    ExpertiseSyncWorker,
    RequesterInfo,
)
from telecabine.sync.expertise_client import ExpertiseClient

PASSWORD = "correct-horse-battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def patient_id(station_store) -> int:
    p = station_store.patients.create(
        birth_name="MARTIN", first_names="Jeanne", birth_date=date(1948, 5, 12), sex="F",
        nir="248057512345690",
    )  # fmt: skip
    return p.id


def _service(store) -> ExpertiseService:
    return ExpertiseService(store, station_id="cabine-test")


def _ask(service, patient_id, stills) -> str:
    return service.create(
        patient_id=patient_id, question="Escarre talon droit : stade et soins ?",
        urgency="routine", expert_username="derma", stills=stills,
        requester=RequesterInfo("Claire Dubois", "nurse", "10000000002"),
    )  # fmt: skip


async def test_offline_request_arrives_once_and_the_answer_comes_back(
    station_store, patient_id, tmp_path
) -> None:
    stills = [simulated_still("dermatoscope", 0.0), simulated_still("document", 1.0)]
    assert (stills[0].width, stills[0].height) == SIM_STILL_SIZE
    service = _service(station_store)
    u = _ask(service, patient_id, stills)
    port = _free_port()
    hub_url = f"http://127.0.0.1:{port}"
    worker = ExpertiseSyncWorker(station_store, ExpertiseClient(hub_url, "pending-token"))
    first = await worker.sync_once()  # hub down: kept, retried later
    assert first.sent == 0
    assert station_store.expertise.get(u).status == "pending"
    assert station_store.expertise.get(u).attempts == 1
    await worker.aclose()

    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path,
        host="127.0.0.1", port=port,
    )  # fmt: skip
    hub = await start_hub(settings, host="127.0.0.1", port=port)
    try:
        engine = hub.app[HUB].engine
        token = await register_station(engine, "cabine-test")
        await create_doctor(engine, username="derma", password=PASSWORD, name="Dr Derma",
                            rpps="10000000009", specialty="Dermatologie")  # fmt: skip
        worker = ExpertiseSyncWorker(station_store, ExpertiseClient(hub_url, token))
        station_store.expertise.mark_retry(u, "test: due now", station_store_now())
        assert (await worker.sync_once()).sent == 1
        assert (await worker.sync_once()).sent == 0  # exactly once
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(expertise_requests))
                    ).scalar_one() == 1  # fmt: skip
            sizes = (await conn.execute(
                select(func.length(expertise_photos.c.content)))).scalars().all()  # fmt: skip
        assert sorted(sizes) == sorted(len(s.jpeg) for s in stills)

        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as doc:
            async with doc.post(
                f"{hub_url}/login", json={"username": "derma", "password": PASSWORD}
            ) as r:
                assert r.status == 200
            pdf = b"%PDF-1.4\n% avis\n%%EOF\n"
            async with doc.post(f"{hub_url}/api/v1/expertise/{u}/answer", json={
                "text": "Stade 2. Hydrocolloïde, décharge du talon.", "outcome": "answered",
                "pdf_b64": base64.b64encode(pdf).decode()}) as r:  # fmt: skip
                assert r.status == 200, await r.text()
        got = await worker.sync_once()
        assert got.answers == 1
        (view,) = service.recent()
        assert view.status == "answered" and "Hydrocolloïde" in view.answer.text
        assert [a.code for a in view.answer.acts] == ["TE2", "RQD"]
        assert service.answer_pdf(u) == pdf
        assert (await worker.sync_once()).answers == 0  # not fetched twice

        for _ in range(3):  # requests 2..4 of the year for this patient and expert
            _ask(service, patient_id, [])
        fifth = _ask(service, patient_id, [])
        await worker.sync_once()
        row = station_store.expertise.get(fifth)
        assert row.status == "refused"
        view = next(v for v in service.recent() if v.request_uuid == fifth)
        assert "au plus 4 par an" in view.refusal_fr and "Limit reached" in view.refusal_en
        await worker.aclose()
    finally:
        await hub.stop()


def station_store_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_request_without_a_question_is_refused_before_it_is_queued(
    station_store, patient_id
) -> None:
    with pytest.raises(ExpertiseInputError) as err:
        _service(station_store).create(
            patient_id=patient_id, question="", urgency="routine", expert_username="derma",
            stills=[], requester=RequesterInfo("Claire Dubois", "nurse"),
        )  # fmt: skip
    assert err.value.field == "question"
    assert station_store.expertise.recent() == []
