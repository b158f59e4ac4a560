"""Shared set-up of the sync benchmarks: the harness of ``tests/integration/sync``."""

from __future__ import annotations

import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "tests" / "integration" / "sync"


def harness_on_path() -> None:
    """Make ``sync_testlib`` / ``sync_campaign`` importable (they live with the tests)."""
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))
