"""Latest-value mailbox: how blocking device threads hand data to asyncio and the UI.

A producer thread ``put``s; consumers read the newest value only. A slow consumer skips
values instead of queueing them, so latency never builds up (ARCHITECTURE.md, runtime model).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One captured picture.

    ``image`` is an ``HxWx3`` uint8 array in **BGR** order (OpenCV's native order);
    ``captured_at`` is ``time.monotonic()`` at capture; ``wall_clock`` is ``time.time()``
    at capture (what simulated sources draw into the picture for glass-to-glass latency).
    """

    image: np.ndarray
    seq: int
    captured_at: float
    wall_clock: float

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """A block of mono or multi-channel float32 samples in [-1, 1], shape ``(frames, channels)``."""

    samples: np.ndarray
    sample_rate: int
    seq: int
    captured_at: float


class LatestValueMailbox[T]:
    """Thread-safe slot holding only the newest value, with a sequence number.

    ``put`` never blocks and never grows memory. ``latest`` returns ``(seq, value)``; readers
    compare ``seq`` to know whether anything new arrived. ``wait_newer`` lets an asyncio
    consumer sleep until a value newer than the one it has.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._seq = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._closed = False

    def put(self, value: T) -> int:
        """Replace the held value (callable from any thread); returns its sequence number."""
        with self._lock:
            self._seq += 1
            self._value = value
            seq = self._seq
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, fut)
        return seq

    def latest(self) -> tuple[int, T | None]:
        """The newest ``(seq, value)``; ``(0, None)`` before the first ``put``."""
        with self._lock:
            return self._seq, self._value

    @property
    def closed(self) -> bool:
        """True once the producer has said it will put nothing more."""
        return self._closed

    def close(self) -> None:
        """Wake every waiter; later ``wait_newer`` calls return at once."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, fut)

    async def wait_newer(
        self, after_seq: int, timeout: float | None = None
    ) -> tuple[int, T | None]:
        """Wait until a value newer than ``after_seq`` exists (or timeout/close); return latest."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._seq > after_seq or self._closed:
                return self._seq, self._value
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            with self._lock:
                self._waiters = [(lp, f) for lp, f in self._waiters if f is not fut]
        return self.latest()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
