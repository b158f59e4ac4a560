"""Fault campaign: close encounters, inject faults, drain, then compare station and hub.

Faults: SIGKILL of the uploading process mid-request, hub 503 (before storing) and 500 (after
storing: answer lost), client timeouts (delayed answers), black-holed requests, TCP resets
before and after the hub stored the record, hub restarts on the same database file, and clock
skew (hours ahead or behind) of the uploader. Success = 0 lost, 0 duplicated, 0 extra.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select
from sync_testlib import STATION, FaultProxy, TestHub, close_encounters

from telecabine.config import load_settings
from telecabine.services.sync_outbox import StoreOutbox
from telecabine.services.sync_runtime import save_station_token
from telecabine.store import open_store
from telecabine.store.tables import OutboxEntry
from telecabine.sync.backoff import Backoff
from telecabine.sync.client import BillingClient
from telecabine.sync.worker import SyncWorker

CHILD = Path(__file__).with_name("sync_child.py")
IN_PROCESS = ("503_before", "500_after", "timeout", "blackhole", "reset", "reset_after",
              "hub_restart", "skew")  # fmt: skip


@dataclass
class CampaignResult:
    """Counts of a campaign (what the test asserts and the bench writes)."""

    faults: Counter = field(default_factory=Counter)
    closed: int = 0
    hub_rows: int = 0
    lost: int = 0
    duplicated: int = 0
    extra: int = 0
    attention: int = 0
    hub_hits: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # time spent per fault kind
    drain_passes: int = 0
    elapsed_s: float = 0.0

    @property
    def total_faults(self) -> int:
        """Faults actually injected (a kill that found the child already done is not one)."""
        return sum(v for k, v in self.faults.items() if k != "kill_missed")


class _Spares:
    """Pre-started uploader processes (import + store opening ~2-4 s on a busy 2-core box)."""

    def __init__(self, env: dict[str, str], size: int = 2) -> None:
        self._env = env
        self._size = size
        self._pool: list[asyncio.Task] = []

    def _spawn(self) -> asyncio.Task:
        async def spawn():
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(CHILD), env=self._env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line.strip() == b"ready", line
            return proc

        return asyncio.get_running_loop().create_task(spawn())

    def warm(self) -> None:
        """Keep ``size`` processes starting or waiting."""
        while len(self._pool) < self._size:
            self._pool.append(self._spawn())

    def ready(self) -> bool:
        """True when a warm process is waiting."""
        return any(t.done() for t in self._pool)

    async def take(self):
        """A ready process (and start warming a replacement)."""
        self.warm()
        done = [t for t in self._pool if t.done()]
        task = done[0] if done else self._pool[0]
        self._pool.remove(task)
        proc = await task
        self.warm()
        return proc

    async def close(self) -> None:
        """Kill the spares."""
        for task in self._pool:
            proc = await task
            proc.kill()
            await proc.wait()
        self._pool.clear()


async def _stored_but_unacknowledged(hub: TestHub, store, before: set[str]) -> int:
    """Records the hub stored since ``before`` that the station still has pending: the kill
    fell between the hub's commit and the uploader reading the answer."""
    with store.read() as session:
        pending = {
            o.record_uuid
            for o in session.exec(select(OutboxEntry).where(OutboxEntry.status == "pending"))
        }
    return len(pending & (set(await hub.keys()) - before))


