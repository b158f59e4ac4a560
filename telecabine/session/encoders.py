"""Video encoders tuned for a 2-core cabin PC, and the codec preference of the station.

aiortc's stock encoders are configured for quality, not for a busy small machine: VP8 runs
libvpx at speed 6 with the temporal denoiser on (≈ 14 ms per 720p frame on this machine, the
denoiser alone ≈ 5 ms), and H.264 runs libx264's default ``medium`` preset (≈ 25 ms CPU, with
stalls of 50-200 ms). Encode time is glass-to-glass latency and it is most of the station's CPU,
so the station offers H.264 first, encoded by libx264 ``superfast`` + ``zerolatency`` (no
B-frames, no look-ahead: one frame in, one frame out) with a VBV cap so a frame never bursts
far above the bitrate REMB allows, and keeps VP8 (speed 12, denoiser off) for a browser that
has no H.264. Both run single-threaded: libvpx's worker threads spin-wait, and on 2 shared
cores they multiplied the CPU per frame by 6 in our measurements (SPIKES.md, issue 7).

aiortc builds encoders through ``aiortc.rtcrtpsender.get_encoder``; :func:`install` swaps
that factory (once, idempotent) for one returning these subclasses. The installed package is
not edited. Every encoder adds its per-frame wall and CPU time to :data:`ENCODE_STATS`, which
the latency benchmark reports.
"""

from __future__ import annotations

import fractions
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import av
from aiortc import rtcrtpsender
from aiortc.codecs import get_encoder as _aiortc_get_encoder
from aiortc.codecs import h264, vpx
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCRtpSender

Codec = Literal["H264", "VP8"]

# Bitrate range REMB may move the encoder in. aiortc starts VP8 at 500 kbps and caps it at
# 1.5 Mbps, which makes 720p soft (SPIKES.md); the module globals are read at every clamp,
# so setting them is how aiortc lets us tune it (aiortc issue #980).
START_BPS = 1_500_000
MIN_BPS = 300_000
MAX_BPS = 3_000_000
MIN_FPS_BUDGET = 12.0  # libx264 gets at most 30/12 = 2.5x the target at a low frame rate


@dataclass(frozen=True)
class VideoEncoding:
    """Which codec the station prefers and how hard each encoder works.

    ``vp8_speed``: libvpx ``cpu-used`` (realtime, 4..16; higher is faster and blurrier; the
    negative form is passed so libvpx keeps it fixed instead of auto-tuning against the
    deadline). ``h264_preset``: a libx264 preset (``ultrafast`` drops the deblocking filter,
    which shows blocks on real camera noise; ``superfast`` keeps it for ≈ 2 ms more).
    ``playout_delay_ms``: ``(min, max)`` sent in the ``playout-delay`` RTP extension
    (:mod:`telecabine.session.playout`). The default ``(0, 0)`` makes Chromium show each frame
    as soon as it is decoded (its adaptive jitter buffer held our 720p stream 20-35 ms); the
    price is less even motion on a jittery network. ``None`` leaves the browser's buffer alone.
    """

    codec: Codec = "H264"
    vp8_speed: int = 12
    vp8_denoise: bool = False
    h264_preset: str = "superfast"
    threads: int = 1
    playout_delay_ms: tuple[int, int] | None = (0, 0)


DEFAULT_ENCODING = VideoEncoding()


