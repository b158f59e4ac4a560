"""Allocator settings for the station process (Linux glibc; elsewhere nothing to do).

Video frames are large (a 720p BGR picture is 2.7 MB) and are allocated in one thread (a
camera) and freed in another (the encoder, the preview). glibc serves them with ``mmap`` at
first, but its *dynamic* threshold rises to the size of the first such block freed, after
which every frame comes from the per-thread heaps instead, where freed blocks are kept and
fragment: the resident size of a call then grows by tens of MiB and stays there. A fixed
threshold (setting it disables the dynamic one) keeps frames on ``mmap`` (returned to the
system when freed) and two arenas bound what the many threads (Qt, aiortc, cameras, audio)
keep aside.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameters (malloc.h)
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024  # blocks from 256 KiB up (every video frame) go to mmap
ARENA_MAX = 2


def tune_allocator() -> bool:
    """Apply the settings above; True when they were applied (glibc on Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_ARENA_MAX, ARENA_MAX))
    log.debug("allocator tuned: %s", ok)
    return ok
