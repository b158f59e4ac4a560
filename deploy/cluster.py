"""A whole Telecabine hub deployment on loopback: PostgreSQL, N hub instances, nginx, coturn.

The same configuration files as production (``deploy/nginx/telecabine.conf``,
``deploy/coturn/turnserver.conf``) filled for 127.0.0.1, free ports and a temporary directory,
with a self-signed certificate made here. For tests (pytest fixtures) and benchmarks::

    with Cluster(hubs=3) as c:
        c.url            # https://127.0.0.1:<port> (nginx, TLS)
        c.hub_urls       # http://127.0.0.1:<port> of each instance (behind nginx)
        c.add_station("cabine-1"); c.add_doctor("dr.x", "password...")
        c.kill_hub(0)    # SIGKILL one instance (failure tests)

Run as root (as in CI): PostgreSQL's initdb/server run as ``postgres`` through ``runuser``.
Every process is started and stopped by PID; nothing listens outside loopback.
``python -m deploy.cluster`` starts one and waits for Ctrl+C (a trial by hand).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
NOFILE = 65536


class ClusterError(RuntimeError):
    """A part of the cluster did not start (the message says which, with its log's tail)."""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free right now on 127.0.0.1 (TCP, or UDP with ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_both() -> int:
    """A port free for both TCP and UDP (TURN listens on both)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise ClusterError("no free TCP+UDP port")


def raise_nofile() -> None:
    """Raise this process's open-file limit to its hard limit (up to 65536)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def missing_binaries() -> list[str]:
    """Debian packages the cluster needs that are not installed."""
    out = []
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        out.append("postgresql")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        out.append("nginx")
    if shutil.which("turnserver") is None:
        out.append("coturn")
    return out


def render(template: Path, values: dict[str, str]) -> str:
    """Fill ``@@NAME@@`` placeholders; every placeholder must be given."""
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    for line in text.splitlines():
        if "@@" in line and not line.lstrip().startswith("#"):
            raise ClusterError(f"{template.name}: placeholder not filled: {line.strip()!r}")
    return text


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


class Cluster:
    """PostgreSQL + ``hubs`` hub processes + nginx (TLS) + coturn, on loopback; a context
    manager (``with Cluster() as c``) or ``start()``/``stop()``."""

    def __init__(
        self,
        hubs: int = 3,
        *,
        nginx: bool = True,
        turn: bool = True,
        hub_env: dict[str, str] | None = None,
        pg_max_connections: int = 300,
        pg_options: str = "",
        workdir: Path | None = None,
    ) -> None:
        self.n_hubs = hubs
        self.with_nginx = nginx
        self.with_turn = turn
        self.hub_env = dict(hub_env or {})
        self.pg_max_connections = pg_max_connections
        self.pg_options = pg_options  # extra "-c name=value" server options
        self._workdir_given = workdir
        self.dir: Path | None = None
        self.pg_port = 0
        self.database_url = ""
        self.hub_procs: list[subprocess.Popen | None] = []
        self.hub_ports: list[int] = []
        self.nginx_port = 0
        self.turn_port = 0
        self.turn_secret = secrets.token_urlsafe(32)
        self.cert: Path | None = None
        self._nginx: subprocess.Popen | None = None
        self._turn: subprocess.Popen | None = None
        self._pg_data: Path | None = None
        self._started = False

    # --- public ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The public address (nginx with TLS), or the first hub's without nginx."""
        if self.with_nginx:
            return f"https://127.0.0.1:{self.nginx_port}"
        return self.hub_urls[0]

    @property
    def hub_urls(self) -> list[str]:
        """Each instance's own address (plain HTTP on loopback, as behind nginx)."""
        return [f"http://127.0.0.1:{p}" for p in self.hub_ports]

    @property
    def turn_urls(self) -> list[str]:
        """TURN URLs handed to clients (UDP and TCP)."""
        return [
            f"turn:127.0.0.1:{self.turn_port}?transport=udp",
            f"turn:127.0.0.1:{self.turn_port}?transport=tcp",
        ]

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting the cluster's self-signed certificate."""
        ctx = ssl.create_default_context(cafile=str(self.cert))
        return ctx

    def start(self) -> Cluster:
        """Start every part; on any failure, stop what started and raise ClusterError."""
        missing = missing_binaries()
        if missing:
            raise ClusterError(
                f"missing Debian packages: {' '.join(missing)} (scripts/bootstrap.sh installs them)"
            )
        raise_nofile()
        self.dir = self._workdir_given or Path(tempfile.mkdtemp(prefix="tc-cluster-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)  # postgres (another user) must reach its folder inside
        try:
            self._start_postgres()
            self._make_cert()
            if self.with_turn:
                self._start_coturn()
            if self.with_nginx:
                self.nginx_port = free_port()  # the hubs need their public origin
            self.hub_procs = [None] * self.n_hubs
            self.hub_ports = [0] * self.n_hubs
            # The first instance migrates the schema (as for an upgrade: one first), then the
            # others start together.
            self.start_hub(0)
            self._start_hubs(range(1, self.n_hubs))
            if self.with_nginx:
                self._start_nginx()
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        """Stop everything (hubs, nginx, coturn, PostgreSQL) and delete the temporary files."""
        for proc in self.hub_procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for i in range(len(self.hub_procs)):
            self.stop_hub(i)
        for proc in (self._nginx, self._turn):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # nginx: fast shutdown; coturn: exits
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self._nginx = self._turn = None
        if self._pg_data is not None:
            subprocess.run(
                self._as_postgres([str(self._pg_bin() / "pg_ctl"), "-D", str(self._pg_data),
                                   "-m", "fast", "-t", "30", "stop"]),
                capture_output=True, timeout=60,
            )  # fmt: skip
            self._pg_data = None
        if self.dir is not None and self._workdir_given is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self._started = False

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start_hub(self, i: int) -> None:
        """(Re)start hub instance ``i`` on its port (a free one the first time)."""
        self._start_hubs([i])

    def _start_hubs(self, which) -> None:
        assert self.dir is not None
        which = list(which)
        for i in which:
            self._spawn_hub(i)
        for i in which:
            self._await_hub(i)

    def _spawn_hub(self, i: int) -> None:
        assert self.dir is not None
        port = self.hub_ports[i] or 0
        log = open(self.dir / f"hub{i}.log", "ab")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "telecabine", "hub", "--host", "127.0.0.1",
             "--port", str(port), "--database", self.database_url],
            stdout=subprocess.PIPE, stderr=log, env=self._hub_env(), cwd=ROOT,
            preexec_fn=raise_nofile,
        )  # fmt: skip
        log.close()
        self.hub_procs[i] = proc

    def _await_hub(self, i: int) -> None:
        assert self.dir is not None
        proc = self.hub_procs[i]
        assert proc is not None
        line = self._first_line(proc, 90.0)
        if not line or "http://127.0.0.1:" not in line:
            proc.kill()
            raise ClusterError(f"hub {i} did not start: {_tail(self.dir / f'hub{i}.log')}")
        self.hub_ports[i] = int(line.rsplit(":", 1)[1].split()[0])
        self._wait_http(f"{self.hub_urls[i]}/healthz", f"hub {i}")

    def stop_hub(self, i: int) -> None:
        """Stop instance ``i`` gracefully (SIGTERM: sockets closed with 1001)."""
        proc = self.hub_procs[i]
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        self.hub_procs[i] = None

    def kill_hub(self, i: int) -> None:
        """SIGKILL instance ``i`` (a crash: its sockets drop without a close frame)."""
        proc = self.hub_procs[i]
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        self.hub_procs[i] = None

    def hub_pids(self) -> list[int]:
        """PIDs of the running hub processes."""
        return [p.pid for p in self.hub_procs if p is not None and p.poll() is None]

    def cli(self, *args: str, stdin_file: Path | None = None) -> str:
        """Run ``telecabine hub --database URL ARGS`` and return its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "telecabine", "hub", "--database", self.database_url, *args],
            capture_output=True, text=True, timeout=120, cwd=ROOT, env=self._hub_env(),
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(f"telecabine hub {args[0]}: {done.stderr[-1000:]}")
        return done.stdout

    def add_station(self, name: str) -> str:
        """Register a station; returns its bearer token."""
        return self.cli("add-station", name).strip().splitlines()[-1]

    def add_doctor(self, username: str, password: str, name: str = "Dr Test") -> None:
        """Create a doctor account."""
        assert self.dir is not None
        pw = self.dir / f"pw-{secrets.token_hex(4)}"
        pw.write_text(password, encoding="utf-8")
        pw.chmod(0o600)
        try:
            self.cli("add-doctor", "--username", username, "--name", name,
                     "--rpps", "10000000001", "--password-file", str(pw))  # fmt: skip
        finally:
            pw.unlink(missing_ok=True)

    # --- parts ----------------------------------------------------------------------------

    @staticmethod
    def _pg_bin() -> Path:
        return Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent

    @staticmethod
    def _as_postgres(cmd: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _start_postgres(self) -> None:
        assert self.dir is not None
        pg = self.dir / "pg"
        pg.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pg, "postgres", "postgres")
        data = pg / "data"
        self.pg_port = free_port()
        bindir = self._pg_bin()
        subprocess.run(
            self._as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                               "-A", "trust", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {pg} "
            f"-c max_connections={self.pg_max_connections} -c shared_buffers=64MB "
            f"{self.pg_options}"
        )
        done = subprocess.run(
            self._as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                               "-l", str(pg / "log"), "-w", "-t", "60", "start"]),
            capture_output=True, timeout=90,
        )  # fmt: skip
        if done.returncode != 0:
            raise ClusterError(f"PostgreSQL did not start: {_tail(pg / 'log')}")
        self._pg_data = data
        subprocess.run(
            self._as_postgres([str(bindir / "createdb"), "-h", "127.0.0.1", "-p",
                               str(self.pg_port), "-U", "postgres", "telecabine"]),
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/telecabine"

    def _make_cert(self) -> None:
        from telecabine.hub.tls import generate_self_signed

        assert self.dir is not None
        self.cert, self.key = generate_self_signed(self.dir / "tls", ["127.0.0.1", "localhost"])

    def _start_coturn(self) -> None:
        assert self.dir is not None
        turn = self.dir / "turn"
        turn.mkdir()
        self.turn_port = free_port_both()
        conf = turn / "turnserver.conf"
        conf.write_text(
            render(
                DEPLOY / "coturn" / "turnserver.conf",
                {
                    "LISTEN_IP": "127.0.0.1",
                    "PORT": str(self.turn_port),
                    "RELAY_IP": "127.0.0.1",
                    "EXTERNAL_IP": "",
                    "MIN_PORT": "49152",
                    "MAX_PORT": "65535",
                    "REALM": "telecabine.test",
                    "SECRET": self.turn_secret,
                    "TLS": "no-tls\nno-dtls",
                    # Test cluster only: every peer is on 127.0.0.1. Production keeps
                    # loopback and private ranges denied (coturn's defaults + denied-peer-ip).
                    "PEERS": "allow-loopback-peers\ncli-password=unused",
                    "PIDFILE": str(turn / "turnserver.pid"),
                    "LOG_FILE": str(turn / "turnserver.log"),
                },
            ),
            encoding="utf-8",
        )
        conf.chmod(0o600)
        self._turn = subprocess.Popen(
            ["turnserver", "-c", str(conf)], stdout=subprocess.DEVNULL,
            stderr=open(turn / "stderr.log", "wb"), preexec_fn=raise_nofile,  # noqa: SIM115
        )  # fmt: skip
        self._wait_tcp(self.turn_port, "coturn", turn / "turnserver.log", self._turn)

    def _hub_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELECABINE_HUB_")}
        assert self.dir is not None
        env["TELECABINE_HUB_DATA_DIR"] = str(self.dir / "hubdata")
        # Behind nginx every client arrives from the proxy's address, and the load bench's
        # thousands of simulated cabins all come from 127.0.0.1: the per-address connection
        # cap (a defence for a hub facing clients directly) must not count them as one client.
        env["TELECABINE_HUB_MAX_CONNECTIONS_PER_IP"] = "20000"
        if self.with_nginx:
            env["TELECABINE_HUB_ALLOWED_ORIGINS"] = json.dumps(
                [f"https://127.0.0.1:{self.nginx_port}", f"https://localhost:{self.nginx_port}"]
            )
        if self.with_turn:
            secret_file = self.dir / "turn-secret"
            if not secret_file.exists():
                secret_file.write_text(self.turn_secret, encoding="utf-8")
                secret_file.chmod(0o600)
            env["TELECABINE_HUB_TURN_URLS"] = json.dumps(self.turn_urls)
            env["TELECABINE_HUB_TURN_SECRET_FILE"] = str(secret_file)
        env.update(self.hub_env)
        return env

    def _start_nginx(self) -> None:
        assert self.dir is not None and self.cert is not None
        ng = self.dir / "nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (ng / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if self.nginx_port == 0:
            self.nginx_port = free_port()
        servers = "\n".join(
            f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.hub_ports
        )
        site = render(
            DEPLOY / "nginx" / "telecabine.conf",
            {
                "UPSTREAM_SERVERS": servers,
                "LISTEN": f"127.0.0.1:{self.nginx_port}",
                "SERVER_NAME": "127.0.0.1 localhost",
                "CERT": str(self.cert),
                "KEY": str(self.key),
                "ACCESS_LOG": "off",
            },
        )
        (ng / "telecabine.conf").write_text(site, encoding="utf-8")
        tmp = ng / "tmp"
        main = f"""# Generated by deploy/cluster.py (loopback test cluster).
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {NOFILE};
pid {ng / "nginx.pid"};
error_log {ng / "error.log"} warn;
events {{ worker_connections 16384; }}
http {{
    client_body_temp_path {tmp / "client_body"};
    proxy_temp_path {tmp / "proxy"};
    fastcgi_temp_path {tmp / "fastcgi"};
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};
    include {ng / "telecabine.conf"};
}}
"""
        (ng / "nginx.conf").write_text(main, encoding="utf-8")
        check = subprocess.run(
            ["nginx", "-t", "-p", str(ng), "-c", str(ng / "nginx.conf")],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        if check.returncode != 0:
            raise ClusterError(f"nginx configuration refused: {check.stderr[-1500:]}")
        self._nginx = subprocess.Popen(
            ["nginx", "-p", str(ng), "-c", str(ng / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=open(ng / "stderr.log", "wb"),  # noqa: SIM115
            preexec_fn=raise_nofile,
        )  # fmt: skip
        self._wait_http(f"{self.url}/healthz", "nginx", ctx=self.ssl_context())

    # --- waiting --------------------------------------------------------------------------

    @staticmethod
    def _first_line(proc: subprocess.Popen, timeout: float) -> str:
        out: list[str] = []

        def read() -> None:
            assert proc.stdout is not None
            out.append(proc.stdout.readline().decode("utf-8", "replace"))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        return out[0] if out else ""

    def _wait_http(self, url: str, what: str, ctx: ssl.SSLContext | None = None) -> None:
        deadline = time.monotonic() + 30
        last = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2, context=ctx) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.1)
        raise ClusterError(f"{what} not healthy at {url}: {last}")

    @staticmethod
    def _wait_tcp(port: int, what: str, log: Path, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"{what} exited: {_tail(log)}")
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise ClusterError(f"{what} not listening on {port}: {_tail(log)}")


def main() -> int:
    """Start a 3-instance cluster, print its addresses, wait for Ctrl+C."""
    with Cluster(hubs=3) as c:
        print(f"nginx  {c.url}  (certificate {c.cert})")
        print(f"hubs   {' '.join(c.hub_urls)}")
        print(f"turn   {' '.join(c.turn_urls)}")
        print(f"db     {c.database_url}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
