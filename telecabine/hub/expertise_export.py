"""What leaves the hub about télé-expertise, for the operator's systems (admin only).

- ``GET /api/v1/fhir/expertise/{uuid}``: a FHIR R4 Bundle of one answered request (Patient with
  the INS only when the identity was qualified, the vitals sent with it as Observations,
  the expert as Practitioner with her RPPS, the answer as a DocumentReference, with its PDF
  when there is one) — the same mapping as the station's export (``domain.fhir``).
- ``GET /api/v1/expertise/acts.csv?year=YYYY``: the TE2 / RQD acts recorded on answer, ``;``
  separated, UTF-8 with BOM (French Excel), cells that could be read as formulas neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from aiohttp import web
from sqlalchemy import select

from telecabine.domain.fhir import (
    DocumentFacts,
    EncounterFacts,
    PatientFacts,
    ProfessionalFacts,
    VitalFacts,
    encounter_bundle,
)
from telecabine.hub.db import doctors, stations
from telecabine.hub.expertise import expertise_requests
from telecabine.hub.security import ADMIN, json_error, requires
from telecabine.hub.state import HUB

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """CSV cell safe to open in a spreadsheet (OWASP: prefix a formula-looking cell with ')."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@requires(ADMIN)
async def fhir_bundle(request: web.Request) -> web.Response:
    """The FHIR R4 Bundle of one télé-expertise (answered or not)."""
    uuid_text = request.match_info["uuid"]
    async with request.app[HUB].engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    expertise_requests,
                    doctors.c.name,
                    doctors.c.rpps,
                    doctors.c.specialty,
                    stations.c.name.label("station"),
                )
                .join(doctors, doctors.c.id == expertise_requests.c.expert_id)
                .join(stations, stations.c.id == expertise_requests.c.station_id)
                .where(expertise_requests.c.request_uuid == uuid_text)
            )
        ).first()
    if row is None:
        return json_error(404, "not_found", "Demande inconnue / unknown request")
    body = json.loads(row.body)
    p = body["patient"]
    patient = PatientFacts(
        birth_name=p["birth_name"], first_names=p["first_names"],
        birth_date=date.fromisoformat(p["birth_date"]), sex=p["sex"], nir=p.get("nir"),
        ins_status="qualifiee" if p.get("ins_qualified") else "provisoire",
    )  # fmt: skip
    requester = body["requester"]
    documents = []
    if row.answered_at is not None:
        content = row.answer_pdf or row.answer_text.encode("utf-8")
        import hashlib

        documents.append(
            DocumentFacts(
                id=row.request_uuid,
                kind="expertise",
                filename="avis-expert.pdf" if row.answer_pdf else "avis-expert.txt",
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                received_at=_aware(row.answered_at),
            )
        )
    facts = EncounterFacts(
        encounter_id=row.request_uuid, station_id=row.station,
        state="closed" if row.answered_at else "in_progress",
        started_at=datetime.fromisoformat(body["created_at"]),
        ended_at=_aware(row.answered_at) if row.answered_at else None, patient=patient,
        vitals=[VitalFacts(v["code"], v["value"], v["unit"], "manual",
                           datetime.fromisoformat(v["measured_at"]), v.get("flag"))
                for v in body.get("vitals", [])],
        professionals=[ProfessionalFacts(row.name, "doctor", row.rpps, row.specialty),
                       ProfessionalFacts(requester["name"], requester["role"],
                                         requester.get("rpps"))],
        documents=documents, reason=body["question"][:200],
    )  # fmt: skip
    bundle = encounter_bundle(facts, now=datetime.now(UTC))
    return web.json_response(
        bundle, content_type="application/fhir+json", headers={"Cache-Control": "no-store"}
    )


@requires(ADMIN)
async def acts_csv(request: web.Request) -> web.Response:
    """TE2 / RQD acts of a calendar year (default: this one)."""
    try:
        year = int(request.query.get("year") or datetime.now(UTC).year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        return json_error(422, "year", "Année invalide / invalid year")
    async with request.app[HUB].engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    expertise_requests,
                    doctors.c.name,
                    doctors.c.rpps,
                    stations.c.name.label("station"),
                )
                .join(doctors, doctors.c.id == expertise_requests.c.expert_id)
                .join(stations, stations.c.id == expertise_requests.c.station_id)
                .where(expertise_requests.c.answered_at.is_not(None))
                .order_by(expertise_requests.c.answered_at)
            )
        ).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("answered_at", "request_uuid", "station", "act_code", "amount", "biller",
                     "professional", "rpps", "patient_birth_name", "patient_first_names",
                     "patient_nir", "rqd_refused"))  # fmt: skip
    for r in rows:
        answered = _aware(r.answered_at)
        if answered.year != year:
            continue
        body = json.loads(r.body)
        p, req = body["patient"], body["requester"]
        for act in json.loads(r.acts or "[]"):
            who = (r.name, r.rpps) if act["biller"] == "expert" else (req["name"], req.get("rpps"))
            writer.writerow([_cell(v) for v in (
                answered.isoformat(), r.request_uuid, r.station, act["code"], act["amount"],
                act["biller"], who[0], who[1], p["birth_name"], p["first_names"], p.get("nir"),
                r.rqd_refused,
            )])  # fmt: skip
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="expertise-acts-{year}.csv"'},
    )  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the export routes (before ``/api/v1/expertise/{uuid}``)."""
    router.add_get("/api/v1/expertise/acts.csv", acts_csv)
    router.add_get("/api/v1/fhir/expertise/{uuid}", fhir_bundle)
