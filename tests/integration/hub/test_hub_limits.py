"""Login rate limiter window, secrets read from files, expired sessions refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub_testlib import client, hub_settings
from sqlalchemy import update

from telecabine.hub.db import sessions
from telecabine.hub.security import LoginRateLimiter
from telecabine.hub.server import start_hub


def test_rate_limiter_window_and_reset():
    now = [0.0]
    limiter = LoginRateLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert not limiter.blocked("10.0.0.1", "Dr.A")
        limiter.failed("10.0.0.1", "Dr.A")
    assert limiter.blocked("10.0.0.1", "dr.a")  # username is case-insensitive
    assert limiter.blocked("10.0.0.9", "dr.a")  # per username, from any address
    assert limiter.blocked("10.0.0.1", "other")  # per address, for any username
    now[0] = 61.0
    assert not limiter.blocked("10.0.0.1", "dr.a")
    limiter.failed("10.0.0.2", "dr.b")
    limiter.succeeded("dr.b")
    assert not limiter.blocked("10.0.0.3", "dr.b")


async def test_admin_token_and_turn_secret_from_files(tmp_path: Path):
    (tmp_path / "admin").write_text("file-admin-token-xyz\n")
    (tmp_path / "turn").write_text("file-turn-secret\n")
    settings = hub_settings(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path)
    settings = settings.model_copy(
        update={
            "admin_token": None,
            "admin_token_file": tmp_path / "admin",
            "turn_secret": None,
            "turn_secret_file": tmp_path / "turn",
        }
    )
    assert settings.secret("turn_secret") == "file-turn-secret"
    hub = await start_hub(settings)
    try:
        async with client() as s:
            async with s.get(
                hub.url + "/api/v1/billing-records",
                headers={"Authorization": "Bearer file-admin-token-xyz"},
            ) as resp:
                assert resp.status == 200
            async with s.get(
                hub.url + "/api/v1/billing-records",
                headers={"Authorization": "Bearer test-admin-token-0123456789"},
            ) as resp:
                assert resp.status == 401
    finally:
        await hub.stop()


async def test_expired_session_is_refused(hub_env):
    await hub_env.doctor("dr.exp")
    async with client() as s:
        await hub_env.login(s, "dr.exp")
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 200
        async with hub_env.engine.begin() as conn:
            await conn.execute(
                update(sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 401


async def test_set_password_ends_sessions(hub_env):
    from telecabine.hub.accounts import set_password

    await hub_env.doctor("dr.pw")
    async with client() as s:
        await hub_env.login(s, "dr.pw")
        await set_password(hub_env.engine, "dr.pw", "a-brand-new-password")
        async with s.get(hub_env.url + "/api/v1/me") as resp:
            assert resp.status == 401
        async with s.post(
            hub_env.url + "/login", json={"username": "dr.pw", "password": "a-brand-new-password"}
        ) as resp:
            assert resp.status == 200
