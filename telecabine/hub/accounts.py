"""Doctor accounts, station registration, sessions and station tokens (stored hashed).

Passwords: Argon2id (argon2-cffi). Station and session tokens: 256 random bits, shown once,
stored as SHA-256 only, so a database leak does not hand out working credentials.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.db import doctors, sessions, stations

_HASHER = PasswordHasher()
# A real hash verified when the username is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _HASHER.hash("telecabine-dummy-password")
_RPPS_RE = re.compile(r"^[0-9]{11}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class AccountError(ValueError):
    """Invalid account input, with a bilingual message fit for a terminal or a screen."""


@dataclass(frozen=True)
class Doctor:
    """An authenticated doctor."""

    id: int
    username: str
    name: str
    rpps: str
    specialty: str
    is_admin: bool


@dataclass(frozen=True)
class Station:
    """An authenticated station (its registered name is its ``station_id``)."""

    id: int
    name: str


def hash_token(token: str) -> str:
    """SHA-256 hex of a bearer/session token (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


async def create_doctor(
    engine: AsyncEngine,
    *,
    username: str,
    password: str,
    name: str,
    rpps: str,
    specialty: str,
    is_admin: bool = False,
) -> Doctor:
    """Create a doctor account; raises :class:`AccountError` on bad input or a taken username."""
    if not _NAME_RE.match(username):
        raise AccountError("Identifiant invalide (lettres, chiffres, . _ -) / invalid username")
    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 min.) / password too short (10 min.)")
    if not _RPPS_RE.match(rpps):
        raise AccountError("RPPS : 11 chiffres / RPPS: 11 digits")
    if not name.strip() or not specialty.strip():
        raise AccountError("Nom et spécialité requis / name and specialty required")
    values = {
        "username": username,
        "name": name.strip(),
        "rpps": rpps,
        "specialty": specialty.strip(),
        "password_hash": await asyncio.to_thread(_HASHER.hash, password),
        "is_admin": is_admin,
        "created_at": _now(),
    }
    try:
        async with engine.begin() as conn:
            result = await conn.execute(insert(doctors).values(**values))
            doctor_id = result.inserted_primary_key[0]
    except IntegrityError:
        raise AccountError("Identifiant déjà pris / username already taken") from None
    return Doctor(doctor_id, username, values["name"], rpps, values["specialty"], is_admin)


async def set_password(engine: AsyncEngine, username: str, password: str) -> None:
    """Replace a doctor's password and end all their sessions (lost or leaked password)."""
    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 min.) / password too short (10 min.)")
    password_hash = await asyncio.to_thread(_HASHER.hash, password)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(doctors)
            .where(doctors.c.username == username)
            .values(password_hash=password_hash)
        )
        if result.rowcount != 1:
            raise AccountError("Compte inconnu / unknown account")
        doctor_id = (
            await conn.execute(select(doctors.c.id).where(doctors.c.username == username))
        ).scalar()
        await conn.execute(delete(sessions).where(sessions.c.doctor_id == doctor_id))


async def register_station(engine: AsyncEngine, name: str, *, replace: bool = False) -> str:
    """Register a station and return its bearer token (shown once, stored hashed).

    With ``replace=True`` an existing station gets a new token (the old one stops working).
    """
    if not _NAME_RE.match(name):
        raise AccountError("Nom de station invalide (lettres, chiffres, . _ -) / invalid name")
    token = secrets.token_urlsafe(32)
    if replace:
        async with engine.begin() as conn:
            result = await conn.execute(
                update(stations).where(stations.c.name == name).values(token_hash=hash_token(token))
            )
        if result.rowcount == 1:
            return token
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(stations).values(name=name, token_hash=hash_token(token), created_at=_now())
            )
    except IntegrityError:
        raise AccountError("Station déjà enregistrée / station already registered") from None
    return token


async def station_for_token(engine: AsyncEngine, token: str) -> Station | None:
    """The station owning this bearer token, or None."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(stations.c.id, stations.c.name).where(
                    stations.c.token_hash == hash_token(token)
                )
            )
        ).first()
    return Station(row.id, row.name) if row else None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_login(
    engine: AsyncEngine, username: str, password: str, run=None
) -> Doctor | None:
    """The doctor if the password matches, else None (constant work either way).

    Argon2id (~50 ms of CPU) runs in ``run`` (the hub's bounded hash pool, see
    ``hardening.HashPool``) or a worker thread, never on the event loop; an unknown user name
    is verified against a dummy hash so the answer takes as long as for a real account.
    """
    async with engine.connect() as conn:
        row = (await conn.execute(select(doctors).where(doctors.c.username == username))).first()
    target = row.password_hash if row else _DUMMY_HASH
    ok = await (run or asyncio.to_thread)(_verify, target, password)
    if not ok or row is None:
        return None
    return _doctor(row)


MIN_PASSWORD_SCORE = 3  # zxcvbn 0..4: 3 = "safely unguessable" (~10^10 guesses)


def check_password_policy(password: str, *, user_inputs: list[str] | tuple = ()) -> None:
    """Refuse a short, common or guessable password (zxcvbn: common-password lists, words,
    keyboard patterns, dates, the user's own name); raises :class:`AccountError`."""
    from zxcvbn import zxcvbn

    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 min.) / password too short (10 min.)")
    if len(password) > 256:
        raise AccountError("Mot de passe trop long (256 max.) / password too long (256 max.)")
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_PASSWORD_SCORE:
        hint = result["feedback"].get("warning") or "too easy to guess"
        raise AccountError(
            "Mot de passe trop facile à deviner (mot courant, suite de clavier, date, nom…) ; "
            "choisir une phrase de plusieurs mots peu courants / password too easy to guess "
            f"({hint.rstrip('.')}): use a phrase of several uncommon words"
        )


def _doctor(row) -> Doctor:
    return Doctor(row.id, row.username, row.name, row.rpps, row.specialty, bool(row.is_admin))


async def open_session(engine: AsyncEngine, doctor: Doctor, ttl_s: int) -> str:
    """Create a session for a doctor; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    now = _now()
    async with engine.begin() as conn:
        # Purge expired sessions here: logins are rare enough, and no timer is needed.
        await conn.execute(delete(sessions).where(sessions.c.expires_at < now))
        await conn.execute(
            insert(sessions).values(
                token_hash=hash_token(token),
                doctor_id=doctor.id,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )
        )
    return token


async def doctor_for_session(engine: AsyncEngine, token: str) -> Doctor | None:
    """The doctor of a live session cookie, or None (expired sessions are refused)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(doctors, sessions.c.expires_at)
                .join(sessions, sessions.c.doctor_id == doctors.c.id)
                .where(sessions.c.token_hash == hash_token(token))
            )
        ).first()
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        expires = expires.replace(tzinfo=UTC)
    if expires <= _now():
        return None
    return _doctor(row)


async def close_session(engine: AsyncEngine, token: str) -> None:
    """Delete a session (logout)."""
    async with engine.begin() as conn:
        await conn.execute(delete(sessions).where(sessions.c.token_hash == hash_token(token)))
