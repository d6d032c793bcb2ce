#!/usr/bin/env bash
# Refresh the vendored front-end files from their npm registry packages (never a CDN).
# Versions are pinned here; the files are committed under static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX=2.0.11
CHARTJS=4.6.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@$HTMX" "chart.js@$CHARTJS" >/dev/null)
for pkg in "$tmp"/*.tgz; do mkdir -p "${pkg%.tgz}" && tar xzf "$pkg" -C "${pkg%.tgz}"; done
rm -f static/vendor/htmx-*.min.js static/vendor/chart-*.umd.min.js
cp "$tmp/htmx.org-$HTMX/package/dist/htmx.min.js" "static/vendor/htmx-$HTMX.min.js"
cp "$tmp/htmx.org-$HTMX/package/LICENSE" static/vendor/htmx-LICENSE.txt
cp "$tmp/chart.js-$CHARTJS/package/dist/chart.umd.min.js" "static/vendor/chart-$CHARTJS.umd.min.js"
cp "$tmp/chart.js-$CHARTJS/package/LICENSE.md" static/vendor/chartjs-LICENSE.md
echo "vendored htmx.org@$HTMX and chart.js@$CHARTJS into static/vendor/"
