#!/usr/bin/env bash
# report-screenshot.sh — a PNG of the `kfm report` page, for the README.
# Usage: scripts/report-screenshot.sh [REPORT_HTML] [OUT_PNG] [WIDTHxHEIGHT]
#   REPORT_HTML  default .kfm/report.html (written by `npm start`)
#   OUT_PNG      default docs/report.png
#   WIDTHxHEIGHT default 1280x1600: the window, and so the picture
#   Headless Chromium (scripts/chromium.sh installs it), fresh profile, no network.
set -euo pipefail
case "${1:-}" in --help | -h) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
html=$(realpath "${1:-$root/.kfm/report.html}")
out=$(realpath -m "${2:-$root/docs/report.png}")
size=${3:-1280x1600}
[[ $size =~ ^[0-9]{3,4}x[0-9]{3,5}$ ]] || { echo "report-screenshot.sh: WIDTHxHEIGHT must look like 1024x768, not '$size'" >&2; exit 2; }
[ -f "$html" ] || { echo "report-screenshot.sh: $html not found (run npm start first)" >&2; exit 2; }
bin=$(bash "$root/scripts/chromium.sh")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$bin" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars --window-size=${size/x/,} \
  --screenshot="$out" "file://$html" > /dev/null 2>&1
[ -s "$out" ] || { echo "report-screenshot.sh: chromium wrote no screenshot" >&2; exit 1; }
echo "report-screenshot.sh: $out" >&2
