"""Booked teleconsultations and invitation links for doctors without an account (issue: EHPAD).

A station books a consultation with a named doctor at a Paris wall-clock time (DST-correct,
``domain.appointments``); the doctors covering the patient's département are offered first
and the choice is recorded (ETHT.02). For a doctor without an account the hub sends two
e-mails: a one-time link bound to the appointment (built on ``public_url``, never localhost
unless configured), and separately a 6-digit code to type on the link's page. The link expires
after the appointment; ``invite_max_code_attempts`` wrong codes lock it; a resend replaces both
(the old link stops working). Every refusal is kept in ``invitation_events``. Reminders go 24 h
and 1 h before, to the invited doctor, with the time in Paris time.

Routes — station: ``GET /api/v1/appointments/doctors?departement=``, ``POST
/api/v1/appointments``, ``GET /api/v1/appointments?day=YYYY-MM-DD`` (Paris day), ``PATCH`` /
``DELETE /api/v1/appointments/{uuid}``, ``POST /api/v1/appointments/{uuid}/invite``; doctor:
``GET /api/v1/appointments/mine?day=``; anyone with the link: ``GET|POST /invite/{token}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import json
import logging
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from aiohttp import web
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
    update,
)

from telecabine.domain.appointments import (
    PARIS,
    AppointmentError,
    DoctorChoice,
    format_paris,
    paris_to_utc,
    territorial_first,
)
from telecabine.hub.db import doctors, metadata
from telecabine.hub.safe_json import read_json
from telecabine.hub.security import DOCTOR, OPTIONAL, PRINCIPAL, STATION, json_error, requires
from telecabine.hub.state import HUB

log = logging.getLogger(__name__)

doctor_territories = Table(
    "doctor_territories",
    metadata,
    Column("doctor_id", Integer, ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True),
    Column("departement", String(3), primary_key=True),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("station_id", Integer, ForeignKey("stations.id"), nullable=False),
    Column("doctor_id", Integer, ForeignKey("doctors.id"), nullable=True),
    Column("invited_name", String(120), nullable=True),
    Column("invited_email", String(254), nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
    Column("duration_min", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("patient_label", String(120), nullable=False),
    Column("departement", String(3), nullable=True),
    Column("territorial", Text, nullable=False),  # JSON: offered usernames + choice
    Column("status", String(16), nullable=False),  # booked | cancelled
    Column("reminded", Text, nullable=False),  # JSON list of reminder ISO times sent
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "appointment_id", Integer, ForeignKey("appointments.id", ondelete="CASCADE"), nullable=False
    ),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("code_hmac", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # sent | verified | locked | replaced
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

invitation_events = Table(
    "invitation_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("invitation_id", Integer, nullable=True),
    Column("event", String(32), nullable=False),  # unknown | expired | wrong_code | locked ...
    Column("remote", String(64), nullable=True),
)

CODE_SECRET: web.AppKey[bytes] = web.AppKey("invite_code_secret", bytes)
GRACE_AFTER = timedelta(hours=2)  # the link still opens this long after the planned end


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _code_hmac(app: web.Application, invitation_token_hash: str, code: str) -> str:
    return hmac.new(
        app[CODE_SECRET], f"{invitation_token_hash}:{code}".encode(), hashlib.sha256
    ).hexdigest()


async def set_territory(engine, username: str, departements: list[str]) -> list[str]:
    """Replace the départements a doctor covers (``hub set-territory``); returns them."""
    import re

    from telecabine.hub.accounts import AccountError

    deps = sorted({d.strip().upper() for d in departements if d.strip()})
    bad = [d for d in deps if not re.fullmatch(r"(?:[0-9]{2}|2A|2B|97[1-6])", d)]
    if bad:
        raise AccountError(f"Département invalide / invalid département: {', '.join(bad)}")
    async with engine.begin() as conn:
        doctor_id = (await conn.execute(
            select(doctors.c.id).where(doctors.c.username == username))).scalar()  # fmt: skip
        if doctor_id is None:
            raise AccountError(f"Médecin inconnu / unknown doctor: {username}")
        await conn.execute(doctor_territories.delete().where(
            doctor_territories.c.doctor_id == doctor_id))  # fmt: skip
        for dep in deps:
            await conn.execute(insert(doctor_territories).values(
                doctor_id=doctor_id, departement=dep))  # fmt: skip
    return deps


# --- station: doctors, booking, day view, move, cancel ------------------------------------
async def _doctor_choices(conn) -> list[DoctorChoice]:
    rows = (await conn.execute(select(doctors.c.id, doctors.c.username, doctors.c.name,
                                      doctors.c.specialty))).all()  # fmt: skip
    terr = (await conn.execute(select(doctor_territories))).all()
    by: dict[int, list[str]] = {}
    for doctor_id, dep in terr:
        by.setdefault(doctor_id, []).append(dep)
    return [DoctorChoice(u, n, s, tuple(sorted(by.get(i, [])))) for i, u, n, s in rows]


@requires(STATION)
async def list_doctors(request: web.Request) -> web.Response:
    """Doctors a station can book, those of ``departement`` first (ETHT.02)."""
    dep = request.query.get("departement") or None
    async with request.app[HUB].engine.connect() as conn:
        ordered = territorial_first(await _doctor_choices(conn), dep)
    return web.json_response({"doctors": [
        {"username": d.username, "name": d.name, "specialty": d.specialty,
         "in_territory": d.in_territory(dep)} for d in ordered]})  # fmt: skip


def _bad(exc: AppointmentError) -> web.Response:
    return json_error(422, exc.code, f"{exc.message_fr} / {exc.message_en}",
                      message_fr=exc.message_fr, message_en=exc.message_en, field=exc.field)  # fmt: skip


def _parse_start(data: dict) -> datetime:
    try:
        local = datetime.fromisoformat(str(data["starts_local"]))
    except (KeyError, ValueError):
        raise AppointmentError("appointment_time", "Date et heure invalides (AAAA-MM-JJTHH:MM).",
                               "Invalid date and time (YYYY-MM-DDTHH:MM).",
                               field="starts_at") from None  # fmt: skip
    if local.tzinfo is not None:
        raise AppointmentError("appointment_time", "Heure locale de Paris attendue, sans fuseau.",
                               "Paris local time expected, without an offset.",
                               field="starts_at")  # fmt: skip
    return paris_to_utc(local, second=bool(data.get("second_occurrence")))


def _view(row, doctor_name: str | None) -> dict:
    start = _aware(row.starts_at)
    return {
        "uuid": row.uuid, "starts_at": start.isoformat(),
        "starts_local": start.astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="minutes"),
        "starts_text_fr": format_paris(start, "fr"), "starts_text_en": format_paris(start, "en"),
        "duration_min": row.duration_min, "reason": row.reason,
        "patient_label": row.patient_label, "status": row.status,
        "doctor": doctor_name or row.invited_name, "invited": row.doctor_id is None,
        "territorial": json.loads(row.territorial),
    }  # fmt: skip


@requires(STATION)
async def book(request: web.Request) -> web.Response:
    """Book: ``{starts_local, duration_min, reason, patient_label, departement,
    doctor_username | invited: {name, email}}``."""
    station = request[PRINCIPAL].station
    try:
        data = await read_json(request)
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        return json_error(422, "invalid", "JSON attendu / JSON expected")
    try:
        starts = _parse_start(data)
        if starts < _now():
            raise AppointmentError("appointment_past", "Ce créneau est déjà passé.",
                                   "This time has already passed.", field="starts_at")  # fmt: skip
        duration = int(data.get("duration_min", 15))
        if not 5 <= duration <= 120:
            raise AppointmentError("appointment_duration", "Durée de 5 à 120 minutes.",
                                   "Duration from 5 to 120 minutes.", field="duration_min")  # fmt: skip
        reason = str(data.get("reason", "")).strip()[:200]
        label = str(data.get("patient_label", "")).strip()[:120]
        if not reason or not label:
            raise AppointmentError("appointment_fields", "Motif et patient requis.",
                                   "Reason and patient required.", field="reason")  # fmt: skip
    except AppointmentError as exc:
        return _bad(exc)
    except (TypeError, ValueError):
        return json_error(422, "invalid", "Demande invalide / invalid request")
    dep = str(data.get("departement") or "").strip().upper() or None
    async with request.app[HUB].engine.begin() as conn:
        offered = territorial_first(await _doctor_choices(conn), dep)
        doctor_id = None
        invited = data.get("invited") or None
        username = data.get("doctor_username")
        if username:
            doctor_id = (await conn.execute(
                select(doctors.c.id).where(doctors.c.username == username))).scalar()  # fmt: skip
            if doctor_id is None:
                return json_error(422, "unknown_doctor", "Médecin inconnu / unknown doctor",
                                  field="doctor")  # fmt: skip
        elif not (isinstance(invited, dict) and "@" in str(invited.get("email", ""))
                  and str(invited.get("name", "")).strip()):  # fmt: skip
            return json_error(422, "doctor_required",
                              "Choisissez un médecin ou invitez-en un (nom, e-mail) / choose or "
                              "invite a doctor", field="doctor")  # fmt: skip
        territorial = {
            "departement": dep,
            "offered_first": [d.username for d in offered if d.in_territory(dep)],
            "chosen": username or "invited",
            "chosen_in_territory": any(d.username == username and d.in_territory(dep)
                                       for d in offered),
            "reason": str(data.get("territorial_reason", "")).strip()[:200] or None,
        }  # fmt: skip
        now = _now()
        values = {
            "uuid": str(uuid.uuid4()), "station_id": station.id, "doctor_id": doctor_id,
            "invited_name": str(invited["name"]).strip()[:120] if invited and not username
            else None,
            "invited_email": str(invited["email"]).strip()[:254] if invited and not username
            else None,
            "starts_at": starts, "duration_min": duration, "reason": reason,
            "patient_label": label, "departement": dep, "territorial": json.dumps(territorial),
            "status": "booked", "reminded": "[]", "created_at": now, "updated_at": now,
        }  # fmt: skip
        await conn.execute(insert(appointments).values(**values))
        row = (await conn.execute(
            select(appointments).where(appointments.c.uuid == values["uuid"]))).first()  # fmt: skip
    return web.json_response(_view(row, None if doctor_id is None else username), status=201)


def _day_bounds(day_text: str | None) -> tuple[datetime, datetime]:
    day = date.fromisoformat(day_text) if day_text else _now().astimezone(PARIS).date()
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    end = start + timedelta(days=1)  # Paris midnight to midnight (23 or 25 h on DST days)
    return start.astimezone(UTC), datetime(end.year, end.month, end.day,
                                           tzinfo=PARIS).astimezone(UTC)  # fmt: skip


async def _day(request: web.Request, where) -> web.Response:
    try:
        lo, hi = _day_bounds(request.query.get("day"))
    except ValueError:
        return json_error(422, "day", "Jour invalide (AAAA-MM-JJ) / invalid day")
    async with request.app[HUB].engine.connect() as conn:
        rows = (await conn.execute(
            select(appointments, doctors.c.name.label("doctor_name"))
            .join(doctors, doctors.c.id == appointments.c.doctor_id, isouter=True)
            .where(where, appointments.c.starts_at >= lo, appointments.c.starts_at < hi)
            .order_by(appointments.c.starts_at))).all()  # fmt: skip
    return web.json_response({"appointments": [_view(r, r.doctor_name) for r in rows]})


@requires(STATION)
async def station_day(request: web.Request) -> web.Response:
    """The station's appointments of a Paris day (default: today)."""
    return await _day(request, appointments.c.station_id == request[PRINCIPAL].station.id)


