#!/usr/bin/env bash
# cmark-gfm.sh — make sure Debian's cmark-gfm (GitHub's fork of cmark) is installed; print its path.
# Usage: scripts/cmark-gfm.sh [--help]
#   Installs the `cmark-gfm` package with apt-get when it is missing (needs root or sudo).
#   Says loudly on stderr, and exits 1, when it cannot.
# Output: the path of the cmark-gfm binary on stdout. Used by the browser test of the PR comment.
set -euo pipefail
case "${1:-}" in --help | -h) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "cmark-gfm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;; esac
# shellcheck source=lib/debian-tool.sh
source "$(dirname "$0")/lib/debian-tool.sh"
ensure_debian_tool cmark-gfm cmark-gfm "the browser test of the PR comment"
