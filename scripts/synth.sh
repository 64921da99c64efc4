#!/usr/bin/env bash
# synth.sh — synthesize every stack (dev, stage, prod, audit, k8s-*) once, deterministically.
# Usage: scripts/synth.sh [--out DIR]
#   --out DIR   output directory (default: $KFM_SYNTH_DIR, else <repo>/cdktf.out)
# Runs the app directly (node + tsx main.ts with CDKTF_OUTDIR): the same output as `cdktf synth`
# without the CLI's start-up cost. Honors KFM_OFFLINE=1 (provider skip_* flags) and
# KFM_PROD_ROLLBACK=1 (prod rollback variant). Writes only under the output directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${KFM_SYNTH_DIR:-$root/cdktf.out}
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --out) [ $# -ge 2 ] || { echo "synth.sh: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
    *) echo "synth.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
CDKTF_OUTDIR="$out" node "$root/node_modules/tsx/dist/cli.mjs" "$root/main.ts"
for s in dev stage prod audit; do
  [ -f "$out/stacks/$s/cdk.tf.json" ] || { echo "synth.sh: $out/stacks/$s/cdk.tf.json was not written" >&2; exit 1; }
done