@requires(DOCTOR)
async def doctor_day(request: web.Request) -> web.Response:
    """The signed-in doctor's appointments of a Paris day."""
    return await _day(request, appointments.c.doctor_id == request[PRINCIPAL].doctor.id)


async def _own(request: web.Request):
    async with request.app[HUB].engine.connect() as conn:
        return (await conn.execute(select(appointments).where(
            appointments.c.uuid == request.match_info["uuid"],
            appointments.c.station_id == request[PRINCIPAL].station.id))).first()  # fmt: skip


@requires(STATION)
async def move(request: web.Request) -> web.Response:
    """Move to another time (reminders start again; the invited doctor is told)."""
    row = await _own(request)
    if row is None or row.status != "booked":
        return json_error(404, "not_found", "Rendez-vous inconnu / unknown appointment")
    try:
        data = await read_json(request)
        starts = _parse_start(data)
    except AppointmentError as exc:
        return _bad(exc)
    except (ValueError, AttributeError):
        return json_error(422, "invalid", "Demande invalide / invalid request")
    async with request.app[HUB].engine.begin() as conn:
        await conn.execute(update(appointments).where(appointments.c.id == row.id).values(
            starts_at=starts, reminded="[]", updated_at=_now()))  # fmt: skip
        await conn.execute(update(invitations).where(
            invitations.c.appointment_id == row.id, invitations.c.status == "sent").values(
            expires_at=starts + timedelta(minutes=row.duration_min) + GRACE_AFTER))  # fmt: skip
    if row.invited_email:
        await _send(request.app, row.invited_email, "Rendez-vous déplacé / appointment moved",
                    _moved_text(starts, row))  # fmt: skip
    return web.json_response({"uuid": row.uuid, "starts_at": starts.isoformat()})


