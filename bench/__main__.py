"""Run benchmarks: ``uv run python -m bench [--quick] [names...]``.

Each ``bench/<name>.py`` exposes ``run(quick: bool) -> dict`` which measures the figure and its
anchor in the same run and writes ``bench/results/<name>.json`` through ``bench.common``.
A quick pass writes ``<name>.quick.json`` (not committed) so it never overwrites a real run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback

# Order: cheap first. Names are module names in this folder.
BENCHMARKS = (
    "startup",
    "db_search",
    "call_context",
    "preview",
    "sync",
    "sync_faults",
    "call_setup",
    "latency",
    "cpu",
    "quality",
    "rss",
    "buildup",
    "hub_security",
    "dashboard",
    "hub_load",
    "soak",
)


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (all by default); exit 1 if any failed to produce a result."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, to check nothing rots")
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    failed = []
    for name in args.names or BENCHMARKS:
        started = time.monotonic()
        print(f"== {name}{' (quick)' if args.quick else ''}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.run(quick=args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        shown = {k: result.get(k) for k in ("value", "unit", "anchor_value", "ratio", "goal")}
        print(f"   {json.dumps(shown, ensure_ascii=False)}  ({time.monotonic() - started:.0f} s)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
