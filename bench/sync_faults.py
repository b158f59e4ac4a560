"""1,000 faults while billing records sync: how many lost, how many duplicated (goal: 0 / 0).

The campaign of ``tests/integration/test_sync_faults.py`` (SIGKILL of the uploading process
mid-request, hub 503/500-after-store, timeouts, black-holes, TCP resets before/after the hub
stored, hub restarts, clock skew), ten times longer. Anchor: 0 (the only acceptable count).
Run: ``uv run python -m bench sync_faults`` (``--quick``: 120 faults).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.common import write_result
from bench.sync_common import harness_on_path


def run(quick: bool = False) -> dict[str, Any]:
    """Run the campaign and write lost/duplicated counts with the fault mix."""
    harness_on_path()
    from sync_campaign import run_campaign

    n = 120 if quick else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        res = asyncio.run(run_campaign(Path(tmp), n_faults=n, seed=1000, kill_share=0.05))
    return write_result(
        "sync_faults",
        value=res.lost + res.duplicated + res.extra,
        unit="records lost + duplicated",
        anchor="exactly-once delivery (0 lost, 0 duplicated)",
        anchor_value=0,
        ratio=None,
        goal="0 lost and 0 duplicated after >= 1,000 faults",
        details={
            "faults_total": res.total_faults,
            "faults": dict(res.faults),
            "hub_fault_hits": dict(res.hub_hits),
            "closed": res.closed,
            "hub_rows": res.hub_rows,
            "lost": res.lost,
            "duplicated": res.duplicated,
            "extra": res.extra,
            "needing_attention": res.attention,
            "drain_passes": res.drain_passes,
            "elapsed_s": round(res.elapsed_s, 1),
            "seconds_per_kind": {k: round(v, 1) for k, v in res.seconds.items()},
        },
        quick=quick,
    )


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
