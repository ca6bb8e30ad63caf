#!/usr/bin/env bash
# Vendor the front-end files cityhall serves, so the browser never fetches anything from outside.
#
# Run at development time only (it needs the npm registry); commit what it writes:
#   cityhall/static/vendor/htmx/htmx.min.js, cityhall/static/vendor/htmx/LICENSE,
#   cityhall/static/vendor/leaflet/{leaflet.js,leaflet.css,LICENSE,images/*} (the report maps),
#   cityhall/static/vendor/VENDORED.json (name, version, licence, sha256 of every vendored file).
# Usage: scripts/vendor_frontend.sh [htmx version spec, default "2"] [leaflet spec, default "1.9"]
set -euo pipefail

HTMX_SPEC="${1:-2}"
case "$HTMX_SPEC" in
  2|2.*) ;;
  *) echo "cityhall uses htmx 2.x; refusing '$HTMX_SPEC' (htmx 4 changed its behaviour)" >&2; exit 2 ;;
esac
LEAFLET_SPEC="${2:-1.9}"
case "$LEAFLET_SPEC" in
  1.9|1.9.*) ;;
  *) echo "cityhall uses Leaflet 1.9.x; refusing '$LEAFLET_SPEC' (2.0 changed its API)" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/cityhall/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
TARBALL="$(npm pack --silent "htmx.org@${HTMX_SPEC}" | tail -n 1)"
tar -xzf "$TARBALL"

VERSION="$(node -p "require('./package/package.json').version")"
LICENSE_NAME="$(node -p "require('./package/package.json').license")"
case "$VERSION" in
  2.*) ;;
  *) echo "npm resolved htmx.org@${HTMX_SPEC} to ${VERSION}, not 2.x" >&2; exit 1 ;;
esac

mkdir -p "$VENDOR/htmx"
cp package/dist/htmx.min.js "$VENDOR/htmx/htmx.min.js"
cp package/LICENSE "$VENDOR/htmx/LICENSE"
SHA="$(sha256sum "$VENDOR/htmx/htmx.min.js" | cut -d' ' -f1)"
TARBALL_SHA="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
rm -rf package

# Leaflet draws the report maps from our own GeoJSON; no tiles are fetched unless a city
# sets CITYHALL_MAP_TILES_URL to its own tile server.
L_TARBALL="$(npm pack --silent "leaflet@${LEAFLET_SPEC}" | tail -n 1)"
tar -xzf "$L_TARBALL"
L_VERSION="$(node -p "require('./package/package.json').version")"
L_LICENSE="$(node -p "require('./package/package.json').license")"
case "$L_VERSION" in
  1.9.*) ;;
  *) echo "npm resolved leaflet@${LEAFLET_SPEC} to ${L_VERSION}, not 1.9.x" >&2; exit 1 ;;
esac
rm -rf "$VENDOR/leaflet"
mkdir -p "$VENDOR/leaflet/images"
cp package/dist/leaflet.js package/dist/leaflet.css "$VENDOR/leaflet/"
cp package/dist/images/*.png "$VENDOR/leaflet/images/"
cp package/LICENSE "$VENDOR/leaflet/LICENSE"
L_TARBALL_SHA="$(sha256sum "$L_TARBALL" | cut -d' ' -f1)"
L_FILES="$(cd "$VENDOR" && for f in leaflet/leaflet.js leaflet/leaflet.css leaflet/images/*.png; do
  printf '      "%s": "%s",\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done | sed '$ s/,$//')"

cat > "$VENDOR/VENDORED.json" <<JSON
{
  "htmx.org": {
    "version": "${VERSION}",
    "license": "${LICENSE_NAME}",
    "license_file": "htmx/LICENSE",
    "source": "npm pack htmx.org@${VERSION}",
    "npm_tarball_sha256": "${TARBALL_SHA}",
    "files": {
      "htmx/htmx.min.js": "${SHA}"
    }
  },
  "leaflet": {
    "version": "${L_VERSION}",
    "license": "${L_LICENSE}",
    "license_file": "leaflet/LICENSE",
    "source": "npm pack leaflet@${L_VERSION}",
    "npm_tarball_sha256": "${L_TARBALL_SHA}",
    "files": {
${L_FILES}
    }
  }
}
JSON
echo "vendored htmx.org ${VERSION} (${LICENSE_NAME}) sha256 ${SHA}"
echo "vendored leaflet ${L_VERSION} (${L_LICENSE})"
