"""ICE servers for a call: STUN as configured, TURN with time-limited REST credentials.

coturn's "TURN REST API" scheme (``use-auth-secret`` + ``static-auth-secret`` in
turnserver.conf; draft-uberti-behave-turn-rest-00): username = "<expiry unix time>:<user>",
credential = base64(HMAC-SHA1(secret, username)). coturn checks the HMAC and the expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from telecabine.hub.config import HubSettings
from telecabine.protocol.signaling import IceServer

RELAY = "relay"
ALL = "all"


def turn_credentials(secret: str, user: str, now: float, ttl_s: int) -> tuple[str, str]:
    """(username, credential) valid until ``now + ttl_s`` for coturn's REST auth."""
    username = f"{int(now) + ttl_s}:{user}"
    mac = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode("ascii")


def ice_servers(settings: HubSettings, user: str, now: float) -> list[IceServer]:
    """The ICE server list handed to the station and the doctor's browser for one call."""
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(urls=list(settings.stun_urls)))
    secret = settings.secret("turn_secret")
    if settings.turn_urls and secret:
        username, credential = turn_credentials(secret, user, now, settings.turn_ttl_s)
        servers.append(
            IceServer(urls=list(settings.turn_urls), username=username, credential=credential)
        )
    return servers


def transport_policy(settings: HubSettings) -> str:
    """``"relay"`` when every call must go through TURN (``force_relay``), else ``"all"``."""
    if settings.force_relay and settings.turn_urls and settings.secret("turn_secret"):
        return RELAY
    return ALL