@requires(STATION)
async def cancel(request: web.Request) -> web.Response:
    """Cancel; open invitation links stop working; the invited doctor is told."""
    row = await _own(request)
    if row is None:
        return json_error(404, "not_found", "Rendez-vous inconnu / unknown appointment")
    async with request.app[HUB].engine.begin() as conn:
        await conn.execute(update(appointments).where(appointments.c.id == row.id).values(
            status="cancelled", updated_at=_now()))  # fmt: skip
        await conn.execute(update(invitations).where(invitations.c.appointment_id == row.id)
                           .values(status="replaced"))  # fmt: skip
    if row.invited_email and row.status == "booked":
        start = _aware(row.starts_at)
        await _send(request.app, row.invited_email, "Rendez-vous annulé / appointment cancelled",
                    f"La téléconsultation du {format_paris(start)} est annulée.\n\n"
                    f"The teleconsultation of {format_paris(start, 'en')} is cancelled.\n")  # fmt: skip
    return web.json_response({"uuid": row.uuid, "status": "cancelled"})


# --- invitations ------------------------------------------------------------------------
def _public_url(request: web.Request) -> str | None:
    return request.app[HUB].settings.public_url


@requires(STATION)
async def invite(request: web.Request) -> web.Response:
    """Send (or resend) the invitation: a one-time link, then the code in a second e-mail."""
    row = await _own(request)
    if row is None or row.status != "booked" or not row.invited_email:
        return json_error(404, "not_found", "Rendez-vous sans médecin invité / no invited doctor")
    base = _public_url(request)
    if not base:
        return json_error(409, "public_url_missing",
                          "Adresse publique du hub non configurée (TELECABINE_HUB_PUBLIC_URL) / "
                          "hub public URL not set")  # fmt: skip
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    expires = _aware(row.starts_at) + timedelta(minutes=row.duration_min) + GRACE_AFTER
    async with request.app[HUB].engine.begin() as conn:
        await conn.execute(update(invitations).where(
            invitations.c.appointment_id == row.id,
            invitations.c.status.in_(("sent", "verified"))).values(
            status="replaced"))  # fmt: skip
        await conn.execute(insert(invitations).values(
            appointment_id=row.id, token_hash=token_hash,
            code_hmac=_code_hmac(request.app, token_hash, code), attempts=0, status="sent",
            expires_at=expires, created_at=_now()))  # fmt: skip
    link = f"{base.rstrip('/')}/invite/{token}"
    start = _aware(row.starts_at)
    link_sent = await _send(request.app, row.invited_email,
                "Invitation à une téléconsultation / teleconsultation invitation",
                f"Bonjour {row.invited_name},\n\nUne téléconsultation vous est proposée le "
                f"{format_paris(start)} ({row.duration_min} min), motif : {row.reason}.\n"
                f"Ouvrez ce lien (personnel, à usage unique) : {link}\n"
                "Le code d'accès vous parvient dans un second message.\n\n---\n"
                f"A teleconsultation is booked on {format_paris(start, 'en')} "
                f"({row.duration_min} min). Open this personal one-time link: {link}\n"
                "The access code comes in a second message.\n")  # fmt: skip
    code_sent = link_sent and await _send(
        request.app, row.invited_email, "Code d'accès / access code",
        f"Votre code d'accès à la téléconsultation : {code}\n"
        f"Your teleconsultation access code: {code}\n",
    )  # fmt: skip
    if not code_sent:
        return json_error(
            503, "mail_not_sent",
            "Invitation non envoyée : relais e-mail indisponible, réessayez / invitation not "
            "sent: mail relay unavailable, try again",
            message_fr="Invitation non envoyée : le relais e-mail est indisponible. Réessayez.",
            message_en="Invitation not sent: the mail relay is unavailable. Try again.",
        )  # fmt: skip
    return web.json_response({"sent": True, "expires_at": expires.isoformat()})


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{html.escape(title)}</title></head><body><main>"
           f"<h1>{html.escape(title)}</h1>{body}</main></body></html>")  # fmt: skip
    return web.Response(text=doc, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})  # fmt: skip


