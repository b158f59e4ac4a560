"""Machine-readable timestamp band: drawn into simulated video, read back after decoding.

Pure numpy, no I/O, no clock: the caller passes the wall-clock time and frame counter in.
Used to measure glass-to-glass latency: the simulated camera draws its capture time, the
receiver (Python benchmarks or the browser through a JS twin of :func:`read_band`) reads it
back from the decoded picture and subtracts it from its own clock.

Layout (version 1), for an image ``H x W`` (BGR or grey), coordinates in pixels:

* The band covers rows ``0 .. band_h - 1`` with ``band_h = max(8, round(H / 30))``
  (24 rows at 720p, 16 at 480p).
* It is split into ``CELLS = 74`` cells of width ``cell_w = W // 74`` (17 px at 1280 wide);
  cell ``i`` covers columns ``i * cell_w .. (i + 1) * cell_w - 1``. Pixels right of the last
  cell (``74 * cell_w .. W - 1``) are mid grey (128). ``W`` must be at least ``74 * 4 = 296``.
* Every cell is uniformly white (255 on every channel) for bit 1 or black (0) for bit 0.
* Cell 0 is always white and cell 1 always black: they calibrate the reader's threshold.
* Cells 2..49 (48 bits): wall-clock time in integer milliseconds since the Unix epoch,
  modulo 2**48, most significant bit first.
* Cells 50..65 (16 bits): frame counter modulo 2**16, most significant bit first.
* Cells 66..73 (8 bits): check byte = (sum of the 6 timestamp bytes and 2 counter bytes,
  big-endian) modulo 256, XOR 0xA5, most significant bit first.

Reading: for each cell take the mean luma (BT.601: 0.299 R + 0.587 G + 0.114 B) over its
central area: columns ``floor(i * cell_w + cell_w / 4) .. floor(i * cell_w + 3 * cell_w / 4) - 1``
and rows ``floor(band_h / 4) .. floor(3 * band_h / 4) - 1`` (this survives VP8/H.264 block
edges and chroma bleeding; a picture received scaled uses the source geometry scaled, see
:func:`read_band`'s ``source_size``),
threshold at the midpoint between cells 0 and 1, require the two to differ by at least 64
levels, and verify the check byte. Anything else reads as ``None`` (no band, or too damaged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = 74
MARKER_CELLS = 2
TS_BITS = 48
SEQ_BITS = 16
CHECK_BITS = 8
CHECK_XOR = 0xA5
MIN_CELL_W = 4
MIN_CONTRAST = 64


@dataclass(frozen=True, slots=True)
class BandReading:
    """What :func:`read_band` found: capture wall clock (ms, mod 2**48) and frame counter."""

    wall_clock_ms: int
    seq: int

    @property
    def wall_clock(self) -> float:
        """Capture time in seconds since the epoch (as drawn, millisecond resolution)."""
        return self.wall_clock_ms / 1000.0


def band_height(image_height: int) -> int:
    """Height in rows of the band for an image of this height."""
    return max(8, round(image_height / 30))


def _check_byte(ts_ms: int, seq: int) -> int:
    data = ts_ms.to_bytes(6, "big") + seq.to_bytes(2, "big")
    return (sum(data) % 256) ^ CHECK_XOR


def encode_bits(wall_clock: float, seq: int) -> np.ndarray:
    """The 74 cell values (0/1) for a capture time in seconds and a frame counter."""
    ts_ms = round(wall_clock * 1000) % (1 << TS_BITS)
    seq16 = int(seq) % (1 << SEQ_BITS)
    word = (ts_ms << 24) | (seq16 << 8) | _check_byte(ts_ms, seq16)
    bits = [(word >> (71 - i)) & 1 for i in range(72)]
    return np.array([1, 0, *bits], dtype=np.uint8)


def draw_band(image: np.ndarray, wall_clock: float, seq: int) -> None:
    """Draw the band in place into the top rows of ``image`` (HxW or HxWx3 uint8)."""
    h, w = image.shape[:2]
    cell_w = w // CELLS
    if cell_w < MIN_CELL_W:
        raise ValueError(f"image too narrow for the timestamp band: {w} < {CELLS * MIN_CELL_W}")
    bh = band_height(h)
    row = np.repeat(encode_bits(wall_clock, seq) * 255, cell_w).astype(np.uint8)
    band = image[:bh]
    if image.ndim == 3:
        band[:, : row.size] = row[None, :, None]
    else:
        band[:, : row.size] = row[None, :]
    band[:, row.size :] = 128


def _luma(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.astype(np.float32)
    # BGR order (OpenCV); BT.601 weights.
    b, g, r = image[..., 0], image[..., 1], image[..., 2]
    return 0.114 * b + 0.587 * g + 0.299 * r


def read_band(image: np.ndarray, source_size: tuple[int, int] | None = None) -> BandReading | None:
    """Read the band back from a (possibly lossy-decoded) BGR or grey image; None if absent.

    ``source_size`` = ``(width, height)`` the band was drawn for, when the picture arrives
    scaled (WebRTC senders lower the resolution under congestion): cell edges are then placed
    at ``i * (src_w // 74) * w / src_w``, as the JS twin does.
    """
    h, w = image.shape[:2]
    src_w, src_h = source_size or (w, h)
    cell_w = (src_w // CELLS) * w / src_w
    if cell_w < 3 or h < 8:
        return None
    bh = band_height(src_h) * h / src_h
    y0 = int(bh // 4)
    y1 = max(y0 + 1, int(3 * bh // 4))
    luma = _luma(image[y0:y1])
    means = np.empty(CELLS, np.float64)
    for i in range(CELLS):
        x0 = int(i * cell_w + cell_w / 4)
        x1 = max(x0 + 1, int(i * cell_w + 3 * cell_w / 4))
        means[i] = luma[:, x0:x1].mean()
    white, black = float(means[0]), float(means[1])
    if white - black < MIN_CONTRAST:
        return None
    bits = (means[MARKER_CELLS:] > (white + black) / 2).astype(np.int64)
    word = 0
    for bit in bits:
        word = (word << 1) | int(bit)
    ts_ms, seq, check = word >> 24, (word >> 8) & 0xFFFF, word & 0xFF
    if check != _check_byte(ts_ms, seq):
        return None
    return BandReading(wall_clock_ms=ts_ms, seq=seq)
