"""The Linux installer: build the .deb from the repository, install it, run what it installed.

Slow (a PyInstaller build, ~1-2 min on 2 cores) but it is the only proof that a pharmacy gets a
working package, so CI runs it. Installs into a scratch dpkg root (``dpkg --root``) so a
developer's machine is left untouched; the installed files are the same as with ``dpkg -i``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
        reason="Debian packaging runs on Debian/Ubuntu only",
    ),
]


def _scratch_dpkg(tmp: Path) -> Path:
    root = tmp / "root"
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        (root / d).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    return root


def _xvfb() -> list[str]:
    """``xvfb-run -a`` (CI installs Xvfb); a display already there is used as it is."""
    if shutil.which("xvfb-run"):
        return ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]
    assert os.environ.get("CI") != "true", "xvfb-run is missing (scripts/bootstrap.sh installs it)"
    return []


def _dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless",
         "--force-not-root", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "installers/linux/build.sh")],
        cwd=ROOT, capture_output=True, text=True, timeout=800,
        env={**os.environ, "DEB_COMPRESSION": "gzip -z1"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    path = Path(out.stdout.strip().splitlines()[-1])
    assert path.suffix == ".deb" and path.exists()
    return path


def test_deb_metadata_declares_runtime_libraries(deb: Path) -> None:
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True)
    fields = info.stdout
    for lib in ("libportaudio2", "libxcb-cursor0", "libegl1", "libpulse0"):
        assert lib in fields
    files = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True).stdout
    for path in (
        "./opt/telecabine/telecabine",
        "./usr/share/applications/telecabine.desktop",
        "./usr/lib/systemd/user/telecabine-kiosk.service",
        "./etc/xdg/autostart/telecabine-kiosk.desktop",
        "./usr/share/icons/hicolor/scalable/apps/telecabine.svg",
        "./opt/telecabine/_internal/resources/i18n/telecabine_en.qm",  # English works frozen
    ):
        assert path in files, path


def test_installed_binary_runs_and_removal_keeps_data(deb: Path, tmp_path: Path) -> None:
    root = _scratch_dpkg(tmp_path)
    _dpkg(root, "-i", str(deb))
    exe = root / "opt/telecabine/telecabine"
    # Under Xvfb, as on a kiosk's X display: the bundled xcb platform plugin must load.
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["HOME"] = str(tmp_path / "home")
    xvfb = _xvfb()
    if not xvfb:
        env["QT_QPA_PLATFORM"] = "offscreen"
    version = subprocess.run([*xvfb, str(exe), "--version"], capture_output=True, text=True,
                             env=env, timeout=120)  # fmt: skip
    assert version.returncode == 0 and "telecabine" in version.stdout

    # The kiosk window itself: first run, up to the first painted page, then a clean exit.
    gui = subprocess.run(
        [*xvfb, str(exe), "--data-dir", str(tmp_path / "gui-data"), "run"],
        capture_output=True, text=True, timeout=180,
        env={**env, "TELECABINE_QUIT_AFTER_S": "0", "TELECABINE_INSECURE_FILE_KEYRING": "1"},
    )  # fmt: skip
    assert gui.returncode == 0, gui.stderr[-3000:]
    assert "telecabine: ready" in gui.stdout

    # The installed equipment check runs the frozen OpenCV/PortAudio/bleak code paths: on this
    # machine (no camera, no sound card) it must report failures as JSON, not crash.
    data = tmp_path / "station-data"
    check = subprocess.run(
        [*xvfb, str(exe), "--data-dir", str(data), "check", "--json"],
        capture_output=True, text=True, env={**env, "TELECABINE_INSECURE_FILE_KEYRING": "1"},
        timeout=180,
    )  # fmt: skip
    assert check.returncode in (0, 1), check.stderr[-3000:]
    report = json.loads(check.stdout)
    keys = {item["key"] for item in report["items"]}
    assert {"camera:room", "microphone", "disk"} <= keys, keys
    assert report["passed"] is (check.returncode == 0)

    # Removal and purge leave a user's (encrypted) patient data alone.
    data_dir = tmp_path / "home/.local/share/telecabine"
    data_dir.mkdir(parents=True)
    (data_dir / "telecabine.db").write_bytes(b"encrypted")
    _dpkg(root, "-P", "telecabine")
    assert not exe.exists()
    assert (data_dir / "telecabine.db").exists()
