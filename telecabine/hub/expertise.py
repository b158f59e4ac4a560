"""Télé-expertise at the hub: stations file requests with photos, the addressed expert answers
from the console's inbox, the station fetches the answer; TE2 / RQD are recorded on answer.

Routes (see ``protocol.expertise``):
- station: ``POST /api/v1/expertise`` (idempotent by ``request_uuid``; the 4-per-year limit per
  patient and expert is checked here and refused with 422 ``expertise_limit`` and the reason),
  ``PUT /api/v1/expertise/{uuid}/photos/{index}`` (JPEG bytes checked against the manifest),
  ``GET /api/v1/expertise/answers?since=ISO``, ``GET /api/v1/expertise/experts`` (who can be
  asked);
- doctor (only the addressed expert): ``GET /expertise`` (the inbox page),
  ``GET /api/v1/expertise/inbox``, ``GET /api/v1/expertise/{uuid}``,
  ``GET /api/v1/expertise/{uuid}/photos/{index}``, ``POST /api/v1/expertise/{uuid}/answer``.

The yearly count is taken under a lock (a PostgreSQL advisory transaction lock, plus an
in-process lock for SQLite) so two simultaneous requests cannot both become the fifth.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from telecabine.domain.expertise import (
    MAX_PER_PATIENT_EXPERT_YEAR,
    ExpertiseLimitReached,
    check_yearly_limit,
    expertise_billing,
    patient_key,
)
from telecabine.hub.db import doctors, metadata
from telecabine.hub.pages import STATIC_DIR
from telecabine.hub.safe_json import read_json
from telecabine.hub.security import DOCTOR, PRINCIPAL, STATION, json_error, requires
from telecabine.hub.state import HUB
from telecabine.protocol.expertise import (
    MAX_PHOTO_BYTES,
    ExpertiseAnswer,
    ExpertiseRequest,
)

expertise_requests = Table(
    "expertise_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_uuid", String(36), nullable=False, unique=True),
    Column("station_id", Integer, ForeignKey("stations.id"), nullable=False),
    Column("expert_id", Integer, ForeignKey("doctors.id"), nullable=False),
    Column("patient_key", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON of the validated request
    Column("body_sha256", String(64), nullable=False),
    Column("photos_expected", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # awaiting_photos | open | answered
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True, index=True),
    Column("outcome", String(32), nullable=True),
    Column("answer_text", Text, nullable=True),
    Column("answer_pdf", LargeBinary, nullable=True),
    Column("acts", Text, nullable=True),  # JSON list of BilledAct
    Column("rqd_refused", String(32), nullable=True),
)

expertise_photos = Table(
    "expertise_photos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("expertise_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("idx", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    UniqueConstraint("request_id", "idx", name="uq_expertise_photo"),
)

# The yearly count and the insert are one critical section: an in-process lock per app (one
# SQLite hub process) plus, on PostgreSQL, an advisory transaction lock across instances.
LIMIT_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("expertise_limit_lock", asyncio.Lock)


def _unprocessable(code: str, message: str, **extra) -> web.Response:
    return json_error(422, code, message, **extra)


def _now() -> datetime:
    return datetime.now(UTC)


@requires(STATION)
async def experts(request: web.Request) -> web.Response:
    """``GET /api/v1/expertise/experts``: doctors a station may address (name, specialty)."""
    async with request.app[HUB].engine.connect() as conn:
        rows = (
            await conn.execute(
                select(doctors.c.username, doctors.c.name, doctors.c.specialty).order_by(
                    doctors.c.specialty, doctors.c.name
                )
            )
        ).all()
    return web.json_response(
        {"experts": [{"username": u, "name": n, "specialty": s} for u, n, s in rows]}
    )


@requires(STATION)
async def create(request: web.Request) -> web.Response:
    """``POST /api/v1/expertise``: file a request (201), replay (200), conflict (409)."""
    hub = request.app[HUB]
    station = request[PRINCIPAL].station
    try:
        raw = await read_json(request)
        req = ExpertiseRequest.model_validate(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        fields = []
        if isinstance(exc, ValidationError):
            fields = [{"loc": [str(p) for p in e["loc"]], "type": e["type"], "msg": e["msg"]}
                      for e in exc.errors(include_input=False, include_url=False)]  # fmt: skip
        return _unprocessable("invalid", "Demande invalide / invalid request", fields=fields)
    if req.station_id != station.name:
        return json_error(403, "wrong_station", "Autre station / wrong station")
    body = req.canonical_json()
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    engine = hub.engine
    async with request.app[LIMIT_LOCK], engine.begin() as conn:
        existing = (
            await conn.execute(
                select(expertise_requests.c.body_sha256, expertise_requests.c.status).where(
                    expertise_requests.c.request_uuid == str(req.request_uuid)
                )
            )
        ).first()
        if existing is not None:
            if existing.body_sha256 != digest:
                return json_error(409, "conflict", "Même identifiant, autre contenu / conflict")
            return web.json_response({"status": existing.status}, status=200)
        expert_id = (
            await conn.execute(
                select(doctors.c.id).where(doctors.c.username == req.expert_username)
            )
        ).scalar()
        if expert_id is None:
            return _unprocessable(
                "unknown_expert", "Expert inconnu sur ce hub / unknown expert",
                fields=[{"loc": ["body", "expert_username"], "type": "unknown", "msg": "?"}],
            )  # fmt: skip
        p = req.patient
        key = patient_key(p.nir, p.birth_name, p.first_names, p.birth_date)
        year = req.created_at.astimezone(UTC).year
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{key}:{expert_id}"}
            )
        count = (
            await conn.execute(
                select(func.count()).where(
                    and_(
                        expertise_requests.c.patient_key == key,
                        expertise_requests.c.expert_id == expert_id,
                        expertise_requests.c.year == year,
                    )
                )
            )
        ).scalar_one()
        try:
            check_yearly_limit(count, year)
        except ExpertiseLimitReached as exc:
            return _unprocessable(
                exc.code, f"{exc.message_fr} / {exc.message_en}",
                message_fr=exc.message_fr, message_en=exc.message_en,
                limit=MAX_PER_PATIENT_EXPERT_YEAR, count=count,
            )  # fmt: skip
        try:
            await conn.execute(
                insert(expertise_requests).values(
                    request_uuid=str(req.request_uuid),
                    station_id=station.id,
                    expert_id=expert_id,
                    patient_key=key,
                    year=year,
                    urgency=req.urgency,
                    body=body,
                    body_sha256=digest,
                    photos_expected=len(req.photos),
                    status="open" if not req.photos else "awaiting_photos",
                    received_at=_now(),
                )
            )
        except IntegrityError:  # another instance stored the same uuid meanwhile
            return json_error(409, "conflict", "Requête concurrente / concurrent request")
    return web.json_response({"status": "awaiting_photos" if req.photos else "open"}, status=201)


async def _request_row(conn, uuid_text: str):
    try:
        UUID(uuid_text)
    except ValueError:
        return None
    return (
        await conn.execute(
            select(expertise_requests).where(expertise_requests.c.request_uuid == uuid_text)
        )
    ).first()


@requires(STATION)
async def put_photo(request: web.Request) -> web.Response:
    """``PUT /api/v1/expertise/{uuid}/photos/{index}``: one JPEG, checked against its SHA-256."""
    station = request[PRINCIPAL].station
    try:
        index = int(request.match_info["index"])
    except ValueError:
        return json_error(404, "not_found", "Introuvable / not found")
    length = request.content_length
    if length is None or length > MAX_PHOTO_BYTES:
        return json_error(413, "too_large", "Photo trop grande / photo too large")
    data = await request.content.read(MAX_PHOTO_BYTES + 1)
    engine = request.app[HUB].engine
    async with engine.begin() as conn:
        row = await _request_row(conn, request.match_info["uuid"])
        if row is None or row.station_id != station.id:
            return json_error(404, "not_found", "Demande inconnue / unknown request")
        manifest = json.loads(row.body)["photos"]
        if not 0 <= index < len(manifest):
            return json_error(404, "not_found", "Photo inconnue / unknown photo")
        if hashlib.sha256(data).hexdigest() != manifest[index]["sha256"]:
            return _unprocessable("checksum", "Somme de contrôle fausse / checksum mismatch")
        have = (
            (
                await conn.execute(
                    select(expertise_photos.c.idx).where(expertise_photos.c.request_id == row.id)
                )
            )
            .scalars()
            .all()
        )
        if index not in have:
            await conn.execute(
                insert(expertise_photos).values(
                    request_id=row.id, idx=index, sha256=manifest[index]["sha256"], content=data
                )
            )
            have = [*have, index]
        if row.status == "awaiting_photos" and len(set(have)) == row.photos_expected:
            await conn.execute(
                update(expertise_requests)
                .where(expertise_requests.c.id == row.id)
                .values(status="open")
            )
    return web.json_response({"stored": index})


@requires(STATION)
async def answers(request: web.Request) -> web.Response:
    """``GET /api/v1/expertise/answers?since=ISO``: answers to this station's requests."""
    station = request[PRINCIPAL].station
    since_raw = request.query.get("since")
    try:
        since = datetime.fromisoformat(since_raw) if since_raw else datetime(1970, 1, 1, tzinfo=UTC)
        if since.tzinfo is None:
            raise ValueError
    except ValueError:
        return _unprocessable("since", "Paramètre since invalide (ISO 8601 avec fuseau)")
    async with request.app[HUB].engine.connect() as conn:
        rows = (
            await conn.execute(
                select(expertise_requests, doctors.c.name, doctors.c.rpps)
                .join(doctors, doctors.c.id == expertise_requests.c.expert_id)
                .where(
                    expertise_requests.c.station_id == station.id,
                    expertise_requests.c.answered_at.is_not(None),
                    expertise_requests.c.answered_at > since,
                )
                .order_by(expertise_requests.c.answered_at)
                .limit(100)
            )
        ).all()
    out = [
        ExpertiseAnswer(
            request_uuid=r.request_uuid,
            answered_at=_aware(r.answered_at),
            outcome=r.outcome,
            text=r.answer_text,
            expert_name=r.name,
            expert_rpps=r.rpps,
            pdf_b64=base64.b64encode(r.answer_pdf).decode() if r.answer_pdf else None,
            acts=json.loads(r.acts or "[]"),
            rqd_refused=r.rqd_refused,
        ).model_dump(mode="json")
        for r in rows
    ]
    return web.json_response({"answers": out})


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@requires(DOCTOR)
async def inbox_page(request: web.Request) -> web.StreamResponse:
    """``GET /expertise``: the expert's inbox (static page + expertise.js)."""
    return web.FileResponse(STATIC_DIR / "expertise.html", headers={"Cache-Control": "no-store"})


