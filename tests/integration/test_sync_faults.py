"""Issue 8 item 4: random faults while the station uploads billing records; at the end the hub
holds exactly the records the station closed: none lost, none duplicated.

≥ 100 faults: SIGKILLs of the uploading process mid-request, hub 503/500, timeouts,
black-holes, TCP resets (before and after the hub stored), hub restarts, clock skew.
The 1,000-fault run is ``python -m bench sync_faults``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).with_name("sync")))

from sync_campaign import run_campaign


@pytest.mark.timeout(240)
async def test_hundred_faults_nothing_lost_nothing_duplicated(tmp_path: Path):
    res = await run_campaign(tmp_path, n_faults=105, seed=8, kill_share=0.05)
    print(f"sync faults: {dict(res.faults)} hub hits {dict(res.hub_hits)} closed {res.closed} "
          f"hub {res.hub_rows} drain passes {res.drain_passes} in {res.elapsed_s:.1f}s "
          f"{ {k: round(v, 1) for k, v in res.seconds.items()} }")  # fmt: skip
    assert res.total_faults >= 100
    assert res.faults["kill"] >= 5
    # every kind of fault was injected at least once
    for kind in ("503_before", "500_after", "timeout", "blackhole", "reset", "reset_after",
                 "hub_restart", "skew"):  # fmt: skip
        assert res.faults[kind] > 0, kind
    assert res.hub_hits["500_after"] > 0  # the hub stored records whose answer was lost
    assert res.hub_hits["killed_after_hub_stored"] > 0  # a kill landed between store and ack
    assert res.lost == 0
    assert res.duplicated == 0
    assert res.extra == 0
    assert res.hub_rows == res.closed
    assert res.attention == 0
