#!/usr/bin/env bash
# The whole test suite: lint, format check, import contracts, then pytest (unit, integration,
# ui, e2e). The README's Quick start and .ci/run both call exactly this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export PYTHONFAULTHANDLER=1

echo "== ruff check" && uv run --frozen ruff check .
echo "== ruff format --check" && uv run --frozen ruff format --check .
echo "== import contracts" && uv run --frozen lint-imports
echo "== pytest"
# pytest exits 5 when it collected no test: that is a failure here, as any non-zero code.
uv run --frozen pytest "$@"