def _summary(row) -> dict:
    body = json.loads(row.body)
    p = body["patient"]
    return {
        "request_uuid": row.request_uuid,
        "urgency": row.urgency,
        "status": row.status,
        "received_at": _aware(row.received_at).isoformat(),
        "answered_at": _aware(row.answered_at).isoformat() if row.answered_at else None,
        "question": body["question"][:200],
        "patient": f"{p['birth_name']} {p['first_names']}",
        "requester": body["requester"]["name"],
        "photos": row.photos_expected,
    }


@requires(DOCTOR)
async def inbox(request: web.Request) -> web.Response:
    """``GET /api/v1/expertise/inbox``: requests addressed to the signed-in doctor; open ones
    first, urgent before routine, oldest first; then the last 50 answered."""
    doctor = request[PRINCIPAL].doctor
    async with request.app[HUB].engine.connect() as conn:
        rows = (
            await conn.execute(
                select(expertise_requests)
                .where(expertise_requests.c.expert_id == doctor.id)
                .where(expertise_requests.c.status == "open")
                .order_by(
                    (expertise_requests.c.urgency != "urgent"), expertise_requests.c.received_at
                )
            )
        ).all()
        done = (
            await conn.execute(
                select(expertise_requests)
                .where(expertise_requests.c.expert_id == doctor.id)
                .where(expertise_requests.c.status == "answered")
                .order_by(expertise_requests.c.answered_at.desc())
                .limit(50)
            )
        ).all()
    return web.json_response(
        {"open": [_summary(r) for r in rows], "answered": [_summary(r) for r in done]}
    )


