"""A throw-away PostgreSQL cluster for tests (the hub tests and the station e2e share it).

The cluster is created once per session with Debian's binaries in a temporary directory owned
by ``postgres`` (initdb/postgres refuse to run as root) and stopped at the end. Without
PostgreSQL the tests using it are skipped locally but FAIL under ``CI=true``.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_db_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a throw-away PostgreSQL cluster (trust auth, loopback only)."""
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL binaries missing (/usr/lib/postgresql/*/bin) under CI")
        pytest.skip("PostgreSQL not installed")
    tmp = Path(tempfile.mkdtemp(prefix="tc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    data = tmp / "data"
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                      str(tmp / "log"), "-w", "-t", "60", "start"]),
        check=True, capture_output=True, timeout=90,
    )  # fmt: skip
    try:
        yield ("127.0.0.1", port)
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)


async def create_pg_database(host: str, port: int) -> str:
    import asyncpg

    name = f"hub_{os.getpid()}_{next(_db_counter)}_{int(time.time() * 1000) % 100000}"
    conn = await asyncpg.connect(host=host, port=port, user="postgres", database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@{host}:{port}/{name}"
