"""Cut the network path for 10 s mid-call: the station notices, rebuilds the peer, records it.

The cut drops every UDP datagram aioice would send (STUN checks and media alike, both peers):
the same effect as pulling the cable between two hosts, without root or iptables.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aioice import ice
from session_testlib import AiortcDoctor, PatternCamera, StationSide, wait_for

from telecabine.protocol import signaling as sig
from telecabine.session.call import CallSession, CallTiming


class NetworkCut:
    """Gate on aioice's datagram sends; ``cut = True`` drops everything."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cut = False
        self.dropped = 0
        send_data, send_stun = ice.StunProtocol.send_data, ice.StunProtocol.send_stun
        gate = self

        async def _send_data(proto, data, addr):
            if gate.cut:
                gate.dropped += 1
                return
            await send_data(proto, data, addr)

        def _send_stun(proto, message, addr):
            if gate.cut:
                gate.dropped += 1
                return
            send_stun(proto, message, addr)

        monkeypatch.setattr(ice.StunProtocol, "send_data", _send_data)
        monkeypatch.setattr(ice.StunProtocol, "send_stun", _send_stun)


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_ten_second_cut_recovers_and_is_recorded(monkeypatch):
    net = NetworkCut(monkeypatch)
    cam = PatternCamera("room")
    cam.start()
    doctor = AiortcDoctor()
    states: list[str] = []
    session = CallSession(StationSide(doctor), "cabine-test", {"room": cam.mailbox},
                          play_audio=False, timing=CallTiming(stall_s=2.0, attempt_s=4.0))  # fmt: skip
    session.observers.on_state.append(states.append)
    doctor.station = session
    try:
        await session.announce("enc-cut", "toux", "60-69", "cabine-test")
        await session.on_signal(sig.DoctorJoined(
            encounter_id="enc-cut", doctor=sig.DoctorPublic(name="Dr T", specialty="MG")))  # fmt: skip
        await wait_for(lambda: session.state == "in_call" and doctor.frames > 10, 15, "call up")

        net.cut = True
        cut_at = time.monotonic()
        await wait_for(lambda: session.state == "reconnecting", 6, "cabin shows reconnecting")
        await asyncio.sleep(max(0.0, 10.0 - (time.monotonic() - cut_at)))
        net.cut = False
        frames_before = doctor.frames
        back_at = time.monotonic()
        await wait_for(lambda: session.state == "in_call", 20, "call resumed")
        await wait_for(lambda: doctor.frames > frames_before + 10, 10, "video flowing again")
        recovered_s = time.monotonic() - back_at
        await wait_for(lambda: session.remote_video.last_at is not None
                       and time.monotonic() - session.remote_video.last_at < 1, 5,
                       "doctor video at the station again")  # fmt: skip
    finally:
        await session.close()
        await doctor.close()
        await cam.stop()

    assert net.dropped > 0
    kinds = [i.kind for i in session.incidents]
    assert kinds[0] == "disconnect" and "reconnect" in kinds
    disconnect, reconnect = session.incidents[0], session.incidents[kinds.index("reconnect")]
    assert (reconnect.at - disconnect.at).total_seconds() >= 9.0
    assert "reconnecting" in states and states.count("in_call") >= 2
    assert doctor.offers >= 2  # ICE restart = fresh peer + fresh offer
    print(f"recovered {recovered_s:.1f} s after the network came back; "
          f"restarts={session.restarts}")  # fmt: skip
