"""The ``playout-delay`` RTP header extension, which aiortc does not implement.

A sender may tell the receiver how long it may hold video frames before showing them
(http://www.webrtc.org/experiments/rtp-hdrext/playout-delay: 12-bit minimum and maximum, in
units of 10 ms). Chromium honours it: with a maximum of 0 it shows each frame as soon as it is
decoded instead of smoothing arrivals through its adaptive jitter buffer (≈ 20-35 ms measured
for our stream on this machine). The price is less even motion when the network is jittery.
:class:`~telecabine.session.encoders.VideoEncoding` sets it (``(0, 0)`` by default).

aiortc offers the extensions listed in ``aiortc.codecs.HEADER_EXTENSIONS`` and writes only the
ones it knows; :func:`enable` adds the URI to the offer (process-wide, removed again when
disabled) and :func:`attach` gives one sender a header-extension map that writes it into every
packet it sends.
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc import codecs, rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

log = logging.getLogger(__name__)

PLAYOUT_DELAY_URI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
EXTENSION_ID = 6  # ids are shared by audio and video under BUNDLE: aiortc uses 1-3
UNIT_MS = 10
MAX_UNITS = 0xFFF


def encode_delay(min_ms: int, max_ms: int) -> bytes:
    """The 3-byte extension value: min then max delay, 12 bits each, 10 ms units."""
    if not 0 <= min_ms <= max_ms:
        raise ValueError(f"playout delay needs 0 <= min <= max, got {min_ms}, {max_ms}")
    lo, hi = (min(MAX_UNITS, round(v / UNIT_MS)) for v in (min_ms, max_ms))
    return bytes([lo >> 4, ((lo & 0xF) << 4) | (hi >> 8), hi & 0xFF])


def decode_delay(value: bytes) -> tuple[int, int]:
    """(min_ms, max_ms) from a 3-byte extension value."""
    lo = (value[0] << 4) | (value[1] >> 4)
    hi = ((value[1] & 0xF) << 8) | value[2]
    return lo * UNIT_MS, hi * UNIT_MS


def enable(on: bool) -> None:
    """Offer (or stop offering) the extension on video m-lines."""
    video = codecs.HEADER_EXTENSIONS["video"]
    present = [e for e in video if e.uri == PLAYOUT_DELAY_URI]
    if on and not present:
        video.append(RTCRtpHeaderExtensionParameters(id=EXTENSION_ID, uri=PLAYOUT_DELAY_URI))
    elif not on:
        for e in present:
            video.remove(e)


class PlayoutDelayMap(rtp.HeaderExtensionsMap):
    """aiortc's header-extension map plus ``playout-delay`` when the answer accepted it."""

    def __init__(self, min_ms: int, max_ms: int) -> None:
        super().__init__()
        self._value = encode_delay(min_ms, max_ms)
        self._id: int | None = None

    def configure(self, parameters: Any) -> None:
        """Learn the ids the remote side agreed to (ours included, if it did)."""
        super().configure(parameters)
        self._id = next(
            (e.id for e in parameters.headerExtensions if e.uri == PLAYOUT_DELAY_URI), None
        )

    def set(self, values: rtp.HeaderExtensions) -> tuple[int, bytes]:
        """Serialize aiortc's extensions, then add ours."""
        profile, packed = super().set(values)
        if self._id is None:
            return profile, packed
        items = rtp.unpack_header_extensions(profile, packed) if packed else []
        return rtp.pack_header_extensions([*items, (self._id, self._value)])


_MAP_ATTR = "_RTCRtpSender__rtp_header_extensions_map"  # aiortc has no public hook


def attach(sender: Any, min_ms: int, max_ms: int) -> PlayoutDelayMap | None:
    """Give an ``RTCRtpSender`` (before it starts sending) a map writing the extension.

    Returns None (and the call goes on without the extension) if aiortc's sender no longer
    keeps its map where this expects it.
    """
    if not isinstance(getattr(sender, _MAP_ATTR, None), rtp.HeaderExtensionsMap):
        log.warning("playout-delay not sent: aiortc's RTCRtpSender changed")
        return None
    mapping = PlayoutDelayMap(min_ms, max_ms)
    setattr(sender, _MAP_ATTR, mapping)
    return mapping
