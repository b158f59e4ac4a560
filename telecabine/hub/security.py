"""Authentication middleware, per-route access rules, security headers.

Every route requires a station token (``Authorization: Bearer``), a doctor session cookie or
the operator's admin token, except ``GET /healthz``. Routes say what they accept with
:func:`requires`; a request with no valid credential gets 401, one with the wrong kind 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from telecabine.hub.accounts import Doctor, Station, doctor_for_session, station_for_token
from telecabine.hub.state import HUB

SESSION_COOKIE = "tc_session"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC = "public"  # no credential at all (only /healthz)
OPTIONAL = "optional"  # the handler answers 401 itself (sign-in page, login)
STATION = "station"
DOCTOR = "doctor"
ADMIN = "admin"


def requires(*kinds: str) -> Callable[[Handler], Handler]:
    """Declare which principals may call a handler (checked by :func:`auth_middleware`)."""

    def mark(handler: Handler) -> Handler:
        handler.auth_kinds = frozenset(kinds)  # type: ignore[attr-defined]
        return handler

    return mark


@dataclass(frozen=True)
class Principal:
    """Who is calling: exactly one of station, doctor or the admin token."""

    station: Station | None = None
    doctor: Doctor | None = None
    admin_token: bool = False

    @property
    def kinds(self) -> frozenset[str]:
        """Access kinds this principal satisfies."""
        out = set()
        if self.station:
            out.add(STATION)
        if self.doctor:
            out.add(DOCTOR)
            if self.doctor.is_admin:
                out.add(ADMIN)
        if self.admin_token:
            out.add(ADMIN)
        return frozenset(out)


PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", Principal | None)


def json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """A JSON error body ``{"error": {"code", "message", ...}}`` with a bilingual message."""
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


def unauthorized() -> web.Response:
    """401 for a missing or invalid credential."""
    return json_error(401, "unauthorized", "Authentification requise / authentication required")


async def _resolve(request: web.Request) -> Principal | None:
    hub = request.app[HUB]
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        token = auth[7:].strip()
        if not token or len(token) > 256:
            return None
        admin = hub.settings.secret("admin_token")
        if admin and hmac.compare_digest(token.encode(), admin.encode()):
            return Principal(admin_token=True)
        station = await station_for_token(hub.engine, token)
        return Principal(station=station) if station else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and len(cookie) <= 256:
        doctor = await doctor_for_session(hub.engine, cookie)
        return Principal(doctor=doctor) if doctor else None
    return None


def origin_allowed(request: web.Request) -> bool:
    """True when the browser's Origin is the hub's own (or configured) origin."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    allowed = {f"{request.scheme}://{request.host}", *request.app[HUB].settings.allowed_origins}
    return origin in allowed


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the caller, refuse what the route does not accept."""
    route_handler = getattr(request.match_info, "handler", None)
    kinds: frozenset[str] = getattr(route_handler, "auth_kinds", frozenset())
    if PUBLIC in kinds:
        return await handler(request)
    principal = await _resolve(request)
    request[PRINCIPAL] = principal
    if OPTIONAL in kinds:
        return await handler(request)
    if principal is None:
        return unauthorized()
    if request.match_info.http_exception is not None:
        return await handler(request)  # unknown path or method: an honest 404/405
    if not (principal.kinds & kinds):
        return json_error(403, "forbidden", "Accès refusé / access denied")
    # Cookie-authenticated writes must come from our own pages (CSRF defence in depth,
    # on top of SameSite=Strict).
    if (
        principal.doctor
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and "Origin" in request.headers
        and not origin_allowed(request)
    ):
        return json_error(403, "bad_origin", "Origine refusée / origin refused")
    return await handler(request)


def _csp(request: web.Request) -> str:
    extra_style = " ".join(request.app[HUB].inline_style_hashes)
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' {extra_style}; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every response (CSP, frame denial, HSTS under TLS)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    if not response.prepared:
        h = response.headers
        h.setdefault("Content-Security-Policy", _csp(request))
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        # "same-origin", not "no-referrer": with no-referrer Chromium sends "Origin: null"
        # on form posts, which the CSRF origin check must refuse.
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        h.setdefault("Cache-Control", "no-store")
        if request.app[HUB].settings.tls:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if isinstance(response, web.HTTPException):
        raise response
    return response


def style_hash(css: str) -> str:
    """CSP source expression allowing one inline ``<style>`` block."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"
