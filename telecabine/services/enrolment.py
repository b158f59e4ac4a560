"""Enrolment of a station on its hub: check the hub, keep the token in the keyring.

``telecabine enroll --hub URL --token T`` (and the admin page of the station) calls
:func:`enroll`: the hub must answer ``GET /healthz`` and accept the token on
``GET /api/v1/station/whoami`` (which returns the station's registered name). The token then
goes to the OS keyring (``sync_runtime.save_station_token``) and the hub URL and station id to
``<data_dir>/enrolment.json`` (no secret in it). TLS is always verified, against the system's
authorities or ``Settings.hub_ca_bundle``; plain http is accepted only to a loopback address.
Every failure has a code and words in French and English, never a traceback.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from telecabine.config import Settings

ENROLMENT_FILENAME = "enrolment.json"
WHOAMI_PATH = "/api/v1/station/whoami"

# code -> (French, English). Shown on the CLI, the admin page and the call status line.
PROBLEMS: dict[str, tuple[str, str]] = {
    "bad_url": (
        "Adresse du hub invalide (attendu https://nom-du-hub[:port]).",
        "Invalid hub address (expected https://hub-name[:port]).",
    ),
    "http_not_loopback": (
        "Connexion non chiffrée refusée : utilisez https:// (http:// n'est permis que vers "
        "cette machine, 127.0.0.1).",
        "Unencrypted connection refused: use https:// (http:// is only allowed to this "
        "machine, 127.0.0.1).",
    ),
    "unreachable": (
        "Hub injoignable : vérifiez l'adresse, le réseau et que le hub est démarré.",
        "Hub unreachable: check the address, the network and that the hub is running.",
    ),
    "untrusted_certificate": (
        "Certificat du hub non reconnu : installez le certificat de l'autorité de l'opérateur "
        "(TELECABINE_HUB_CA_BUNDLE) ou vérifiez l'adresse.",
        "Hub certificate not trusted: install the operator's CA certificate "
        "(TELECABINE_HUB_CA_BUNDLE) or check the address.",
    ),
    "ca_bundle_unreadable": (
        "Fichier de certificats (TELECABINE_HUB_CA_BUNDLE) illisible ou invalide.",
        "CA bundle file (TELECABINE_HUB_CA_BUNDLE) unreadable or invalid.",
    ),
    "wrong_url": (
        "Cette adresse ne répond pas comme un hub Télécabine : vérifiez l'URL.",
        "This address does not answer like a Telecabine hub: check the URL.",
    ),
    "bad_token": (
        "Jeton refusé par le hub : demandez un nouveau jeton à l'opérateur "
        "(telecabine hub add-station).",
        "Token refused by the hub: ask the operator for a new token (telecabine hub add-station).",
    ),
    "empty_token": ("Jeton vide.", "Empty token."),
    "not_enrolled": (
        "Station non enrôlée : l'appel médecin est indisponible (telecabine enroll).",
        "Station not enrolled: calling a doctor is unavailable (telecabine enroll).",
    ),
    "keyring": (
        "Impossible d'enregistrer le jeton dans le trousseau du système.",
        "Could not store the token in the system keyring.",
    ),
}


class EnrolmentError(Exception):
    """A check failed; ``code`` is a key of :data:`PROBLEMS`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    def words(self, lang: str = "fr") -> str:
        """The problem in the given language."""
        fr, en = PROBLEMS[self.code]
        return fr if lang == "fr" else en


@dataclass(frozen=True)
class Enrolment:
    """What ``enrolment.json`` keeps: where the hub is and who this station is there."""

    hub_url: str
    station_id: str


def enrolment_path(data_dir: Path) -> Path:
    """The enrolment file of a data directory."""
    return data_dir / ENROLMENT_FILENAME


