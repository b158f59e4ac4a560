"""Uploader process for the SIGKILL faults: imports everything, says "ready", waits for "go",
then runs exactly what ``telecabine sync --once`` runs. Pre-started so kills stay cheap."""

from __future__ import annotations

import sys

from telecabine.config import load_settings
from telecabine.services.sync_runtime import run_sync_command
from telecabine.store.engine import open_store  # noqa: F401  (import cost paid before "go")


def main() -> int:
    """Wait for the go line on stdin, then drain the outbox once."""
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 0
    return run_sync_command(load_settings(), once=True, set_token=False, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
