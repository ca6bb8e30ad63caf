#!/usr/bin/env bash
# Vendor the front-end files cityhall serves, so the browser never fetches anything from outside.
#
# Run at development time only (it needs the npm registry); commit what it writes:
#   cityhall/static/vendor/htmx/htmx.min.js, cityhall/static/vendor/htmx/LICENSE,
#   cityhall/static/vendor/leaflet/{leaflet.js,leaflet.css,LICENSE,images/*} (the report maps),
#   cityhall/static/vendor/echarts/{echarts.common.min.js,LICENSE,NOTICE} (the statistics charts;
#   the "common" build: line, bar and pie charts with tooltips and legends, a third smaller
#   than the full one),
#   cityhall/static/vendor/frappe-gantt/{frappe-gantt.umd.js,frappe-gantt.css,LICENSE} (the plans'
#   Gantt charts; the package ships its licence as license.txt, kept here as LICENSE),
#   cityhall/static/vendor/VENDORED.json (name, version, licence, sha256 of every vendored file,
#   and what was changed from the package).
# Source-map comments are removed from the copied files: the maps point at sources the packages
# do not ship, and `collectstatic` with the production storage (DEBUG=0) fails on a reference to
# a missing file. Every reference left in a vendored CSS or JS file must name a vendored file.
# Usage: scripts/vendor_frontend.sh [htmx version spec, default "2"] [leaflet spec, default "1.9"]
#        [echarts spec, default "6"] [frappe-gantt spec, default "1.2"]
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

ECHARTS_SPEC="${3:-6}"
case "$ECHARTS_SPEC" in
  6|6.*) ;;
  *) echo "cityhall uses ECharts 6.x; refusing '$ECHARTS_SPEC'" >&2; exit 2 ;;
esac

GANTT_SPEC="${4:-1.2}"
case "$GANTT_SPEC" in
  1.2|1.2.*) ;;
  *) echo "cityhall uses frappe-gantt 1.2.x; refusing '$GANTT_SPEC'" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/cityhall/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# vendor SRC DEST: copy a package's file to $VENDOR/DEST without its source-map comment; a
# changed file is recorded in MODIFIED ("DEST<TAB>upstream sha256"), for VENDORED.json.
MODIFIED=""
vendor() {
  local src="$1" dest="$VENDOR/$2"
  mkdir -p "$(dirname "$dest")"
  cp "$src" "$dest"
  case "$dest" in
    *.js | *.css)
      sed -i -E -e '\#^//[#@] sourceMappingURL=\S+\s*$#d' \
        -e '\#^/\*[#@] sourceMappingURL=\S+\s*\*/\s*$#d' "$dest"
      if ! cmp -s "$src" "$dest"; then
        MODIFIED+="$2	$(sha256sum "$src" | cut -d' ' -f1)"$'\n'
      fi
      ;;
  esac
}

