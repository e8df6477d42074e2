#!/usr/bin/env bash
# Renders the bundled scenarios and screenshots each report.html and the index with headless
# Chromium, so a person can look at what a lecturer would see. Not run in CI.
#
#   apt-get install chromium      # once
#   scripts/screenshot-reports.sh [OUT]   # default OUT: /tmp/archsim-screens
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/archsim-screens}"
mkdir -p "$out"
cargo run --release -q -- run scenarios/ --out "$out/results" --quiet
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
shot() {
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --hide-scrollbars --window-size=1400,"$3" \
    --screenshot="$2" "file://$1" 2>/dev/null
}
shot "$out/results/index.html" "$out/index.png" 2400
for dir in "$out"/results/*/; do
  name=$(basename "$dir")
  shot "$dir/report.html" "$out/$name.png" 4200
  echo "$out/$name.png"
done
echo "$out/index.png"
