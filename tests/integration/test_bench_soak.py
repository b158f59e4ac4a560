"""The soak harness, very short: the demo station in a real Xvfb window, the hub, the
Chromium doctor; a 60 s call with a console reload, a network cut, camera switches, a
measurement and a document, then 3 encounters. No crash, no traceback, every billing record
on the hub, and the result file complete (the full 30 min run is ``python -m bench soak``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "details", "machine",
          "date"}  # fmt: skip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_short_soak_no_crash_no_traceback_every_record_on_the_hub(tmp_path: Path):
    for tool in ("/usr/bin/chromium", "Xvfb"):
        if shutil.which(tool) is None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{tool} missing under CI")
            pytest.skip(f"{tool} not installed")
    env = {**os.environ, "BENCH_RESULTS_DIR": str(tmp_path), "SOAK_CALL_S": "60",
           "SOAK_ENCOUNTERS": "3", "SOAK_STRESS_WORKERS": "0"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "soak"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=880)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads((tmp_path / "soak.quick.json").read_text())
    assert set(r) == FIELDS and r["name"] == "soak"
    d = r["details"]
    assert d["plan"]["call_s"] == 60 and d["plan"]["encounters"] == 3
    assert d["crashes"] == 0 and d["station_exit_code"] == 0, d.get("fatal_lines")
    assert d["tracebacks"]["stderr"] == 0 and d["tracebacks"]["station_logs"] == 0, d.get(
        "stderr_tail"
    )
    assert d["billing"]["closed_at_station"] == 4, d["harness_errors"]
    assert d["billing"]["on_hub"] == 4
    assert d["long_call"]["done"].get("reload", 0) >= 1  # the video came back after a reload
    assert len(d["rss_samples"]) >= 6 and all(s["rss_mb"] > 50 for s in d["rss_samples"])
    assert d["at_end"]["fds"] > 0 and d["at_end"]["threads"] > 0
    assert isinstance(r["value"], int | float) and r["anchor_value"] > 50
