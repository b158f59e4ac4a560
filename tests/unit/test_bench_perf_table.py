"""scripts/perf_table.py: the README's Performance table is generated from result files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location("perf_table", ROOT / "scripts" / "perf_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


perf_table = _load_script()


def _result(name: str, **over) -> dict:
    r = {
        "name": name, "value": 82, "unit": "ms", "anchor": "Chromium -> Chromium",
        "anchor_value": 49, "ratio": 1.6735, "goal": "p50 <= anchor", "details": {},
        "machine": {"cpus": 2}, "date": "2026-11-23T08:29:46+00:00",
    }  # fmt: skip
    r.update(over)
    return r


@pytest.fixture
def results(tmp_path: Path) -> Path:
    d = tmp_path / "results"
    d.mkdir()
    (d / "latency.json").write_text(
        json.dumps(_result("latency", details={"load_average_1m": 3.56}))
    )
    (d / "cpu.json").write_text(json.dumps(_result(
        "cpu", value=50.2, unit="% of one core", anchor_value=57.0, ratio=0.8807,
        goal="CPU | no more than Chromium", details={"load_average_1_5_15": [1.5, 2.0, 2.5]})))  # fmt: skip
    (d / "sync.json").write_text(json.dumps(_result(
        "sync", value=152.3, unit="records/s", anchor=None, anchor_value=None, ratio=None,
        machine={"cpus": 2, "load_average_1_5_15": [0.75, 1, 1]})))  # fmt: skip
    (d / "cpu.quick.json").write_text(json.dumps(_result("cpu", value=999.0)))
    return d


def test_table_has_one_row_per_real_result_sorted_with_load_and_ratio(results: Path):
    rows = perf_table.table(results).splitlines()
    assert rows[0].startswith("| benchmark | ours | anchor (same run) | ratio ours/anchor |")
    body = rows[2:]
    assert [r.split(" | ")[0] for r in body] == ["| cpu", "| latency", "| sync"]
    cpu, latency, sync = body
    assert "| 50.2 % of one core |" in cpu and "| Chromium -> Chromium: 57 |" in cpu
    assert "| 0.881 |" in cpu and "| 1.5 |" in cpu  # ratio, 1-minute load during the run
    assert "CPU \\| no more than Chromium" in cpu  # a '|' in a cell is escaped
    assert "999" not in "\n".join(body)  # quick passes are not results
    assert "| 82 ms |" in latency and "| 3.56 |" in latency and "| 2026-11-23 |" in latency
    assert "| — | — |" in sync  # no anchor, no ratio
    assert "| 0.75 |" in sync  # load from the machine block when details have none


def test_regenerate_between_markers_only_and_idempotent(results: Path, tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# T\n\n## Performance\n\nHow to read.\n\n<!-- perf:begin -->\nold | table\n"
                      "<!-- perf:end -->\n\n## After\nkept\n")  # fmt: skip
    assert perf_table.regenerate(readme, results) is True
    text = readme.read_text()
    assert "old | table" not in text
    assert text.startswith(
        "# T\n\n## Performance\n\nHow to read.\n\n<!-- perf:begin -->\n| benchmark"
    )
    assert text.endswith("<!-- perf:end -->\n\n## After\nkept\n")
    assert perf_table.regenerate(readme, results) is False  # nothing new: file untouched
    assert readme.read_text() == text
    (results / "rss.json").write_text(json.dumps(_result("rss", value=300.0, unit="MiB")))
    assert perf_table.regenerate(readme, results) is True
    assert "| rss | 300 MiB |" in readme.read_text()


def test_missing_markers_is_a_clear_error(results: Path, tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(perf_table.MarkersMissing, match="perf:begin"):
        perf_table.regenerate(readme, results)
    assert readme.read_text() == "# no markers\n"


def test_load_average_prefers_the_run_over_the_end():
    r = _result("x", details={"load_average_1min": 4.0}, machine={"load_average_1_5_15": [9, 9, 9]})
    assert perf_table.load_average(r) == 4.0
    assert perf_table.load_average(_result("x")) is None
    nested = _result("x", details={"runs": {"naive": {"load_average_1min": 2.5}}})
    assert perf_table.load_average(nested) == 2.5


def test_committed_results_have_every_field_and_a_consistent_ratio():
    fields = {"name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "details",
              "machine", "date"}  # fmt: skip
    files = [p for p in (ROOT / "bench" / "results").glob("*.json") if ".quick." not in p.name]
    assert files, "no committed benchmark results"
    for path in files:
        r = json.loads(path.read_text())
        assert set(r) == fields, path.name
        assert r["name"] == path.stem
        assert isinstance(r["value"], int | float), path.name
        if r["anchor_value"]:  # ratio = ours / anchor, as the README explains
            assert r["ratio"] == pytest.approx(r["value"] / r["anchor_value"], abs=1e-3), path.name
        else:
            assert r["ratio"] is None, path.name
