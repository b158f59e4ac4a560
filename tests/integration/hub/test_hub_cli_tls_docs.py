"""Hub CLI (in-process, and a real subprocess for serve), TLS with a self-signed certificate,
TURN REST credentials, PDF documents."""

from __future__ import annotations

import io
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from hub_testlib import client, hub_settings
from pypdf import PdfReader

from telecabine.hub.server import start_hub
from telecabine.hub.tls import generate_self_signed
from telecabine.hub.turn import turn_credentials


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(capsys, *args: str, data_dir: Path) -> tuple[int, str, str]:
    """Run ``telecabine hub ...`` in-process (the serve case below uses a real subprocess)."""
    from telecabine.cli import main

    code = main(["--data-dir", str(data_dir), "hub", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_station_add_doctor_and_serve(tmp_path: Path, capsys):
    code, out, err = _cli(capsys, "add-station", "cabine-cli", data_dir=tmp_path)
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert len(token) >= 40
    code, _, err = _cli(capsys, "add-station", "cabine-cli", data_dir=tmp_path)
    assert code == 2 and "déjà" in err
    pw = tmp_path / "pw"
    pw.write_text("a-long-password\n")
    code, _, err = _cli(capsys, "add-doctor", "--username", "dr.cli", "--name", "Dr Cli",
                        "--rpps", "10000000002", "--password-file", str(pw),
                        data_dir=tmp_path)  # fmt: skip
    assert code == 0, err
    code, _, err = _cli(capsys, "add-doctor", "--username", "dr.bad", "--name", "Dr Bad",
                        "--rpps", "12", "--password-file", str(pw), data_dir=tmp_path)  # fmt: skip
    assert code == 2 and "RPPS" in err
    pw.write_text("another-long-password\n")
    code, out, err = _cli(capsys, "set-password", "--username", "dr.cli", "--password-file",
                          str(pw), data_dir=tmp_path)  # fmt: skip
    assert code == 0, err
    code, _, err = _cli(capsys, "set-password", "--username", "nobody", "--password-file",
                        str(pw), data_dir=tmp_path)  # fmt: skip
    assert code == 2 and "inconnu" in err
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "telecabine", "--data-dir", str(tmp_path), "hub",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        import urllib.request

        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/ice-servers",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM if os.name != "nt" else signal.CTRL_C_EVENT)
        proc.wait(timeout=20)
    assert proc.returncode == 0


async def test_tls_with_self_signed_cert_and_hsts(tmp_path: Path):
    cert, key = generate_self_signed(tmp_path / "certs", ["hub.local"])
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    settings = hub_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path, cert_file=cert, key_file=key
    )
    hub = await start_hub(settings)
    try:
        assert hub.url.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession() as s, s.get(hub.url + "/", ssl=ctx) as resp:
            assert resp.status == 401
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        # Without trusting the certificate the client refuses to talk.
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with aiohttp.ClientSession() as s, s.get(hub.url + "/healthz"):
                pass
    finally:
        await hub.stop()


def test_turn_rest_credentials_match_coturn_formula():
    username, credential = turn_credentials("s3cret", "doctor-7", now=1_700_000_000, ttl_s=3600)
    assert username == "1700003600:doctor-7"
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    ).decode()
    assert credential == expected


async def test_document_render_pdf(hub_env):
    await hub_env.doctor("dr.pdf", name="Dr Hélène Gérard")
    form = {
        "kind": "prescription",
        "patient": "Mme Françoise Lœvenbruck",
        "lines": ["Paracétamol 1 g : 1 comprimé 3 fois par jour pendant 5 jours (« si fièvre »)."]
        + [f"Ligne {i}" for i in range(80)],
        "date": "2026-11-23",
        "lang": "fr",
    }
    url = hub_env.url + "/api/v1/documents/render"
    async with client() as s:
        async with s.post(url, json=form) as resp:
            assert resp.status == 401
        await hub_env.login(s, "dr.pdf")
        async with s.post(url, json=form) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/pdf"
            pdf = await resp.read()
        async with s.post(url, json={**form, "lines": []}) as resp:
            assert resp.status == 422
        async with s.post(url, data=b"nope", headers={"Content-Type": "application/json"}) as r:
            assert r.status == 422
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = reader.pages[0].extract_text()
    assert "Ordonnance" in text and "Dr Hélène Gérard" in text and "10000000001" in text
    assert "Françoise Lœvenbruck" in text and "« si fièvre »" in text and "23/11/2026" in text
