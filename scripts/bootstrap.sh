#!/usr/bin/env bash
# Installs what Telecabine needs on a fresh machine, and nothing that is already there:
#   1. Debian/Ubuntu system libraries (Qt, PortAudio, PulseAudio, Xvfb, Chromium, PostgreSQL)
#   2. uv (from PyPI, with pip)
#   3. the project's virtual environment from uv.lock (uv sync --frozen)
# Safe to run again; every step checks first. Sourced by scripts/test.sh and scripts/demo.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

APT_PACKAGES=(
  libportaudio2 libpulse0 libegl1 libgl1 libxkbcommon0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libdbus-1-3 xvfb xauth chromium fonts-dejavu-core
  pulseaudio pulseaudio-utils libasound2-plugins postgresql stress-ng espeak-ng nginx coturn
)

missing_apt() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

if command -v dpkg-query >/dev/null 2>&1; then
  missing="$(missing_apt)"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ]; then
      echo "bootstrap: installing system packages: $missing" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      # shellcheck disable=SC2086
      apt-get install -y -qq --no-install-recommends $missing >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      echo "bootstrap: installing system packages with sudo: $missing" >&2
      sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
      # shellcheck disable=SC2086
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
      echo "bootstrap: missing system packages (install them as root): $missing" >&2
    fi
  fi
fi

if ! command -v uv >/dev/null 2>&1; then
  export PATH="$HOME/.local/bin:$PATH"
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv from PyPI" >&2
  PY="$(command -v python3 || command -v python)"
  "$PY" -m pip install --quiet --user uv 2>/dev/null || "$PY" -m pip install --quiet uv
  hash -r
  command -v uv >/dev/null 2>&1 || export PATH="$("$PY" -m site --user-base)/bin:$PATH"
fi

# Python 3.12 or newer: on 3.11, PySide6 6.12 drains None's reference count until the process
# dies mid-call ("Fatal Python error: none_dealloc"); from 3.12 None is immortal. uv cannot
# download interpreters everywhere, so look for one already on the machine (PATH, then pyenv).
if [ -z "${UV_PYTHON:-}" ]; then
  for candidate in python3.12 python3.13 \
      "$HOME"/.pyenv/versions/3.12*/bin/python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3.13 \
      /usr/bin/python3.12 /usr/bin/python3.13; do
    if found="$(command -v "$candidate" 2>/dev/null)" && [ -n "$found" ] \
        && "$found" -c 'import sys; sys.exit(not ((3, 12) <= sys.version_info[:2] < (3, 14)))' \
          2>/dev/null; then
      # the interpreter itself, not a pyenv shim that depends on the working directory
      UV_PYTHON="$("$found" -c 'import sys; print(sys.executable)')"
      export UV_PYTHON
      break
    fi
  done
fi
if [ -z "${UV_PYTHON:-}" ]; then
  echo "bootstrap: Telecabine needs Python 3.12 or 3.13 (3.11 crashes mid-call with PySide6 6.12)." >&2
  echo "bootstrap: install one (apt-get install python3.12, pyenv install 3.12, or uv python install 3.12) and run again." >&2
  exit 2
fi

cd "$ROOT"
uv sync --frozen --quiet