_REFUSALS = {
    "unknown": ("Lien inconnu", "Ce lien n'existe pas ou a été remplacé par un nouvel envoi. "
                "Demandez à la cabine de renvoyer l'invitation. / Unknown or replaced link: ask "
                "the cabin to send the invitation again."),
    "expired": ("Lien expiré", "Le rendez-vous est passé. Demandez un nouveau rendez-vous à la "
                "cabine. / The appointment is over: ask the cabin for a new one."),
    "locked": ("Lien bloqué", "Trop de codes erronés : ce lien est bloqué. Demandez à la cabine "
               "de renvoyer l'invitation. / Too many wrong codes: ask the cabin to resend."),
    "used": ("Lien déjà utilisé", "Ce lien a déjà servi. Demandez à la cabine de renvoyer "
             "l'invitation si vous devez vous reconnecter. / Link already used: ask the cabin "
             "to resend."),
}  # fmt: skip


async def _event(app: web.Application, invitation_id: int | None, event: str,
                 remote: str | None) -> None:  # fmt: skip
    async with app[HUB].engine.begin() as conn:
        await conn.execute(insert(invitation_events).values(
            at=_now(), invitation_id=invitation_id, event=event, remote=(remote or "")[:64]))  # fmt: skip


async def _invitation(request: web.Request):
    token = request.match_info["token"]
    if len(token) > 128:
        return None, None
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    async with request.app[HUB].engine.connect() as conn:
        row = (await conn.execute(
            select(invitations, appointments.c.starts_at, appointments.c.duration_min,
                   appointments.c.reason, appointments.c.status.label("appointment_status"))
            .join(appointments, appointments.c.id == invitations.c.appointment_id)
            .where(invitations.c.token_hash == token_hash))).first()  # fmt: skip
    return row, token_hash


