"""The hub in its own process for the sync benchmark (as on a real server, no shared GIL).

``python bench/sync_hub_proc.py DATA_DIR [DATABASE_URL]`` prints one JSON line
``{"port", "token"}``, then answers each ``count`` line on stdin with
``{"rows", "distinct"}`` and stops at end of input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration" / "sync"))

from sync_testlib import STATION, TestHub


async def main(data_dir: Path, database_url: str | None) -> None:
    """Serve until stdin closes."""
    hub = TestHub(data_dir, database_url)
    await hub.start()
    token = await hub.register(STATION)
    print(json.dumps({"port": hub.port, "token": token}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"count":
            keys = await hub.keys()
            print(json.dumps({"rows": sum(keys.values()), "distinct": len(keys)}), flush=True)
    await hub.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
