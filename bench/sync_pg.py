"""A throw-away PostgreSQL cluster for the sync benchmark's hub (Debian binaries, loopback).

Same approach as ``tests/integration/hub/conftest.py``; here with durable commits (fsync on),
as an operator's hub would run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    """``postgresql+asyncpg://`` URL of a fresh cluster, or None when PostgreSQL is absent."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        yield None
        return
    bindir = Path(found[-1]).parent
    tmp = Path(tempfile.mkdtemp(prefix="tc-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp / "data"
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                 "-A", "trust", "-E", "UTF8"]),
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c max_connections=100"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                                 str(tmp / "log"), "-w", "-t", "60", "start"]),
                   check=True, capture_output=True, timeout=90)  # fmt: skip
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                     "stop"]), capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)