def _refusal(row) -> str | None:
    if row is None or row.status == "replaced" or row.appointment_status != "booked":
        return "unknown"
    if row.status == "locked":
        return "locked"
    if row.status == "verified":
        return "used"
    if _aware(row.expires_at) < _now():
        return "expired"
    return None


def _code_form(token_path: str, error: str = "") -> str:
    err = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return (f"{err}<form method=\"post\" action=\"{html.escape(token_path)}\">"
            '<label for="code">Code reçu par e-mail / code received by e-mail</label>'
            '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
            'pattern="[0-9]{6}" maxlength="6" required>'
            '<button type="submit">Valider / confirm</button></form>')  # fmt: skip


@requires(OPTIONAL)
async def invite_page(request: web.Request) -> web.Response:
    """The link's page: asks for the code, or says why the link cannot be used and what to do."""
    row, _ = await _invitation(request)
    refusal = _refusal(row)
    if refusal:
        await _event(request.app, row.id if row else None, refusal, request.remote)
        title, text = _REFUSALS[refusal]
        return _page(title, f"<p>{html.escape(text)}</p>", 410 if refusal != "unknown" else 404)
    start = _aware(row.starts_at)
    intro = (f"<p>Téléconsultation du {html.escape(format_paris(start))} — "
             f"{html.escape(row.reason)}</p>")  # fmt: skip
    return _page("Invitation — téléconsultation", intro + _code_form(request.path))