async def _mine(request: web.Request):
    doctor = request[PRINCIPAL].doctor
    async with request.app[HUB].engine.connect() as conn:
        row = await _request_row(conn, request.match_info["uuid"])
    if row is None or row.expert_id != doctor.id:
        return None
    return row


@requires(DOCTOR)
async def detail(request: web.Request) -> web.Response:
    """``GET /api/v1/expertise/{uuid}``: the whole request (the addressed expert only)."""
    row = await _mine(request)
    if row is None:
        return json_error(404, "not_found", "Demande inconnue / unknown request")
    body = json.loads(row.body)
    body["status"] = row.status
    body["answer"] = (
        {"text": row.answer_text, "outcome": row.outcome,
         "answered_at": _aware(row.answered_at).isoformat(),
         "acts": json.loads(row.acts or "[]"), "rqd_refused": row.rqd_refused}
        if row.answered_at else None
    )  # fmt: skip
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@requires(DOCTOR)
async def photo(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/expertise/{uuid}/photos/{index}``: the full-resolution JPEG."""
    row = await _mine(request)
    try:
        index = int(request.match_info["index"])
    except ValueError:
        row = None
    if row is None:
        return json_error(404, "not_found", "Introuvable / not found")
    async with request.app[HUB].engine.connect() as conn:
        content = (
            await conn.execute(
                select(expertise_photos.c.content).where(
                    expertise_photos.c.request_id == row.id, expertise_photos.c.idx == index
                )
            )
        ).scalar()
    if content is None:
        return json_error(404, "not_found", "Photo pas encore reçue / photo not received yet")
    return web.Response(
        body=content, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )


@requires(DOCTOR)
async def answer(request: web.Request) -> web.Response:
    """``POST /api/v1/expertise/{uuid}/answer``: ``{text, outcome, pdf_b64?}``; records TE2 for
    the expert and RQD for an eligible requérant (amounts in force on the answer's day)."""
    row = await _mine(request)
    if row is None:
        return json_error(404, "not_found", "Demande inconnue / unknown request")
    try:
        data = await read_json(request)
        text_ = str(data.get("text", "")).strip()
        outcome = data.get("outcome", "answered")
        pdf = base64.b64decode(data["pdf_b64"], validate=True) if data.get("pdf_b64") else None
    except (ValueError, AttributeError, binascii.Error, TypeError):
        return _unprocessable("invalid", "Réponse invalide / invalid answer")
    if not text_ or len(text_) > 8000 or outcome not in ("answered", "needs_teleconsultation"):
        return _unprocessable("invalid", "Texte (1 à 8000 caractères) et issue requis / "
                              "text (1-8000 characters) and outcome required")  # fmt: skip
    if pdf is not None and (not pdf.startswith(b"%PDF") or len(pdf) > 5 * 1024 * 1024):
        return _unprocessable("pdf", "PDF invalide ou trop grand / invalid or too large PDF")
    if row.status == "awaiting_photos":
        return json_error(409, "photos_pending", "Photos pas encore reçues / photos pending")
    if row.status == "answered":
        return json_error(409, "already_answered", "Déjà répondu / already answered")
    now = _now()
    requester_role = json.loads(row.body)["requester"]["role"]
    billing = expertise_billing(requester_role, now.date())
    acts = [{"code": a.code, "amount": f"{a.amount:.2f}", "biller": a.biller}
            for a in billing.acts]  # fmt: skip
    async with request.app[HUB].engine.begin() as conn:
        done = await conn.execute(
            update(expertise_requests)
            .where(expertise_requests.c.id == row.id, expertise_requests.c.status == "open")
            .values(status="answered", answered_at=now, outcome=outcome, answer_text=text_,
                    answer_pdf=pdf, acts=json.dumps(acts), rqd_refused=billing.rqd_refused)
        )  # fmt: skip
    if done.rowcount != 1:
        return json_error(409, "already_answered", "Déjà répondu / already answered")
    return web.json_response({"acts": acts, "rqd_refused": billing.rqd_refused})


def setup(app: web.Application) -> None:
    """Register every télé-expertise route and its state (called by ``server.create_app``)."""
    from telecabine.hub import expertise_export

    app[LIMIT_LOCK] = asyncio.Lock()
    router = app.router
    expertise_export.add_routes(router)
    router.add_get("/expertise", inbox_page)
    router.add_get("/api/v1/expertise/experts", experts)
    router.add_get("/api/v1/expertise/answers", answers)
    router.add_get("/api/v1/expertise/inbox", inbox)
    router.add_post("/api/v1/expertise", create)
    router.add_get("/api/v1/expertise/{uuid}", detail)
    router.add_put("/api/v1/expertise/{uuid}/photos/{index}", put_photo)
    router.add_get("/api/v1/expertise/{uuid}/photos/{index}", photo)
    router.add_post("/api/v1/expertise/{uuid}/answer", answer)
