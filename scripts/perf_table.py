"""Regenerate the README's Performance table from ``bench/results/*.json`` (never by hand).

Usage: ``uv run python scripts/perf_table.py`` (rewrites the block between the markers).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- perf:begin -->", "<!-- perf:end -->"


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def table(results_dir: Path) -> str:
    """The Markdown table for every committed result file."""
    rows = [
        "| benchmark | ours | anchor (same run) | ratio | goal | measured |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted(results_dir.glob("*.json")):
        if path.name.endswith(".quick.json"):
            continue
        r = json.loads(path.read_text())
        ours = f"{_fmt(r['value'])} {r['unit']}"
        anchor = f"{r['anchor']}: {_fmt(r['anchor_value'])}" if r.get("anchor") else "—"
        rows.append(
            f"| {r['name']} | {ours} | {anchor} | {_fmt(r.get('ratio'))} | {r['goal']} | "
            f"{r['date'][:10]} |"
        )
    return "\n".join(rows)


def main() -> int:
    """Rewrite README.md in place; exit 1 if the markers are missing."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print("README.md has no perf markers", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{table(ROOT / 'bench' / 'results')}\n{END}{tail}"
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