@requires(OPTIONAL)
async def invite_code(request: web.Request) -> web.Response:
    """Check the code (constant time); too many wrong codes lock the link."""
    row, token_hash = await _invitation(request)
    refusal = _refusal(row)
    if refusal:
        await _event(request.app, row.id if row else None, refusal, request.remote)
        title, text = _REFUSALS[refusal]
        return _page(title, f"<p>{html.escape(text)}</p>", 410 if refusal != "unknown" else 404)
    form = await request.post()
    code = str(form.get("code", "")).strip()[:12]
    expected = row.code_hmac
    given = _code_hmac(request.app, token_hash, code)
    max_attempts = request.app[HUB].settings.invite_max_code_attempts
    if not hmac.compare_digest(expected, given):
        async with request.app[HUB].engine.begin() as conn:
            attempts = row.attempts + 1
            await conn.execute(update(invitations).where(invitations.c.id == row.id).values(
                attempts=invitations.c.attempts + 1,
                status="locked" if attempts >= max_attempts else "sent"))  # fmt: skip
        await _event(request.app, row.id, "wrong_code", request.remote)
        if attempts >= max_attempts:
            await _event(request.app, row.id, "locked", request.remote)
            title, text = _REFUSALS["locked"]
            return _page(title, f"<p>{html.escape(text)}</p>", 410)
        return _page("Invitation — téléconsultation",
                     _code_form(request.path, "Code erroné / wrong code"), 401)  # fmt: skip
    async with request.app[HUB].engine.begin() as conn:
        done = await conn.execute(update(invitations).where(
            and_(invitations.c.id == row.id, invitations.c.status == "sent")).values(
            status="verified"))  # fmt: skip
    if done.rowcount != 1:
        title, text = _REFUSALS["used"]
        return _page(title, f"<p>{html.escape(text)}</p>", 410)
    await _event(request.app, row.id, "verified", request.remote)
    start = _aware(row.starts_at)
    return _page("Code accepté / code accepted",
                 f"<p>La consultation du {html.escape(format_paris(start))} s'ouvrira dans cette "
                 "page à l'heure prévue. / The consultation opens in this page on time.</p>")  # fmt: skip


# --- mail and reminders -----------------------------------------------------------------
async def _send(app: web.Application, to: str, subject: str, text: str) -> bool:
    """Hand one e-mail to the relay (in a thread); False when not configured or refused."""
    from telecabine.mailer import MailError, SmtpConfig, send_message

    s = app[HUB].settings
    if not s.invite_smtp_host:
        log.warning("invitation mail not sent: no relay configured")
        return False
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = s.invite_smtp_sender, to, subject
    msg.set_content(text)
    try:
        config = SmtpConfig(host=s.invite_smtp_host, port=s.invite_smtp_port,
                            security=s.invite_smtp_security, sender=s.invite_smtp_sender,
                            ca_bundle=s.invite_smtp_ca_bundle, timeout_s=15)  # fmt: skip
        await asyncio.to_thread(send_message, config, msg)
    except (MailError, ValueError) as exc:
        log.warning("invitation mail not sent: %s", exc)
        return False
    return True


