"""Common JSON envelope for every protocol message: ``{"v": 1, "type": ...}`` with a size limit.

Pure helpers shared by the signaling and data-channel schemas: decode bytes/text into a dict
with a bounded size, and a typed :class:`ProtocolError` whose ``code`` the peer can act on and
whose ``message`` is bilingual (French first) so it can be shown on a screen as is.
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024

# Error codes carried by ``error`` messages (stable strings, never translated).
ERR_TOO_LARGE = "too_large"
ERR_BAD_JSON = "bad_json"
ERR_BAD_VERSION = "bad_version"
ERR_UNKNOWN_TYPE = "unknown_type"
ERR_INVALID = "invalid"
ERR_NOT_ALLOWED = "not_allowed"

_MESSAGES: dict[str, str] = {
    ERR_TOO_LARGE: "Message trop volumineux (max 64 Kio) / message too large (max 64 KiB)",
    ERR_BAD_JSON: "Message illisible (JSON attendu) / unreadable message (JSON expected)",
    ERR_BAD_VERSION: "Version de protocole non prise en charge / unsupported protocol version",
    ERR_UNKNOWN_TYPE: "Type de message inconnu / unknown message type",
    ERR_INVALID: "Message invalide / invalid message",
    ERR_NOT_ALLOWED: "Message non autorisé ici / message not allowed here",
}


class ProtocolError(ValueError):
    """A message could not be accepted; ``code`` is machine-readable, ``message`` bilingual."""

    def __init__(self, code: str, message: str | None = None, ref_type: str | None = None):
        self.code = code
        self.message = message or _MESSAGES.get(code, _MESSAGES[ERR_INVALID])
        self.ref_type = ref_type
        super().__init__(f"{code}: {self.message}")


def decode_envelope(raw: str | bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """Decode one message into a dict with a valid ``v`` and a string ``type``.

    Raises :class:`ProtocolError` for oversized input, invalid JSON/UTF-8, a non-object,
    a missing/unsupported version or a missing type.
    """
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise ProtocolError(ERR_TOO_LARGE)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(ERR_BAD_JSON) from exc
    if not isinstance(data, dict):
        raise ProtocolError(ERR_BAD_JSON)
    msg_type = data.get("type")
    ref = msg_type if isinstance(msg_type, str) and len(msg_type) <= 64 else None
    version = data.get("v")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise ProtocolError(ERR_BAD_VERSION, ref_type=ref)
    if ref is None:
        raise ProtocolError(ERR_UNKNOWN_TYPE)
    return data


def describe_validation_error(errors: list[dict[str, Any]], limit: int = 5) -> str:
    """Short, patient-data-free summary of pydantic errors ("field: reason; ...")."""
    parts = []
    for err in errors[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('type', 'invalid')}")
    return "; ".join(parts)
