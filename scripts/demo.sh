#!/usr/bin/env bash
# The demo: an in-process hub with a demo doctor, the station with simulated devices, and the
# doctor console URL printed to open in a browser. Uses Xvfb when there is no display.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  if command -v xvfb-run >/dev/null 2>&1; then
    echo "demo: no display found, running the station in a virtual screen (xvfb-run)." >&2
    exec xvfb-run -a -s "-screen 0 1280x800x24" uv run --frozen telecabine demo "$@"
  fi
fi
exec uv run --frozen telecabine demo "$@"
