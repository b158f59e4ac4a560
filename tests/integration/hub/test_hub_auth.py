"""Hub auth: every route but /healthz refuses anonymous callers; sessions, tokens, headers."""

from __future__ import annotations

import aiohttp
from hub_testlib import client

from telecabine.hub.security import SESSION_COOKIE


def _routes(app):
    for route in app.router.routes():
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        yield route.method, path.replace("{name}", "console.js")


async def test_every_route_but_healthz_needs_auth(hub_env):
    routes = list(_routes(hub_env.hub.app))
    assert len(routes) >= 12
    async with client() as s:
        for method, path in routes:
            async with s.request(method, hub_env.url + path) as resp:
                if path == "/healthz":
                    assert resp.status == 200
                else:
                    assert resp.status == 401, (method, path, resp.status)
                    assert "X-Frame-Options" in resp.headers
            # A wrong token is no better than none.
            async with s.request(
                method, hub_env.url + path, headers={"Authorization": "Bearer nope"}
            ) as resp:
                assert resp.status == (200 if path == "/healthz" else 401), (method, path)


async def test_unknown_paths_are_401_without_credentials(hub_env):
    async with client() as s, s.get(hub_env.url + "/no/such/page") as resp:
        assert resp.status == 401


async def test_security_headers_and_signin_page(hub_env):
    async with client() as s, s.get(hub_env.url + "/") as resp:
        assert resp.status == 401
        body = await resp.text()
        assert "Connexion médecin" in body
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP here
    async with client() as s, s.get(hub_env.url + "/?lang=en") as resp:
        assert "Doctor sign-in" in await resp.text()


async def test_login_cookie_flags_and_console_access(hub_env):
    await hub_env.doctor("dr.a")
    async with client() as s:
        async with s.post(
            hub_env.url + "/login", json={"username": "dr.a", "password": "correct-horse-battery"}
        ) as resp:
            assert resp.status == 200
            cookie = resp.cookies[SESSION_COOKIE]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            me = await resp.json()
            assert me["doctor"]["name"] == "Dr Lefèvre"
        async with s.get(hub_env.url + "/") as resp:
            assert resp.status == 200
        async with s.get(hub_env.url + "/static/..%2f..%2fdb.py") as resp:
            assert resp.status == 404
        async with s.get(hub_env.url + "/no/such/page") as resp:
            assert resp.status == 404
        async with s.delete(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 405
        # A station token cannot read the operator's billing export.
        async with s.post(hub_env.url + "/logout") as resp:
            assert resp.status == 200
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 401


async def test_form_login_redirects_and_wrong_password_is_401(hub_env):
    await hub_env.doctor("dr.b")
    async with client() as s:
        async with s.post(
            hub_env.url + "/login",
            data={"username": "dr.b", "password": "wrong-password"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 401
            assert "incorrect" in await resp.text()
        async with s.post(
            hub_env.url + "/login",
            data={"username": '"><script>alert(1)</script>', "password": "x"},
        ) as resp:
            page = await resp.text()
            assert "<script>alert" not in page and "&lt;script&gt;" in page
        async with s.post(
            hub_env.url + "/login",
            data={"username": "dr.b", "password": "correct-horse-battery"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 303


async def test_login_rate_limited(hub_env):
    await hub_env.doctor("dr.c")
    async with client() as s:
        statuses = []
        for _ in range(6):
            async with s.post(
                hub_env.url + "/login", json={"username": "dr.c", "password": "bad-password-x"}
            ) as resp:
                statuses.append(resp.status)
        assert statuses[:5] == [401] * 5 and statuses[5] == 429
        # Even the right password is refused while locked out.
        async with s.post(
            hub_env.url + "/login", json={"username": "dr.c", "password": "correct-horse-battery"}
        ) as resp:
            assert resp.status == 429


async def test_station_token_is_not_a_doctor_and_wrong_kind_is_403(hub_env):
    headers = {"Authorization": f"Bearer {hub_env.station_token}"}
    async with aiohttp.ClientSession(headers=headers) as s:
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 403
        async with s.get(hub_env.url + "/api/v1/billing-records") as resp:
            assert resp.status == 403
        async with s.get(hub_env.url + "/api/v1/ice-servers") as resp:
            body = await resp.json()
        turn = [i for i in body["ice_servers"] if i.get("username")]
        assert turn and turn[0]["username"].endswith(":station-cabine-1")


async def test_doctor_ws_checks_origin(hub_env):
    await hub_env.doctor("dr.d")
    async with client() as s:
        await hub_env.login(s, "dr.d")
        try:
            await s.ws_connect(hub_env.ws_url + "/ws/doctor", origin="https://evil.example")
            raise AssertionError("foreign origin accepted")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 403
        ws = await s.ws_connect(hub_env.ws_url + "/ws/doctor", origin=hub_env.url)
        first = await ws.receive_json(timeout=5)
        assert first["type"] == "queue" and first["entries"] == []
        await ws.close()
