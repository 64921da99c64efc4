#!/usr/bin/env bash
# npm run bench — runs every benchmark in scripts/bench/ (speed and memory goals live here,
# never in timed tests). Each prints JSON lines plus a human summary. Usage: scripts/bench.sh [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --help ]; then sed -n '2,3p' "$0"; exit 0; fi
npm run --silent build
names=("$@")
if [ ${#names[@]} -eq 0 ]; then for f in scripts/bench/*.ts; do names+=("$(basename "$f" .ts)"); done; fi
for n in "${names[@]}"; do
  echo "== bench: $n" >&2
  node node_modules/tsx/dist/cli.mjs "scripts/bench/$n.ts"
done