async def _kill_round(spares: _Spares, proxy: FaultProxy, rng: random.Random, res) -> None:
    proc = await spares.take()
    proxy.mode, proxy.delay_s = "delay", rng.uniform(0.05, 0.3)
    proxy.request_seen.clear()
    proc.stdin.write(b"go\n")
    await proc.stdin.drain()
    try:
        waiter = asyncio.ensure_future(proxy.request_seen.wait())
        exited = asyncio.ensure_future(proc.wait())
        await asyncio.wait({waiter, exited}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        await asyncio.sleep(rng.uniform(0.0, 0.25))  # somewhere inside the requests in flight
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            res.faults["kill"] += 1
        else:
            res.faults["kill_missed"] += 1
        await proc.wait()
    finally:
        proxy.mode, proxy.delay_s = "pass", 0.0
        proxy.drop_all()


async def run_campaign(work: Path, n_faults: int, seed: int, kill_share: float) -> CampaignResult:
    """Inject ``n_faults`` faults (``kill_share`` of them SIGKILLs) and check the end state."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    res = CampaignResult()
    hub = TestHub(work / "hub")
    (work / "hub").mkdir(parents=True, exist_ok=True)
    await hub.start()
    token = await hub.register(STATION)
    proxy = FaultProxy(hub.port)
    await proxy.start()
    settings = load_settings(
        data_dir=work / "station", insecure_file_keyring=True, station_id=STATION,
        hub_url=proxy.url,
    )  # fmt: skip
    settings.ensure_dirs()
    store = open_store(settings)
    save_station_token(settings, token)
    env = dict(os.environ, TELECABINE_DATA_DIR=str(settings.data_dir),
               TELECABINE_INSECURE_FILE_KEYRING="1", TELECABINE_STATION_ID=STATION,
               TELECABINE_HUB_URL=proxy.url, TELECABINE_SYNC_TIMEOUT_S="2")  # fmt: skip
    spares = _Spares(env)
    skew = timedelta(0)
    client = BillingClient(proxy.url, token, timeout_s=0.2)
    worker = SyncWorker(
        StoreOutbox(store), client, clock=lambda: datetime.now(UTC) + skew,
        backoff=Backoff(base_s=0.005, cap_s=0.05), batch_size=64, concurrency=8,
    )  # fmt: skip
    closed: list[str] = []
    n_kills = round(n_faults * kill_share)
    try:
        if n_kills:
            spares.warm()
        while res.total_faults < n_faults:
            t_kind = time.perf_counter()
            closed += close_encounters(store, STATION, rng.randint(1, 4), start=len(closed))
            res.seconds["close_encounters"] += time.perf_counter() - t_kind
            t_kind = time.perf_counter()
            kills_left = n_kills - res.faults["kill"]
            others_left = n_faults - res.total_faults - kills_left
            if kills_left > 0 and (spares.ready() or others_left <= 0):
                before = set(await hub.keys())
                await _kill_round(spares, proxy, rng, res)
                if await _stored_but_unacknowledged(hub, store, before):
                    res.hub_hits["killed_after_hub_stored"] += 1  # proof of mid-request kills
                res.seconds["kill"] += time.perf_counter() - t_kind
                continue
            kind = rng.choice(IN_PROCESS)
            res.faults[kind] += 1
            if kind == "hub_restart":
                await hub.stop()
                await worker.run_once()  # connection refused
                await hub.start()
            elif kind == "skew":
                skew = timedelta(hours=rng.choice((-1, 1)) * rng.uniform(1, 48))
                await worker.run_once()
                skew = timedelta(0)
            elif kind in ("503_before", "500_after"):
                hub.faults.mode = kind
                await worker.run_once()
                hub.faults.mode = "ok"
            else:
                proxy.mode = {"timeout": "delay"}.get(kind, kind)
                proxy.delay_s = 0.35  # > the client's 0.2 s timeout
                await worker.run_once()
                proxy.mode, proxy.delay_s = "pass", 0.0
                proxy.drop_all()
            res.seconds[kind] += time.perf_counter() - t_kind
            if rng.random() < 0.3:
                await worker.run_once()  # a calm moment between two faults
        # Drain: no more faults, the real clock; every closed record must reach the hub once.
        for res.drain_passes in range(1, 200):
            await worker.run_once()
            if worker.status.pending == 0:
                break
            await asyncio.sleep(0.06)
        keys = await hub.keys()
        per_encounter = await hub.encounters()
        station = set(closed)
        res.closed = len(closed)
        res.hub_rows = sum(keys.values())
        res.lost = len(station - set(keys))
        res.extra = len(set(keys) - station)
        res.duplicated = sum(c - 1 for c in keys.values()) + sum(
            c - 1 for c in per_encounter.values()
        )
        res.attention = worker.status.attention
        res.hub_hits.update(hub.faults.hits)
    finally:
        await spares.close()
        await worker.aclose()
        await proxy.stop()
        await hub.stop()
        store.close()
    res.elapsed_s = time.perf_counter() - t0
    return res
