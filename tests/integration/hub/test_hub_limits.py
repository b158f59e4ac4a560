"""Sign-in back-off counters, secrets read from files, expired sessions refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub_testlib import client, hub_settings
from sqlalchemy import update

from telecabine.hub.db import sessions
from telecabine.hub.server import start_hub


async def test_throttle_backoff_doubles_and_is_forgotten(tmp_path: Path):
    from telecabine.hub import throttle
    from telecabine.hub.db import create_engine, migrate

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await migrate(engine)
    try:
        rule = [throttle.Rule("k", free=2, base_s=1.0, cap_s=4.0)]

        async def at(now: float) -> float:
            return await throttle.attempt(engine, rule, forget_s=100, now=now)

        assert await at(0) == 0  # free
        assert await at(0) == 0  # the 2nd free attempt starts a 1 s wait
        assert await at(0.5) == 0.5  # refused, and does not lengthen the wait
        assert await at(1.0) == 0  # then 2 s
        assert await at(2.9) > 0 and await at(3.0) == 0  # then 4 s (the cap)
        assert await at(6.9) > 0 and await at(7.0) == 0 and await at(11.0) == 0  # capped
        assert await at(300) == 0 and await at(300) == 0  # forgotten after a quiet time
        assert await throttle.within_rate(engine, "a", 2, 60, now=0)
        assert await throttle.within_rate(engine, "a", 2, 60, now=1)
        assert not await throttle.within_rate(engine, "a", 2, 60, now=2)
        assert await throttle.within_rate(engine, "a", 2, 60, now=61)  # next window
    finally:
        await engine.dispose()


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
