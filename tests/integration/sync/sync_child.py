"""Uploader process for the SIGKILL faults: imports everything and opens the store, says
"ready", waits for "go", then runs what ``telecabine sync --once`` runs (``sync_once``).
Pre-started so kills stay cheap (imports + store opening cost ~2-4 s on a busy 2-core box)."""

from __future__ import annotations

import asyncio
import sys

from telecabine.config import load_settings
from telecabine.services.sync_runtime import load_station_token, sync_once
from telecabine.store.engine import open_store


def main() -> int:
    """Wait for the go line on stdin, then drain the outbox once."""
    settings = load_settings()
    store = open_store(settings)
    load_station_token(settings)  # keyring backend discovery, also paid before "go"
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 0
    try:
        return asyncio.run(sync_once(settings, store, sys.stdout))
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
