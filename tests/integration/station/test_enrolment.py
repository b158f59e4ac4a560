"""Enrolment (``telecabine enroll``) against a real hub on loopback, over http and TLS.

Good token -> token in the keyring (here the tests' insecure file keyring), hub URL and
station id in ``enrolment.json`` (no secret); bad token, unreachable hub, http to a
non-loopback host, untrusted self-signed certificate and the operator CA bundle each give
their own words; the CLI never shows a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from telecabine.config import load_settings
from telecabine.hub.config import HubSettings
from telecabine.hub.server import register_station, start_hub
from telecabine.hub.state import HUB
from telecabine.hub.tls import generate_self_signed
from telecabine.services.enrolment import (
    PROBLEMS,
    EnrolmentError,
    apply_enrolment,
    enroll,
    read_enrolment,
)
from telecabine.services.sync_runtime import load_station_token


def _settings(data_dir: Path, **extra):
    return load_settings(data_dir=data_dir, insecure_file_keyring=True, **extra)


@pytest.fixture
async def tls_hub(tmp_path: Path):
    """A hub with a self-signed certificate (``telecabine hub self-signed-cert``)."""
    cert, key = generate_self_signed(tmp_path / "tls")
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path,
        host="127.0.0.1", port=0, cert_file=cert, key_file=key,
    )  # fmt: skip
    hub = await start_hub(settings)
    try:
        token = await register_station(hub.app[HUB].engine, "cabine-7")
        yield hub, token, cert
    finally:
        await hub.stop()


@pytest.mark.timeout(60)
async def test_enrol_over_tls_with_the_operator_ca_bundle(tls_hub, data_dir):
    hub, token, cert = tls_hub
    assert hub.url.startswith("https://")
    plain = _settings(data_dir)
    with pytest.raises(EnrolmentError) as refused:  # system CAs do not know this certificate
        await enroll(plain, hub.url, token)
    assert refused.value.code == "untrusted_certificate"
    assert read_enrolment(data_dir) is None

    trusting = _settings(data_dir, hub_ca_bundle=cert)
    with pytest.raises(EnrolmentError) as bad:
        await enroll(trusting, hub.url, token + "x")
    assert bad.value.code == "bad_token"

    enrolled = await enroll(trusting, hub.url + "/", f"  {token}\n")
    assert (enrolled.hub_url, enrolled.station_id) == (hub.url, "cabine-7")
    stored = (data_dir / "enrolment.json").read_text()
    assert token not in stored and json.loads(stored) == {"hub_url": hub.url,
                                                           "station_id": "cabine-7"}  # fmt: skip
    after = apply_enrolment(_settings(data_dir))
    assert (after.hub_url, after.station_id) == (hub.url, "cabine-7")
    assert load_station_token(after) == token
    explicit = apply_enrolment(_settings(data_dir, station_id="autre"))  # flags/env win
    assert explicit.station_id == "autre" and explicit.hub_url == hub.url


@pytest.mark.timeout(60)
async def test_unreachable_wrong_url_and_http_to_another_host(tls_hub, data_dir):
    hub, token, cert = tls_hub
    settings = _settings(data_dir, hub_ca_bundle=cert)
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    cases = {
        f"http://127.0.0.1:{free}": "unreachable",
        "http://hub.example.org": "http_not_loopback",
        "ftp://127.0.0.1": "bad_url",
        f"{hub.url}/static": "wrong_url",  # a real server, but not a hub's root
    }
    for url, code in cases.items():
        with pytest.raises(EnrolmentError) as err:
            await enroll(settings, url, token)
        assert err.value.code == code, url
    bad_bundle = data_dir / "not-a-ca.pem"
    bad_bundle.write_text("garbage")
    with pytest.raises(EnrolmentError) as err:
        await enroll(_settings(data_dir, hub_ca_bundle=bad_bundle), hub.url, token)
    assert err.value.code == "ca_bundle_unreadable"
    assert read_enrolment(data_dir) is None


def _cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "TELECABINE_INSECURE_FILE_KEYRING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "telecabine", "--data-dir", str(data_dir), "enroll", *args],
        input=stdin, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


@pytest.mark.timeout(90)
def test_cli_says_what_went_wrong_without_traceback(data_dir):
    proc = _cli(data_dir, "--hub", "http://hub.example.org:8443", "--token", "t")
    assert proc.returncode == 2
    fr, en = PROBLEMS["http_not_loopback"]
    assert fr in proc.stderr and en in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli(data_dir, "--hub", "https://127.0.0.1:1", stdin="abc\n")  # token from stdin
    assert proc.returncode == 3
    assert PROBLEMS["unreachable"][1] in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli(data_dir, "--hub", "not a url at all", "--token", "t")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not (data_dir / "enrolment.json").exists()