class EncodeStats:
    """Thread-safe running totals of video encode time (wall and CPU of the encoding thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.frames = 0
            self.wall_s = 0.0
            self.cpu_s = 0.0
            self.codec = ""
            self.waits: list[float] = []  # capture -> encode start, seconds
            self.ready: list[float] = []  # capture -> encoded (packets about to leave)

    def add(self, codec: str, wall_s: float, cpu_s: float, captured_at: float | None) -> None:
        """Count one encoded frame (``captured_at``: its capture time, monotonic, if known)."""
        now = time.monotonic()
        with self._lock:
            self.frames += 1
            self.wall_s += wall_s
            self.cpu_s += cpu_s
            self.codec = codec
            if captured_at is not None and len(self.ready) < 100_000:
                self.waits.append(now - wall_s - captured_at)
                self.ready.append(now - captured_at)

    def summary(self) -> dict[str, Any]:
        """Frames, mean wall and CPU milliseconds per frame, last codec."""
        with self._lock:
            n = max(1, self.frames)
            return {
                "codec": self.codec, "frames": self.frames,
                "encode_wall_ms": round(1000 * self.wall_s / n, 2),
                "encode_cpu_ms": round(1000 * self.cpu_s / n, 2),
                "capture_to_encode_start_p50_ms": _p50_ms(self.waits),
                "capture_to_encoded_p50_ms": _p50_ms(self.ready),
            }  # fmt: skip


def _p50_ms(values: list[float]) -> float | None:
    return round(1000 * sorted(values)[len(values) // 2], 1) if values else None


ENCODE_STATS = EncodeStats()


class _Timed:
    """Mixin: time ``encode`` (it runs in aiortc's executor thread, so thread_time is ours)."""

    codec_name = ""

    def encode(self, frame, force_keyframe: bool = False):
        """Encode one frame, adding its cost to :data:`ENCODE_STATS`."""
        w0, c0 = time.perf_counter(), time.thread_time()
        result = super().encode(frame, force_keyframe)  # type: ignore[misc]
        captured = frame.opaque if isinstance(frame.opaque, float) else None
        ENCODE_STATS.add(
            self.codec_name, time.perf_counter() - w0, time.thread_time() - c0, captured
        )
        return result


class _Capped:
    """Mixin: an optional per-encoder bitrate ceiling on top of aiortc's REMB clamp.

    aiortc sets ``target_bitrate`` from every REMB the browser sends; the setter here keeps it
    at or under ``max_bitrate`` (``None``: no ceiling of ours), the station's equivalent of
    ``RTCRtpSender.setParameters({encodings: [{maxBitrate}]})`` in a browser.
    """

    max_bitrate: int | None = None
    _base: Any = None  # the aiortc encoder class whose ``target_bitrate`` property is wrapped

    @property
    def target_bitrate(self) -> int:
        """The bitrate the encoder aims at (bits per second)."""
        return self._base.target_bitrate.fget(self)

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        if self.max_bitrate is not None:
            bitrate = min(bitrate, self.max_bitrate)
        self._base.target_bitrate.fset(self, bitrate)


class TunedVp8Encoder(_Timed, _Capped, vpx.Vp8Encoder):
    """aiortc's VP8 encoder with a faster libvpx setting (see :class:`VideoEncoding`)."""

    codec_name = "VP8"
    _base = vpx.Vp8Encoder

    def __init__(self, encoding: VideoEncoding = DEFAULT_ENCODING) -> None:
        super().__init__()
        self.target_bitrate = START_BPS
        self._encoding = encoding

    def encode(self, frame, force_keyframe: bool = False):
        """Create the codec context our way when aiortc's encode would create its own."""
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        codec = self.codec
        if codec is not None and (
            frame.width != codec.width or frame.height != codec.height
            or abs(self.target_bitrate - codec.bit_rate) / codec.bit_rate > 0.1
        ):  # fmt: skip
            codec = None  # same rule as aiortc: new size, or bitrate moved by over 10 %
        if codec is None:
            self.codec = self._open(frame.width, frame.height)
        return super().encode(frame, force_keyframe)

    def _open(self, width: int, height: int) -> Any:
        enc = self._encoding
        bitrate = self.target_bitrate
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = width, height
        codec.bit_rate = bitrate
        codec.pix_fmt = "yuv420p"
        codec.gop_size = 3000  # keyframes only on request (PLI), as aiortc and libwebrtc do
        codec.qmin, codec.qmax = 2, 56
        codec.options = self.options(bitrate)
        codec.thread_count = enc.threads
        return codec

    def options(self, bitrate: int) -> dict[str, str]:
        """libvpx options (FFmpeg names); libavcodec removes each one it accepts on open."""
        enc = self._encoding
        return {
            "bufsize": str(bitrate),  # 1 s of rate-control buffer, like libwebrtc
            "cpu-used": str(-abs(enc.vp8_speed)),
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "noise-sensitivity": "4" if enc.vp8_denoise else "0",
            "overshoot-pct": "15",
            # (aiortc also passes "partitions": FFmpeg's libvpx wrapper has no such option
            # and ignores it; one token partition is libvpx's default anyway.)
            "static-thresh": "1",
            "undershoot-pct": "100",
        }


class TunedH264Encoder(_Timed, _Capped, h264.H264Encoder):
    """aiortc's H.264 encoder with a realtime libx264 preset and a VBV cap."""

    codec_name = "H264"
    _base = h264.H264Encoder

    def __init__(self, encoding: VideoEncoding = DEFAULT_ENCODING) -> None:
        super().__init__()
        self.target_bitrate = START_BPS
        self._encoding = encoding

    _interval: float | None = None  # smoothed seconds between frames (from their timestamps)
    _last_t: float | None = None

    def _encode_frame(self, frame: av.VideoFrame, force_keyframe: bool):
        """Encode one frame; a new bitrate or frame rate retunes libx264 in place.

        aiortc reopens the codec whenever REMB moves the bitrate by over 10 %, i.e. a keyframe
        (large, and a visible pulse in quality) every few seconds while the estimate ramps.
        FFmpeg's libx264 wrapper reconfigures rate control between frames when the context's
        bitrate changes, so only a new picture size reopens the codec here.
        """
        rate = self._rate_for(frame)
        codec = self.codec
        if codec is not None and (frame.width != codec.width or frame.height != codec.height):
            self.buffer_data, self.buffer_pts, codec = b"", None, None
        if codec is None:
            self.codec = codec = self._open(frame.width, frame.height, rate)
        elif abs(rate - codec.bit_rate) / codec.bit_rate > 0.05:
            codec.bit_rate = codec.max_bit_rate = codec.rc_buffer_size = rate
        frame.pict_type = (
            av.video.frame.PictureType.I if force_keyframe else av.video.frame.PictureType.NONE
        )
        data = b"".join(bytes(p) for p in codec.encode(frame))
        if data:
            yield from self._split_bitstream(data)

    def _rate_for(self, frame: av.VideoFrame) -> int:
        """The bitrate to give libx264 for ``target_bitrate`` at the frames' real rate.

        libx264 runs in constant frame rate mode (its VFR mode waits for the next frame to
        know the current one's duration: one frame of latency), budgeting each frame as
        1/30 s; at 12 fps (a busy machine, a dim camera) it gave 40 % of the bitrate REMB
        allowed (measured: 1 Mb/s asked, 0.33 Mb/s sent), and REMB, which follows what
        arrives, then lowered it further. Scaling by 30 / measured fps gives the asked rate.
        """
        if frame.pts is not None and frame.time_base is not None:
            t = float(frame.pts * frame.time_base)
            if self._last_t is not None and 0 < t - self._last_t < 1.0:
                dt = t - self._last_t
                self._interval = dt if self._interval is None else 0.75 * self._interval + 0.25 * dt
            self._last_t = t
        fps = h264.MAX_FRAME_RATE
        if self._interval:
            # Quick to follow (a stalled pipeline catches up in a burst of frames, each given
            # the slow rate's budget: 4.6 Mb/s arrived under a 3 Mb/s estimate with a slower
            # average) and never more than 2.5x, so a burst overshoots little.
            fps = min(float(h264.MAX_FRAME_RATE), max(MIN_FPS_BUDGET, 1.0 / self._interval))
        return int(self.target_bitrate * h264.MAX_FRAME_RATE / fps)

    def _open(self, width: int, height: int, bitrate: int | None = None) -> Any:
        bitrate = bitrate or self.target_bitrate
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height = width, height
        codec.bit_rate = bitrate
        codec.pix_fmt = "yuv420p"
        codec.framerate = fractions.Fraction(h264.MAX_FRAME_RATE, 1)
        codec.time_base = fractions.Fraction(1, h264.MAX_FRAME_RATE)
        codec.options = self.options(bitrate)
        codec.profile = "Baseline"  # constrained baseline is what the SDP offers (42e01f)
        codec.thread_count = self._encoding.threads
        codec.gop_size = 3000  # keyframes on request (PLI), not every 250 frames
        return codec

    def options(self, bitrate: int) -> dict[str, str]:
        """libx264 options (FFmpeg names); libavcodec removes each one it accepts on open."""
        return {
            "level": "31",  # 3.1: up to 1280x720 at 30 fps
            "preset": self._encoding.h264_preset,
            "tune": "zerolatency",
            "maxrate": str(bitrate),
            "bufsize": str(bitrate),  # VBV of 1 s: no frame bursts far above the estimate
            # The colour matrix in the stream's VUI: the track converts with OpenCV's BT.601
            # (limited range) and, with nothing said, Chromium decodes 720p as BT.709:
            # saturated colours came out wrong (red 192 -> 208, green 192 -> 163; grey right).
            "x264-params": "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m:range=tv",
        }


def set_bitrate_range(start: int = START_BPS, low: int = MIN_BPS, high: int = MAX_BPS) -> None:
    """Set aiortc's start bitrate and the range bandwidth estimation may move it in."""
    for module in (vpx, h264):
        module.DEFAULT_BITRATE = start
        module.MIN_BITRATE = low
        module.MAX_BITRATE = high


def encoder_of(sender: RTCRtpSender) -> Any:
    """The encoder aiortc built for ``sender`` (``None`` before its first frame).

    aiortc keeps it private (``RTCRtpSender.__encoder``) and has no public bitrate API.
    """
    return getattr(sender, "_RTCRtpSender__encoder", None)


def cap_bitrate(sender: RTCRtpSender, bitrate: int | None) -> bool:
    """Apply a ceiling (bps; ``None`` lifts it) to ``sender``'s encoder; False if none yet."""
    encoder = encoder_of(sender)
    if not isinstance(encoder, _Capped):
        return False
    encoder.max_bitrate = bitrate
    if bitrate is not None and encoder.target_bitrate > bitrate:
        encoder.target_bitrate = bitrate
    return True


_installed: dict[str, VideoEncoding] = {}


def _get_encoder(codec: RTCRtpCodecParameters):
    mime = codec.mimeType.lower()
    encoding = _installed.get("encoding", DEFAULT_ENCODING)
    if mime == "video/h264":
        return TunedH264Encoder(encoding)
    if mime == "video/vp8":
        return TunedVp8Encoder(encoding)
    return _aiortc_get_encoder(codec)


def install(encoding: VideoEncoding = DEFAULT_ENCODING) -> None:
    """Make aiortc build our tuned encoders (process-wide; calling again changes the setting)."""
    _installed["encoding"] = encoding
    set_bitrate_range()
    rtcrtpsender.get_encoder = _get_encoder


def prefer(transceiver: Any, codec: Codec) -> None:
    """Put ``codec`` first in the transceiver's offer; the other stays as the fallback."""
    caps = RTCRtpSender.getCapabilities("video").codecs
    first = [c for c in caps if c.mimeType.lower() == f"video/{codec.lower()}"]
    rest = [c for c in caps if c not in first]
    transceiver.setCodecPreferences(first + rest)
