#!/usr/bin/env bash
# Builds the Linux packages of the station from the repository:
#   dist/telecabine/                  PyInstaller one-folder build
#   dist/telecabine_<ver>_<arch>.deb  Debian package (/opt/telecabine, desktop entry, icon,
#                                     systemd user unit + XDG autostart for kiosk mode)
# Usage: bash installers/linux/build.sh [--skip-pyinstaller]
# Env: DEB_COMPRESSION (default "xz"; e.g. "gzip -z1" for a fast local build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VERSION="$(uv run --frozen python -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')"
ARCH="$(dpkg --print-architecture)"
DIST="$ROOT/dist"
PKG="$ROOT/build/deb/telecabine_${VERSION}_${ARCH}"
HERE="$ROOT/installers/linux"
DEB_COMPRESSION="${DEB_COMPRESSION:-xz}"

if [ "${1:-}" != "--skip-pyinstaller" ]; then
  # Translations are compiled here (.qm are build products, not in git); the frozen app has
  # no lrelease to compile them at start.
  uv run --frozen python -m telecabine.ui.i18n build >/dev/null
  uv run --frozen pyinstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" installers/pyinstaller/telecabine.spec
fi
[ -x "$DIST/telecabine/telecabine" ] || { echo "build.sh: no PyInstaller build in $DIST/telecabine" >&2; exit 1; }

rm -rf "$PKG"
install -d "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/icons/hicolor/scalable/apps" "$PKG/usr/lib/systemd/user" \
  "$PKG/etc/xdg/autostart" "$PKG/usr/share/doc/telecabine"
cp -a "$DIST/telecabine" "$PKG/opt/telecabine"
ln -s /opt/telecabine/telecabine "$PKG/usr/bin/telecabine"
install -m 0644 "$HERE/telecabine.desktop" "$PKG/usr/share/applications/telecabine.desktop"
install -m 0644 "$HERE/telecabine-kiosk.desktop" "$PKG/etc/xdg/autostart/telecabine-kiosk.desktop"
install -m 0644 "$HERE/telecabine-kiosk.service" "$PKG/usr/lib/systemd/user/telecabine-kiosk.service"
install -m 0644 "$HERE/telecabine-hub.service" "$PKG/usr/share/doc/telecabine/telecabine-hub.service.example"
install -m 0644 "$ROOT/installers/telecabine.svg" "$PKG/usr/share/icons/hicolor/scalable/apps/telecabine.svg"
printf 'Telecabine %s\nProprietary.\n' "$VERSION" > "$PKG/usr/share/doc/telecabine/copyright"

INSTALLED_KB="$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$INSTALLED_KB/" \
  "$HERE/control.in" > "$PKG/DEBIAN/control"
install -m 0644 "$HERE/conffiles" "$PKG/DEBIAN/conffiles"
for s in postinst postrm; do install -m 0755 "$HERE/$s" "$PKG/DEBIAN/$s"; done

mkdir -p "$DIST"
OUT="$DIST/telecabine_${VERSION}_${ARCH}.deb"
# Release builds use xz; tests set DEB_COMPRESSION="gzip -z1" to save minutes on 2 cores.
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${DEB_COMPRESSION:+-Z${DEB_COMPRESSION}} --build "$PKG" "$OUT" >/dev/null
echo "$OUT"
