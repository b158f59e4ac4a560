"""The latest-value mailbox keeps only the newest value and wakes async waiters."""

from __future__ import annotations

import asyncio
import threading

from telecabine.devices.mailbox import LatestValueMailbox


def test_keeps_only_newest() -> None:
    box: LatestValueMailbox[int] = LatestValueMailbox()
    assert box.latest() == (0, None)
    for i in range(1000):
        box.put(i)
    assert box.latest() == (1000, 999)


async def test_wait_newer_wakes_on_put_from_thread() -> None:
    box: LatestValueMailbox[str] = LatestValueMailbox()
    threading.Timer(0.05, box.put, args=("frame",)).start()
    seq, value = await box.wait_newer(0, timeout=2)
    assert (seq, value) == (1, "frame")


async def test_wait_newer_times_out_with_current_value() -> None:
    box: LatestValueMailbox[str] = LatestValueMailbox()
    box.put("a")
    seq, value = await box.wait_newer(1, timeout=0.05)
    assert (seq, value) == (1, "a")
    assert box._waiters == []


async def test_close_wakes_waiters() -> None:
    box: LatestValueMailbox[int] = LatestValueMailbox()
    task = asyncio.create_task(box.wait_newer(0, timeout=5))
    await asyncio.sleep(0.01)
    box.close()
    assert await asyncio.wait_for(task, 1) == (0, None)
