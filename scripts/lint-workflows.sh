#!/usr/bin/env bash
# lint-workflows.sh — YAML lint of every tracked *.yml/*.yaml, and actionlint plus shellcheck of the
# run: steps of every workflow in .github/workflows/ (scripts/lint-workflows.ts says how), offline.
# Usage: scripts/lint-workflows.sh [--yaml-only] [FILE...]
#   --yaml-only  YAML lint only (no actionlint, no shellcheck)
#   FILE...      lint these files (as workflows, unless --yaml-only) instead of the tracked ones
# Its shellcheck is the one on PATH, else Debian's package, installed (root or passwordless sudo). When it
# cannot be had, run: steps are NOT shell-checked and this says so loudly on stderr;
# KFM_REQUIRE_SHELLCHECK=1 makes that a failure (exit 2).
# Exit: 0 clean, 1 problems (one line each on stdout: file:line:col: [kind] message), 2 usage or
# a linter that could not run. Changes no file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
yaml_only=0
for a in "$@"; do
  case "$a" in
    --help | -h) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --yaml-only) yaml_only=1 ;;
  esac
done
log() { echo "lint-workflows.sh: $*" >&2; }

ensure_shellcheck() {
  command -v shellcheck >/dev/null && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || return 1
    sudo="sudo -n"
  fi
  log "installing shellcheck (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 ||
    { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq --no-install-recommends shellcheck >&2; } || return 1
  command -v shellcheck >/dev/null
}

sc_args=(--no-shellcheck)
if [ "$yaml_only" = 0 ]; then
  if ensure_shellcheck; then
    sc_args=(--shellcheck "$(command -v shellcheck)")
  else
    log "WARNING: shellcheck is not installed and could not be installed: run: steps are NOT shell-checked"
    log "WARNING: install it (apt-get install shellcheck) or set KFM_REQUIRE_SHELLCHECK=1 to fail here"
    [ "${KFM_REQUIRE_SHELLCHECK:-0}" = 1 ] && { log "KFM_REQUIRE_SHELLCHECK=1: failing"; exit 2; }
  fi
fi
exec node "$root/node_modules/tsx/dist/cli.mjs" "$root/scripts/lint-workflows.ts" "${sc_args[@]}" "$@"
