"""Regenerate the README's Performance table from ``bench/results/*.json`` (never by hand).

Usage: ``uv run python scripts/perf_table.py`` (rewrites the block between the markers;
running it twice changes nothing). Quick-pass results (``*.quick.json``) are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- perf:begin -->", "<!-- perf:end -->"


class MarkersMissing(ValueError):
    """The README has no ``<!-- perf:begin -->`` / ``<!-- perf:end -->`` pair."""


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and abs(v) >= 10000:
        return f"{v:,}"
    return str(v)


def _cell(text: object) -> str:
    """Table-safe text (a ``|`` would split the cell)."""
    return _fmt(text).replace("|", "\\|").replace("\n", " ")


def _find_load(tree: dict[str, Any]) -> float | None:
    """First ``load_average*`` value in ``tree`` (its own keys first, then nested dicts)."""
    for key, value in tree.items():
        if key.startswith("load_average"):
            if isinstance(value, list) and value:
                return float(value[0])
            if isinstance(value, int | float):
                return float(value)
    for value in tree.values():
        if isinstance(value, dict) and (found := _find_load(value)) is not None:
            return found
    return None


def load_average(result: dict[str, Any]) -> float | None:
    """The 1-minute load average measured during the run (details), else at its end (machine)."""
    for source in (result.get("details") or {}, result.get("machine") or {}):
        if (found := _find_load(source)) is not None:
            return found
    return None


def table(results_dir: Path) -> str:
    """The Markdown table for every committed result file (sorted by name)."""
    rows = [
        "| benchmark | ours | anchor (same run) | ratio ours/anchor | goal | load avg 1 min | measured |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for path in sorted(results_dir.glob("*.json")):
        if path.name.endswith(".quick.json"):
            continue
        r = json.loads(path.read_text())
        ours = f"{_fmt(r['value'])} {r['unit']}"
        anchor = f"{r['anchor']}: {_fmt(r['anchor_value'])}" if r.get("anchor") else "—"
        cells = [r["name"], ours, anchor, r.get("ratio"), r["goal"], load_average(r),
                 str(r["date"])[:10]]  # fmt: skip
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def regenerate(readme: Path, results_dir: Path) -> bool:
    """Rewrite the block between the markers of ``readme``; True if the file changed."""
    text = readme.read_text()
    if BEGIN not in text or END not in text or text.index(BEGIN) > text.index(END):
        raise MarkersMissing(f"{readme} has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{table(results_dir)}\n{END}{tail}"
    if new == text:
        return False
    readme.write_text(new)
    return True


def main() -> int:
    """Rewrite README.md in place; exit 1 if the markers are missing."""
    try:
        changed = regenerate(ROOT / "README.md", ROOT / "bench" / "results")
    except MarkersMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    print("README.md table updated" if changed else "README.md table already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
