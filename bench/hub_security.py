"""Hub under attack (issue 16): health-check latency during a sign-in flood, descriptors and
log size under a partial-request flood - for the hardened hub and, in the same run, for the hub
before the hardening (extracted with ``git archive`` from ``BENCH_HUBSEC_BEFORE_REF``).

Each hub is a real ``telecabine hub`` subprocess on loopback (SQLite), started from the tree
being measured. Sign-in flood: 150 simultaneous ``POST /login`` for unknown user names while
``/healthz`` is polled every 20 ms; the hardened hub runs with the per-address allowance raised
(``LOGIN_IP_FREE``) so every one of the 150 really reaches Argon2 (its worst case). Partial
flood: the hub runs with ``RLIMIT_NOFILE`` = 1024; 1,500 connections from 127.0.0.2 each send
half a request and stall for 15 s while ``/healthz`` is polled from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import percentile, write_result

ROOT = Path(__file__).resolve().parent.parent
BEFORE_REF = os.environ.get("BENCH_HUBSEC_BEFORE_REF", "392533b")


def _extract_before(dest: Path) -> Path | None:
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BEFORE_REF, "telecabine"],
            check=True, capture_output=True, timeout=60,
        ).stdout  # fmt: skip
    except (subprocess.CalledProcessError, OSError):
        return None
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=60)
    return dest


async def _start(tree: Path, data: Path, log, env_extra: dict[str, str], fd_limit: int | None):
    def limit() -> None:
        if fd_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    env = {**os.environ, **env_extra}
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "telecabine", "--data-dir", str(data), "hub", "--port", "0"],
        cwd=tree, stdout=subprocess.PIPE, stderr=log, env=env, text=True, preexec_fn=limit,
    )  # fmt: skip
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 90)
    if "http://" not in line:
        proc.kill()
        raise RuntimeError(f"hub did not start: {line!r}")
    return proc, line.split()[2]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


async def _poll_health(url: str, stop: asyncio.Event, out: list[float], failures: list[int]):
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                async with s.get(url + "/healthz") as r:
                    await r.read()
                    ok = r.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            elapsed = time.perf_counter() - t0
            if ok:
                out.append(elapsed * 1000)
            else:
                failures.append(1)
            await asyncio.sleep(0.02)


async def _login_flood(tree: Path, env_extra: dict[str, str], n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        log = open(Path(tmp) / "log", "w")  # noqa: SIM115 - closed below
        proc, url = await _start(tree, Path(tmp), log, env_extra, None)
        try:
            idle: list[float] = []
            stop = asyncio.Event()
            poll = asyncio.ensure_future(_poll_health(url, stop, idle, []))
            await asyncio.sleep(1.5)
            stop.set()
            await poll
            during: list[float] = []
            failures: list[int] = []
            stop = asyncio.Event()
            poll = asyncio.ensure_future(_poll_health(url, stop, during, failures))
            connector = aiohttp.TCPConnector(limit=0)
            t0 = time.perf_counter()
            async with aiohttp.ClientSession(connector=connector) as s:

                async def one(i: int) -> int:
                    body = {"username": f"nobody{i}", "password": "not-the-password"}
                    async with s.post(url + "/login", json=body) as r:
                        return r.status

                statuses = await asyncio.gather(*(one(i) for i in range(n)))
            flood_s = time.perf_counter() - t0
            stop.set()
            await poll
        finally:
            _stop(proc)
            log.close()
    return {
        "healthz_idle_p99_ms": round(percentile(idle, 99), 1),
        "healthz_during_p50_ms": round(percentile(during, 50), 1) if during else None,
        "healthz_during_p99_ms": round(percentile(during, 99), 1) if during else None,
        "healthz_during_max_ms": round(max(during), 1) if during else None,
        "healthz_failures": len(failures),
        "healthz_samples": len(during),
        "flood_duration_s": round(flood_s, 2),
        "login_statuses": {str(k): statuses.count(k) for k in sorted(set(statuses))},
    }


async def _partial(host: str, port: int):
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0)), 2
    )
    writer.write(b"GET / HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
    return writer


async def _partial_flood(tree: Path, env_extra: dict[str, str], n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "log"
        log = open(log_path, "w")  # noqa: SIM115 - closed below
        proc, url = await _start(tree, Path(tmp), log, env_extra, 1024)
        writers = []
        max_fds = 0
        during: list[float] = []
        failures: list[int] = []
        stop = asyncio.Event()
        poll = asyncio.ensure_future(_poll_health(url, stop, during, failures))
        try:
            host, port = url.removeprefix("http://").rsplit(":", 1)
            t0 = time.monotonic()
            for start in range(0, n, 100):
                batch = await asyncio.gather(
                    *(_partial(host, int(port)) for _ in range(start, min(start + 100, n))),
                    return_exceptions=True,
                )
                writers += [w for w in batch if not isinstance(w, BaseException)]
                max_fds = max(max_fds, len(os.listdir(f"/proc/{proc.pid}/fd")))
            while time.monotonic() - t0 < 15:
                await asyncio.sleep(0.5)
                max_fds = max(max_fds, len(os.listdir(f"/proc/{proc.pid}/fd")))
            stop.set()
            await poll
        finally:
            for w in writers:
                w.close()
            _stop(proc)
            log.close()
        return {
            "connections_opened": len(writers),
            "hub_fds_max": max_fds,
            "fd_limit": 1024,
            "healthz_ok": len(during),
            "healthz_failed": len(failures),
            "healthz_p99_ms": round(percentile(during, 99), 1) if during else None,
            "log_bytes": log_path.stat().st_size,
        }


async def _measure(quick: bool) -> dict[str, Any]:
    logins = 40 if quick else 150
    partials = 300 if quick else 1500
    # Worst case for the hardened hub: every sign-in reaches Argon2 (no per-address back-off,
    # no per-address connection cap, no early 503).
    after_env = {
        "TELECABINE_HUB_LOGIN_IP_FREE": "100000",
        "TELECABINE_HUB_HASH_QUEUE_MAX": "1000",
        "TELECABINE_HUB_MAX_CONNECTIONS_PER_IP": "1000",
    }
    out: dict[str, Any] = {"before_ref": BEFORE_REF, "logins": logins, "partials": partials}
    out["after"] = {
        "login_flood": await _login_flood(ROOT, after_env, logins),
        "partial_flood": await _partial_flood(ROOT, {}, partials),  # defaults
    }
    with tempfile.TemporaryDirectory() as tmp:
        before = _extract_before(Path(tmp))
        if before is not None:
            out["before"] = {
                "login_flood": await _login_flood(before, {}, logins),
                "partial_flood": await _partial_flood(before, {}, partials),
            }
    return out


def run(quick: bool = False) -> dict:
    """Measure, write ``bench/results/hub_security.json``, return it."""
    details = asyncio.run(_measure(quick))
    after = details["after"]["login_flood"]
    return write_result(
        "hub_security",
        value=after["healthz_during_p99_ms"],
        unit=f"ms, /healthz p99 during {details['logins']} simultaneous sign-ins (unknown users, "
        "all hashed)",
        anchor="/healthz p99 of the same hub when idle, same run",
        anchor_value=after["healthz_idle_p99_ms"],
        goal="health and stations unaffected by a sign-in flood; descriptors bounded and log "
        "quiet under a partial-request flood (see details: before/after)",
        details=details,
        quick=quick,
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
