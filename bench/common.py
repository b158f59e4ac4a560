"""Shared helpers for benchmarks: one result format, machine description, percentiles."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = ("name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "details",
          "machine", "date")  # fmt: skip


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        # Shared machines are noisy: the load when the result was written (end of the run).
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("no values")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def write_result(
    name: str,
    *,
    value: float,
    unit: str,
    anchor: str,
    anchor_value: float | None,
    goal: str,
    details: dict[str, Any] | None = None,
    ratio: float | None = None,
    quick: bool = False,
) -> dict[str, Any]:
    """Write ``results/<name>.json`` (``<name>.quick.json`` for a quick pass) and return it.

    ``ratio`` defaults to value / anchor_value (ours over the anchor: < 1 is better for
    times and costs).
    """
    if ratio is None and anchor_value:
        ratio = value / anchor_value
    result = {
        "name": name,
        "value": value,
        "unit": unit,
        "anchor": anchor,
        "anchor_value": anchor_value,
        "ratio": None if ratio is None else round(ratio, 4),
        "goal": goal,
        "details": details or {},
        "machine": machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".quick.json" if quick else ".json"
    (folder / f"{name}{suffix}").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def results_dir() -> Path:
    """Where results go: ``bench/results``, or ``BENCH_RESULTS_DIR`` (tests use a temp folder)."""
    override = os.environ.get("BENCH_RESULTS_DIR")
    return Path(override) if override else RESULTS
