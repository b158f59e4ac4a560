"""``python -m bench --quick`` runs a real (cheap) benchmark and writes a complete result."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "details", "machine",
          "date"}  # fmt: skip

pytestmark = pytest.mark.timeout(90)


def _bench(args: list[str], results: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENCH_RESULTS_DIR": str(results), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=80)  # fmt: skip


def test_quick_preview_writes_valid_json(tmp_path: Path):
    done = _bench(["--quick", "preview"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p.name for p in tmp_path.iterdir()] == ["preview.quick.json"]
    r = json.loads((tmp_path / "preview.quick.json").read_text())
    assert set(r) == FIELDS
    assert r["name"] == "preview"
    assert isinstance(r["value"], int | float) and r["value"] >= 0
    assert isinstance(r["anchor_value"], int | float) and r["anchor"]
    assert r["ratio"] == pytest.approx(r["value"] / r["anchor_value"], rel=1e-3)
    assert r["unit"] and r["goal"] and isinstance(r["details"], dict) and r["details"]
    assert r["machine"]["cpus"] >= 1
    assert dt.datetime.fromisoformat(r["date"]).tzinfo is not None
    assert '"value"' in done.stdout  # the runner prints the figure


def test_unknown_benchmark_is_refused(tmp_path: Path):
    done = _bench(["--quick", "nope"], tmp_path)
    assert done.returncode == 2
    assert "unknown benchmark(s): nope" in done.stderr
    assert not list(tmp_path.iterdir())
