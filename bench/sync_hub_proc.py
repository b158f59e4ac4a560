"""The hub in its own process for the sync benchmark (as on a real server, no shared GIL).

``python bench/sync_hub_proc.py DATA_DIR [DATABASE_URL|stub]`` prints one JSON line
``{"port", "token"}``, then answers each ``count`` line on stdin with
``{"rows", "distinct"}`` and stops at end of input. ``stub`` is not the hub: endpoints (single
and batch) that only count keys and answer "created", to measure the station side alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration" / "sync"))

from sync_testlib import STATION, TestHub

from telecabine.protocol.billing import BATCH_PATH


class _Stub:
    """An ingest endpoint with no work behind it (the station side's own ceiling)."""

    def __init__(self) -> None:
        self.keys: Counter = Counter()
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _ingest(self, request: web.Request) -> web.Response:
        await request.read()
        self.keys[request.headers["Idempotency-Key"]] += 1
        return web.json_response({"record": {}}, status=201)

    async def _ingest_batch(self, request: web.Request) -> web.Response:
        body = json.loads(await request.content.read())
        results = []
        for i, item in enumerate(body["records"]):
            self.keys[item["idempotency_key"]] += 1
            results.append({"index": i, "idempotency_key": item["idempotency_key"],
                            "outcome": "created", "status": 201})  # fmt: skip
        return web.json_response({"v": 1, "results": results})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/v1/billing-records", self._ingest)
        app.router.add_post(BATCH_PATH, self._ingest_batch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def register(self, _station: str) -> str:
        return "stub-token"

    async def stop(self) -> None:
        await self._runner.cleanup()


async def main(data_dir: Path, database_url: str | None) -> None:
    """Serve until stdin closes."""
    hub = _Stub() if database_url == "stub" else TestHub(data_dir, database_url)
    await hub.start()
    token = await hub.register(STATION)
    print(json.dumps({"port": hub.port, "token": token}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"count":
            keys = hub.keys if isinstance(hub, _Stub) else await hub.keys()
            print(json.dumps({"rows": sum(keys.values()), "distinct": len(keys)}), flush=True)
    await hub.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