def _moved_text(starts: datetime, row) -> str:
    return (f"La téléconsultation ({row.reason}) est déplacée au {format_paris(starts)}. "
            "Votre lien reste valable.\n\n"
            f"The teleconsultation is moved to {format_paris(starts, 'en')}. Your link still "
            "works.\n")  # fmt: skip


async def send_due_reminders(app: web.Application, now: datetime | None = None) -> int:
    """Send the 24 h / 1 h reminders that are due (to invited doctors); returns how many."""
    from telecabine.domain.appointments import reminder_times

    now = now or _now()
    sent = 0
    async with app[HUB].engine.connect() as conn:
        rows = (await conn.execute(select(appointments).where(
            appointments.c.status == "booked", appointments.c.invited_email.is_not(None),
            appointments.c.starts_at > now))).all()  # fmt: skip
    for row in rows:
        start = _aware(row.starts_at)
        done = set(json.loads(row.reminded))
        for when in reminder_times(start):
            key = when.isoformat()
            if when > now or key in done:
                continue
            # Claim the reminder first (compare-and-set on the list): with several hub
            # instances only one of them sends it; a failed send gives the claim back.
            claimed = sorted({*done, key})
            async with app[HUB].engine.begin() as conn:
                got = await conn.execute(update(appointments).where(
                    appointments.c.id == row.id,
                    appointments.c.reminded == json.dumps(sorted(done))).values(
                    reminded=json.dumps(claimed)))  # fmt: skip
            if got.rowcount != 1:
                break  # another instance is on it
            ok = await _send(app, row.invited_email, "Rappel : téléconsultation / reminder",
                             f"Rappel : téléconsultation le {format_paris(start)} "
                             f"({row.reason}).\n\nReminder: teleconsultation on "
                             f"{format_paris(start, 'en')}.\n")  # fmt: skip
            if not ok:
                async with app[HUB].engine.begin() as conn:
                    await conn.execute(update(appointments).where(
                        appointments.c.id == row.id,
                        appointments.c.reminded == json.dumps(claimed)).values(
                        reminded=json.dumps(sorted(done))))  # fmt: skip
                break
            done.add(key)
            sent += 1
    return sent


async def _reminder_loop(app: web.Application) -> None:
    while True:
        try:
            await send_due_reminders(app)
        except Exception as exc:  # one bad pass must not stop the reminders for good
            log.error("reminder pass failed: %s", type(exc).__name__)
        await asyncio.sleep(60)


async def _start_reminders(app: web.Application) -> None:
    app[REMINDERS] = asyncio.ensure_future(_reminder_loop(app))


async def _stop_reminders(app: web.Application) -> None:
    task = app.get(REMINDERS)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


REMINDERS: web.AppKey[asyncio.Task] = web.AppKey("appointment_reminders", asyncio.Task)


def setup(app: web.Application) -> None:
    """Routes, the code key and the reminder task (called by ``server.create_app``)."""
    secret = app[HUB].settings.invite_code_secret
    app[CODE_SECRET] = secret.get_secret_value().encode() if secret else secrets.token_bytes(32)
    r = app.router
    r.add_get("/api/v1/appointments/doctors", list_doctors)
    r.add_get("/api/v1/appointments/mine", doctor_day)
    r.add_get("/api/v1/appointments", station_day)
    r.add_post("/api/v1/appointments", book)
    r.add_patch("/api/v1/appointments/{uuid}", move)
    r.add_delete("/api/v1/appointments/{uuid}", cancel)
    r.add_post("/api/v1/appointments/{uuid}/invite", invite)
    r.add_get("/invite/{token}", invite_page)
    r.add_post("/invite/{token}", invite_code)
    app.on_startup.append(_start_reminders)
    app.on_shutdown.append(_stop_reminders)