def read_enrolment(data_dir: Path) -> Enrolment | None:
    """The enrolment of this data directory, None when the station was never enrolled."""
    try:
        raw = json.loads(enrolment_path(data_dir).read_text(encoding="utf-8"))
        return Enrolment(str(raw["hub_url"]), str(raw["station_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_enrolment(data_dir: Path, enrolment: Enrolment) -> None:
    """Write the file atomically (hub URL and station id only: the token is in the keyring)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = enrolment_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"hub_url": enrolment.hub_url, "station_id": enrolment.station_id}),
        encoding="utf-8",
    )
    os.replace(tmp, path)


def apply_enrolment(settings: Settings) -> Settings:
    """Settings with the enrolled hub URL and station id, unless set explicitly (env, flags)."""
    enrolled = read_enrolment(settings.data_dir)
    if enrolled is None:
        return settings
    update = {}
    if "hub_url" not in settings.model_fields_set:
        update["hub_url"] = enrolled.hub_url
    if "station_id" not in settings.model_fields_set:
        update["station_id"] = enrolled.station_id
    return settings.model_copy(update=update) if update else settings


def normalise_hub_url(url: str) -> str:
    """Check scheme and host; raises :class:`EnrolmentError` (bad_url, http_not_loopback)."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise EnrolmentError("bad_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnrolmentError("bad_url")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise EnrolmentError("http_not_loopback")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_ssl(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for the hub (verified; operator CA bundle when set), None for http."""
    if not settings.hub_url.startswith("https://"):
        return None
    return ssl_context(settings.hub_ca_bundle)


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A verifying client context, trusting ``ca_bundle`` when given (else the system's)."""
    try:
        ctx = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise EnrolmentError("ca_bundle_unreadable") from exc
    return ctx


async def check_hub(
    url: str, token: str, *, ca_bundle: Path | None = None, timeout_s: float = 10.0
) -> str:
    """``GET /healthz`` then the token on whoami; the station id, or :class:`EnrolmentError`."""
    import aiohttp

    url = normalise_hub_url(url)
    if not token.strip():
        raise EnrolmentError("empty_token")
    tls = ssl_context(ca_bundle) if url.startswith("https://") else None
    timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 5.0))
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{url}/healthz", ssl=tls if tls else True) as resp:
                body = await resp.json(content_type=None) if resp.status == 200 else None
            if not isinstance(body, dict) or body.get("status") != "ok":
                raise EnrolmentError("wrong_url", f"healthz {resp.status}")
            headers = {"Authorization": f"Bearer {token.strip()}"}
            async with http.get(f"{url}{WHOAMI_PATH}", headers=headers, ssl=tls or True) as resp:
                if resp.status == 401:
                    raise EnrolmentError("bad_token")
                if resp.status != 200:
                    raise EnrolmentError("wrong_url", f"whoami {resp.status}")
                who = await resp.json(content_type=None)
    except aiohttp.ClientConnectorCertificateError as exc:
        raise EnrolmentError("untrusted_certificate", type(exc).__name__) from exc
    except aiohttp.ClientSSLError as exc:
        raise EnrolmentError("untrusted_certificate", type(exc).__name__) from exc
    except (aiohttp.ClientResponseError, aiohttp.ContentTypeError, ValueError) as exc:
        raise EnrolmentError("wrong_url", type(exc).__name__) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise EnrolmentError("unreachable", type(exc).__name__) from exc
    station_id = who.get("station_id") if isinstance(who, dict) else None
    if not isinstance(station_id, str) or not station_id:
        raise EnrolmentError("wrong_url", "whoami body")
    return station_id


async def enroll(settings: Settings, url: str, token: str) -> Enrolment:
    """Check the hub and the token, then keep the token (keyring) and the enrolment file."""
    from telecabine.services.sync_runtime import save_station_token

    url = normalise_hub_url(url)
    station_id = await check_hub(
        url, token, ca_bundle=settings.hub_ca_bundle, timeout_s=settings.sync_timeout_s
    )
    enrolled = Enrolment(url, station_id)
    settings.ensure_dirs()
    try:
        save_station_token(settings.model_copy(update={"station_id": station_id}), token.strip())
    except Exception as exc:  # keyring backends raise their own types (locked, absent...)
        raise EnrolmentError("keyring", type(exc).__name__) from exc
    write_enrolment(settings.data_dir, enrolled)
    return enrolled


def run_enroll_command(settings: Settings, url: str, token: str | None) -> int:
    """Handler of ``telecabine enroll``: 0 enrolled, 2 bad input, 3 hub problem."""
    import asyncio
    import sys

    if token is None:  # not on the command line (process list): read it from stdin
        token = sys.stdin.readline()
    try:
        enrolled = asyncio.run(enroll(settings, url, token))
    except EnrolmentError as exc:
        fr, en = PROBLEMS[exc.code]
        print(f"{fr}\n{en}", file=sys.stderr)
        return 2 if exc.code in ("bad_url", "http_not_loopback", "empty_token") else 3
    print(
        f"Station « {enrolled.station_id} » enrôlée sur {enrolled.hub_url}.\n"
        f"Station '{enrolled.station_id}' enrolled on {enrolled.hub_url}."
    )
    return 0
