"""bench.common result format, percentiles, and the buildup duration setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.common import FIELDS, percentile, write_result


def test_write_result_goes_to_the_override_folder_with_every_field(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    r = write_result("demo", value=30.0, unit="ms", anchor="a", anchor_value=20.0, goal="g",
                     details={"k": 1}, quick=True)  # fmt: skip
    on_disk = json.loads((tmp_path / "demo.quick.json").read_text())
    assert on_disk == r and tuple(r) == FIELDS
    assert r["ratio"] == 1.5  # ours / anchor
    assert len(r["machine"]["load_average_1_5_15"]) == 3
    assert not (tmp_path / "demo.json").exists()  # a quick pass never overwrites a real run


def test_ratio_is_none_without_an_anchor(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    r = write_result("x", value=3.0, unit="u", anchor="", anchor_value=None, goal="g")
    assert r["ratio"] is None and (tmp_path / "x.json").exists()


def test_percentile_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile(list(range(101)), 95) == 95
    with pytest.raises(ValueError):
        percentile([], 50)


def test_buildup_duration_from_env(monkeypatch):
    from bench.buildup import duration_s

    monkeypatch.delenv("BENCH_BUILDUP_S", raising=False)
    assert duration_s(quick=False) == 600 and duration_s(quick=True) == 60
    monkeypatch.setenv("BENCH_BUILDUP_S", "300")
    assert duration_s(quick=True) == 300
    monkeypatch.setenv("BENCH_BUILDUP_S", "5")
    with pytest.raises(ValueError, match="at least 30"):
        duration_s(quick=False)
