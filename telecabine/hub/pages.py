"""Doctor console pages: sign-in (served with 401 until signed in), console, static files.

The sign-in page is self-contained (inline CSS allowed by its CSP hash, a plain HTML form, no
script) so that nothing under ``/static/`` has to be public: every static file needs a session.
"""

from __future__ import annotations

import html
import mimetypes
from pathlib import Path

from aiohttp import web

from telecabine.hub import throttle
from telecabine.hub.accounts import close_session, open_session, verify_login
from telecabine.hub.hardening import HASH_POOL, SOCKETS, HashBusy, session_credential
from telecabine.hub.safe_json import read_json
from telecabine.hub.security import (
    DOCTOR,
    OPTIONAL,
    PRINCIPAL,
    SESSION_COOKIE,
    json_error,
    origin_allowed,
    requires,
)
from telecabine.hub.state import HUB

STATIC_DIR = Path(__file__).with_name("static")

_TEXT = {
    "fr": {
        "title": "Téléconsultation — connexion médecin",
        "heading": "Connexion médecin",
        "username": "Identifiant",
        "password": "Mot de passe",
        "submit": "Se connecter",
        "switch": "English",
        "bad": "Identifiant ou mot de passe incorrect.",
        "locked": "Trop de tentatives : réessayez dans quelques minutes.",
        "origin": "Origine de la requête refusée.",
        "busy": "Serveur occupé : réessayez dans un instant.",
    },
    "en": {
        "title": "Teleconsultation — doctor sign-in",
        "heading": "Doctor sign-in",
        "username": "Username",
        "password": "Password",
        "submit": "Sign in",
        "switch": "Français",
        "bad": "Wrong username or password.",
        "locked": "Too many attempts: try again in a few minutes.",
        "origin": "Request origin refused.",
        "busy": "Server busy: try again in a moment.",
    },
}


def _lang(request: web.Request, fallback: str = "fr") -> str:
    lang = request.query.get("lang") or fallback
    return lang if lang in _TEXT else "fr"


def signin_css() -> str:
    """The sign-in page's inline stylesheet (its hash goes into the CSP)."""
    return (STATIC_DIR / "signin.css").read_text(encoding="utf-8")


def signin_page(lang: str, error_key: str | None, status: int, username: str = "") -> web.Response:
    """Render the sign-in form (bilingual, accessible, no script); keeps the typed username."""
    t = _TEXT[lang]
    other = "en" if lang == "fr" else "fr"
    error = (
        f'<p class="error" role="alert" id="err">{html.escape(t[error_key])}</p>'
        if error_key
        else ""
    )
    described = ' aria-describedby="err"' if error_key else ""
    body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t["title"])}</title><style>{signin_css()}</style></head>
<body><main class="card">
<p class="brand">Télécabine</p>
<h1>{html.escape(t["heading"])}</h1>{error}
<form method="post" action="/login?lang={lang}"{described}>
<label for="username">{html.escape(t["username"])}</label>
<input id="username" name="username" autocomplete="username" required maxlength="64"
 value="{html.escape(username, quote=True)}"{"" if username else " autofocus"}>
<label for="password">{html.escape(t["password"])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 maxlength="256"{" autofocus" if username else ""}>
<button type="submit">{html.escape(t["submit"])}</button>
</form>
<p class="lang"><a href="/?lang={other}" lang="{other}">{html.escape(t["switch"])}</a></p>
</main></body></html>"""
    return web.Response(text=body, content_type="text/html", status=status)


@requires(OPTIONAL)
async def index(request: web.Request) -> web.StreamResponse:
    """The console for a signed-in doctor, else the sign-in page with status 401."""
    principal = request[PRINCIPAL]
    if principal is None or principal.doctor is None:
        return signin_page(_lang(request), None, 401)
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


@requires(OPTIONAL)
async def login(request: web.Request) -> web.StreamResponse:
    """Check a username/password (form or JSON); set the session cookie; 401 otherwise."""
    hub = request.app[HUB]
    wants_json = request.content_type == "application/json"
    lang = _lang(request)

    typed = ""

    def refuse(status: int, key: str) -> web.Response:
        if wants_json:
            return json_error(status, key, f"{_TEXT['fr'][key]} / {_TEXT['en'][key]}")
        return signin_page(lang, key, status, typed)

    if "Origin" in request.headers and not origin_allowed(request):
        return refuse(403, "origin")
    try:
        data = await read_json(request) if wants_json else await request.post()
        username = str(data.get("username", ""))[:64]
        password = str(data.get("password", ""))[:256]
        typed = username
    except (ValueError, AttributeError):
        return refuse(401, "bad")
    # Counted before the password is checked, in one atomic statement per key shared by all
    # instances: concurrent guesses cannot all pass (see throttle.py).
    ip = request.remote or "?"
    user = username.lower()
    s = hub.settings
    back = (s.login_backoff_base_s, s.login_backoff_cap_s)
    rules = [
        throttle.Rule(f"login:user-ip:{user}|{ip}", s.login_max_failures, *back),
        throttle.Rule(f"login:ip:{ip}", s.login_ip_free, *back),
        throttle.Rule(f"login:user:{user}", s.login_user_free, *back),
    ]
    wait = await throttle.attempt(hub.engine, rules, forget_s=s.login_window_s)
    if wait > 0:
        response = refuse(429, "locked")
        response.headers["Retry-After"] = str(int(wait + 0.999))
        return response
    try:
        doctor = (
            await verify_login(hub.engine, username, password, request.app[HASH_POOL].run)
            if username
            else None
        )
    except HashBusy:
        response = refuse(503, "busy")
        response.headers["Retry-After"] = "1"
        return response
    if doctor is None:
        return refuse(401, "bad")
    await throttle.succeeded(
        hub.engine,
        reset_keys=[rules[0].key],
        undo_keys=[rules[1].key, rules[2].key],
        forget_s=s.login_window_s,
    )
    token = await open_session(hub.engine, doctor, hub.settings.session_ttl_s)
    response: web.StreamResponse
    if wants_json:
        response = web.json_response({"doctor": _doctor_json(doctor)})
    else:
        response = web.HTTPSeeOther(f"/?lang={lang}")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=hub.settings.tls,
        max_age=hub.settings.session_ttl_s,
        path="/",
    )
    return response


def _doctor_json(doctor) -> dict:
    return {
        "username": doctor.username,
        "name": doctor.name,
        "rpps": doctor.rpps,
        "specialty": doctor.specialty,
        "is_admin": doctor.is_admin,
    }


@requires(DOCTOR)
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await close_session(request.app[HUB].engine, token)
    # This session's signaling sockets end with it (other instances notice within
    # session_check_s, or at the next message).
    await request.app[SOCKETS].close_credential(session_credential(token))
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@requires(DOCTOR)
async def me(request: web.Request) -> web.Response:
    """The signed-in doctor's public profile (the console shows it and passes it to call.js)."""
    return web.json_response({"doctor": _doctor_json(request[PRINCIPAL].doctor)})


@requires(DOCTOR)
async def static_file(request: web.Request) -> web.StreamResponse:
    """Console assets, for signed-in doctors only; no directory listing, no path escape."""
    name = request.match_info["name"]
    if "\x00" in name or "/" in name or "\\" in name or len(name) > 128:
        return json_error(404, "not_found", "Introuvable / not found")
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        return json_error(404, "not_found", "Introuvable / not found")
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        ctype = "text/javascript"
    return web.FileResponse(path, headers={"Content-Type": ctype, "Cache-Control": "no-cache"})
