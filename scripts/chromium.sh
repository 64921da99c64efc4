#!/usr/bin/env bash
# chromium.sh — make sure Debian's headless-capable Chromium is installed; print its path.
# Usage: scripts/chromium.sh [--help]
#   Installs the `chromium` package with apt-get when it is missing (needs root or sudo), the way
#   scripts/s3-local.sh installs radosgw. Says loudly on stderr, and exits 1, when it cannot.
# Output: the path of the chromium binary on stdout (e.g. /usr/bin/chromium).
# Used by the browser test of `kfm report` and by scripts/report-screenshot.sh.
set -euo pipefail
case "${1:-}" in --help | -h) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "chromium.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;; esac
find_chromium() { command -v chromium || command -v chromium-browser || true; }
bin=$(find_chromium)
if [ -z "$bin" ]; then
  echo "chromium.sh: chromium is not installed; installing Debian's chromium package" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium; } >&2 || true
  bin=$(find_chromium)
fi
if [ -z "$bin" ]; then
  echo "chromium.sh: CANNOT INSTALL CHROMIUM (apt-get failed or no root/sudo): the browser test of kfm report cannot run" >&2
  exit 1
fi
echo "$bin"
