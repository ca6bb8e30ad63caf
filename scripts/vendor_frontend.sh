#!/usr/bin/env bash
# Vendor the front-end files cityhall serves, so the browser never fetches anything from outside.
#
# Run at development time only (it needs the npm registry); commit what it writes:
#   cityhall/static/vendor/htmx/htmx.min.js, cityhall/static/vendor/htmx/LICENSE,
#   cityhall/static/vendor/VENDORED.json (name, version, licence, sha256 of every vendored file).
# Usage: scripts/vendor_frontend.sh [htmx version spec, default "2"]
set -euo pipefail

HTMX_SPEC="${1:-2}"
case "$HTMX_SPEC" in
  2|2.*) ;;
  *) echo "cityhall uses htmx 2.x; refusing '$HTMX_SPEC' (htmx 4 changed its behaviour)" >&2; exit 2 ;;
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
  }
}
JSON
echo "vendored htmx.org ${VERSION} (${LICENSE_NAME}) sha256 ${SHA}"