# files_json DIR: the "files" entries (path: sha256) of a vendored folder, licence excluded.
files_json() {
  (cd "$VENDOR" && find "$1" -type f ! -name LICENSE | LC_ALL=C sort | while read -r f; do
    printf '      "%s": "%s",\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done | sed '$ s/,$//')
}

# modified_json DIR: the "modified" object of a vendored folder (what differs from upstream).
modified_json() {
  local entries
  entries="$(printf '%s' "$MODIFIED" | while IFS=$'\t' read -r f sha; do
    case "$f" in "$1"/*)
      printf '      "%s": "source-map comment removed; upstream sha256 %s",\n' "$f" "$sha" ;;
    esac
  done | sed '$ s/,$//')"
  if [ -z "$entries" ]; then printf '{}'; else printf '{\n%s\n    }' "$entries"; fi
}

cd "$WORK"
TARBALL="$(npm pack --silent "htmx.org@${HTMX_SPEC}" | tail -n 1)"
tar -xzf "$TARBALL"

VERSION="$(node -p "require('./package/package.json').version")"
LICENSE_NAME="$(node -p "require('./package/package.json').license")"
case "$VERSION" in
  2.*) ;;
  *) echo "npm resolved htmx.org@${HTMX_SPEC} to ${VERSION}, not 2.x" >&2; exit 1 ;;
esac

rm -rf "$VENDOR/htmx"
vendor package/dist/htmx.min.js htmx/htmx.min.js
vendor package/LICENSE htmx/LICENSE
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
vendor package/dist/leaflet.js leaflet/leaflet.js
vendor package/dist/leaflet.css leaflet/leaflet.css
for png in package/dist/images/*.png; do vendor "$png" "leaflet/images/$(basename "$png")"; done
vendor package/LICENSE leaflet/LICENSE
L_TARBALL_SHA="$(sha256sum "$L_TARBALL" | cut -d' ' -f1)"

# ECharts draws the public statistics from the page's own data; nothing is fetched.
rm -rf package
E_TARBALL="$(npm pack --silent "echarts@${ECHARTS_SPEC}" | tail -n 1)"
tar -xzf "$E_TARBALL"
E_VERSION="$(node -p "require('./package/package.json').version")"
E_LICENSE="$(node -p "require('./package/package.json').license")"
case "$E_VERSION" in
  6.*) ;;
  *) echo "npm resolved echarts@${ECHARTS_SPEC} to ${E_VERSION}, not 6.x" >&2; exit 1 ;;
esac
rm -rf "$VENDOR/echarts"
vendor package/dist/echarts.common.min.js echarts/echarts.common.min.js
vendor package/LICENSE echarts/LICENSE
vendor package/NOTICE echarts/NOTICE
E_TARBALL_SHA="$(sha256sum "$E_TARBALL" | cut -d' ' -f1)"
rm -rf package

# frappe-gantt draws the plans' Gantt charts (SVG) from the page's own data; nothing is fetched.
G_TARBALL="$(npm pack --silent "frappe-gantt@${GANTT_SPEC}" | tail -n 1)"
tar -xzf "$G_TARBALL"
G_VERSION="$(node -p "require('./package/package.json').version")"
G_LICENSE="$(node -p "require('./package/package.json').license")"
case "$G_VERSION" in
  1.2.*) ;;
  *) echo "npm resolved frappe-gantt@${GANTT_SPEC} to ${G_VERSION}, not 1.2.x" >&2; exit 1 ;;
esac
rm -rf "$VENDOR/frappe-gantt"
vendor package/dist/frappe-gantt.umd.js frappe-gantt/frappe-gantt.umd.js
vendor package/dist/frappe-gantt.css frappe-gantt/frappe-gantt.css
vendor package/license.txt frappe-gantt/LICENSE
G_TARBALL_SHA="$(sha256sum "$G_TARBALL" | cut -d' ' -f1)"
rm -rf package

# Every reference left in a vendored file (CSS url() and @import, any source map) must name a
# vendored file, as Django's manifest storage will require.
node - "$VENDOR" <<'NODE'
const fs = require("fs"), path = require("path");
const root = process.argv[2];
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
const sourceMap = /sourceMappingURL=([^\s*]+)/g;
const patterns = {
  ".css": [/url\(\s*["']?([^"')]+?)["']?\s*\)/g, /@import\s+["']([^"']+)["']/g, sourceMap],
  ".js": [sourceMap],
};
let missing = 0;
for (const file of walk(root)) {
  const text = fs.readFileSync(file, "utf8");
  for (const re of patterns[path.extname(file)] || []) {
    for (const [, ref] of text.matchAll(re)) {
      // Django leaves absolute, protocol-relative, data: and fragment-only URLs alone.
      if (/^([a-z]+:|\/\/|#)/i.test(ref)) continue;
      if (!fs.existsSync(path.resolve(path.dirname(file), ref.split(/[?#]/)[0]))) {
        console.error(`${path.relative(root, file)} references ${ref}, which is not vendored`);
        missing += 1;
      }
    }
  }
}
process.exit(missing ? 1 : 0);
NODE

cat > "$VENDOR/VENDORED.json" <<JSON
{
  "htmx.org": {
    "version": "${VERSION}",
    "license": "${LICENSE_NAME}",
    "license_file": "htmx/LICENSE",
    "source": "npm pack htmx.org@${VERSION}",
    "npm_tarball_sha256": "${TARBALL_SHA}",
    "modified": $(modified_json htmx),
    "files": {
$(files_json htmx)
    }
  },
  "leaflet": {
    "version": "${L_VERSION}",
    "license": "${L_LICENSE}",
    "license_file": "leaflet/LICENSE",
    "source": "npm pack leaflet@${L_VERSION}",
    "npm_tarball_sha256": "${L_TARBALL_SHA}",
    "modified": $(modified_json leaflet),
    "files": {
$(files_json leaflet)
    }
  },
  "echarts": {
    "version": "${E_VERSION}",
    "license": "${E_LICENSE}",
    "license_file": "echarts/LICENSE",
    "source": "npm pack echarts@${E_VERSION}",
    "npm_tarball_sha256": "${E_TARBALL_SHA}",
    "modified": $(modified_json echarts),
    "files": {
$(files_json echarts)
    }
  },
  "frappe-gantt": {
    "version": "${G_VERSION}",
    "license": "${G_LICENSE}",
    "license_file": "frappe-gantt/LICENSE",
    "source": "npm pack frappe-gantt@${G_VERSION}",
    "npm_tarball_sha256": "${G_TARBALL_SHA}",
    "modified": $(modified_json frappe-gantt),
    "files": {
$(files_json frappe-gantt)
    }
  }
}
JSON
python3 -m json.tool "$VENDOR/VENDORED.json" >/dev/null
echo "vendored htmx.org ${VERSION} (${LICENSE_NAME}), leaflet ${L_VERSION} (${L_LICENSE}), echarts ${E_VERSION} (${E_LICENSE}) and frappe-gantt ${G_VERSION} (${G_LICENSE})"
printf '%s' "$MODIFIED" | while IFS=$'\t' read -r f _; do echo "  removed the source-map comment of $f"; done
