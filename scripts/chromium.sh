#!/usr/bin/env bash
# chromium.sh — make sure Debian's headless-capable Chromium is installed; print its path.
# Usage: scripts/chromium.sh [--help]
#   Installs the `chromium` package with apt-get when it is missing (needs root or sudo), the way
#   scripts/s3-local.sh installs radosgw. Says loudly on stderr, and exits 1, when it cannot.
# Output: the path of the chromium binary on stdout (e.g. /usr/bin/chromium).
# Used by the browser test of `kfm report` and by scripts/report-screenshot.sh.
set -euo pipefail
case "${1:-}" in --help | -h) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "chromium.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;; esac
# shellcheck source=lib/debian-tool.sh
source "$(dirname "$0")/lib/debian-tool.sh"
if bin=$(command -v chromium-browser); then echo "$bin"; exit 0; fi
ensure_debian_tool chromium chromium "the browser test of kfm report"
