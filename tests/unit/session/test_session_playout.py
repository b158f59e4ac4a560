"""playout-delay RTP header extension: bit layout, offered on demand, written into packets."""

from __future__ import annotations

import pytest
from aiortc import codecs, rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters

from telecabine.session import playout


def test_delay_layout_is_two_12_bit_fields_in_10_ms_units():
    assert playout.encode_delay(0, 0) == b"\x00\x00\x00"
    assert playout.encode_delay(100, 400) == bytes([0x00, 0xA0, 0x28])  # 10 and 40 units
    assert playout.decode_delay(playout.encode_delay(120, 40950)) == (120, 40950)
    with pytest.raises(ValueError):
        playout.encode_delay(50, 10)


def test_enable_adds_and_removes_the_offered_uri():
    def offered():
        return [e.uri for e in codecs.HEADER_EXTENSIONS["video"]].count(playout.PLAYOUT_DELAY_URI)

    try:
        playout.enable(True)
        playout.enable(True)
        assert offered() == 1
        ids = [e.id for e in codecs.HEADER_EXTENSIONS["video"] + codecs.HEADER_EXTENSIONS["audio"]]
        assert ids.count(playout.EXTENSION_ID) == 1  # unique across audio and video (BUNDLE)
    finally:
        playout.enable(False)
    assert offered() == 0


def _params(with_playout: bool) -> RTCRtpSendParameters:
    exts = [RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(
                id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")]  # fmt: skip
    if with_playout:  # the id the answer chose, not necessarily ours
        exts.append(RTCRtpHeaderExtensionParameters(id=9, uri=playout.PLAYOUT_DELAY_URI))
    return RTCRtpSendParameters(headerExtensions=exts)


@pytest.mark.parametrize("accepted", [True, False])
def test_packets_carry_the_delay_only_when_the_answer_accepted_it(accepted):
    mapping = playout.PlayoutDelayMap(0, 0)
    mapping.configure(_params(accepted))
    packet = rtp.RtpPacket(payload_type=97, sequence_number=1, timestamp=3000)
    packet.extensions.mid = "1"
    packet.extensions.abs_send_time = 0x123456
    packet.payload = b"\x10frame"
    data = packet.serialize(mapping)
    assert data[0] & 0x10  # X bit (RFC 3550 5.1); no CSRC, so the extension starts at byte 12
    profile, words = int.from_bytes(data[12:14], "big"), int.from_bytes(data[14:16], "big")
    items = dict(rtp.unpack_header_extensions(profile, data[16 : 16 + 4 * words]))
    assert items[1] == b"1" and items[3] == b"\x12\x34\x56"  # aiortc's own ones kept
    assert (items.get(9) == b"\x00\x00\x00") is accepted
    assert data[16 + 4 * words :] == b"\x10frame"


async def test_attach_replaces_the_map_of_a_real_aiortc_sender():
    from aiortc import RTCPeerConnection, VideoStreamTrack

    pc = RTCPeerConnection()
    try:
        sender = pc.addTrack(VideoStreamTrack())
        mapping = playout.attach(sender, 0, 0)
        assert mapping is not None
        assert sender._RTCRtpSender__rtp_header_extensions_map is mapping
        assert playout.attach(object(), 0, 0) is None  # not an aiortc sender: skipped, no crash
    finally:
        await pc.close()
