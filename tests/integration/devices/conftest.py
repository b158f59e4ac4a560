"""A private PulseAudio daemon with a null sink, so the real PortAudio path runs in CI.

The session fixture starts ``pulseaudio`` in a temporary runtime directory (its own socket,
no D-Bus, no hardware modules), adds a null sink ``tc`` and a source ``tcmic`` remapped from
the sink's monitor (what is played comes back as microphone input), points this process at
it through ``PULSE_SERVER`` and re-initialises PortAudio so ALSA's ``pulse`` device appears.
The daemon is stopped at session end (and dies with the test process if that is killed). With ``CI=true`` a daemon that cannot start fails the
tests instead of skipping them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pactl(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        ["pactl", *args], env=env, capture_output=True, text=True, timeout=10, check=True
    )
    return out.stdout.strip()


@pytest.fixture(scope="session")
def pulse_null_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start PulseAudio with a null sink looped back to a source; yields the server address."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pulseaudio/pactl missing in CI (apt install pulseaudio pulseaudio-utils)")
        pytest.skip("pulseaudio not installed")
    runtime = tmp_path_factory.mktemp("pulse")
    env = os.environ | {
        "PULSE_RUNTIME_PATH": str(runtime),
        "PULSE_STATE_PATH": str(runtime),
        "HOME": str(runtime),  # the daemon writes its cookie under HOME; keep it private
    }
    env.pop("PULSE_SERVER", None)
    socket = runtime / "native"
    # Not daemonized: a child of this process that the kernel terminates if pytest dies
    # (PR_SET_PDEATHSIG), so an interrupted run never leaves a daemon behind.
    cmd = [
        "pulseaudio", "--daemonize=no", "-n", "--exit-idle-time=-1", "--system=false",
        "--disallow-exit", "--disable-shm=yes", f"--log-target=file:{runtime / 'log.txt'}",
        f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}",
    ]  # fmt: skip
    daemon = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
    )  # fmt: skip
    if not _wait_for(socket) or daemon.poll() is not None:
        _stop(daemon)
        log = (runtime / "log.txt").read_text() if (runtime / "log.txt").exists() else ""
        msg = f"pulseaudio did not start (rc={daemon.returncode}): {log[-800:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    server = f"unix:{socket}"
    env["PULSE_SERVER"] = server
    try:
        _pactl(env, "load-module", "module-null-sink", "sink_name=tc")
        _pactl(env, "load-module", "module-remap-source", "master=tc.monitor", "source_name=tcmic")
        _pactl(env, "set-default-sink", "tc")
        _pactl(env, "set-default-source", "tcmic")
        saved = os.environ.get("PULSE_SERVER")
        os.environ["PULSE_SERVER"] = server
        import sounddevice as sd

        # PortAudio enumerates ALSA devices once; re-initialise so 'pulse' shows up now.
        sd._terminate()
        sd._initialize()
        yield server
    finally:
        _stop(daemon)
        if "saved" in locals():
            if saved is None:
                os.environ.pop("PULSE_SERVER", None)
            else:
                os.environ["PULSE_SERVER"] = saved
        try:
            import sounddevice as sd

            sd._terminate()
            sd._initialize()
        except Exception:  # best effort: PortAudio without the daemon
            pass


def _wait_for(path: Path, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _stop(daemon: subprocess.Popen) -> None:
    """Stop the daemon we started (our own child, by its pid)."""
    if daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(5)
