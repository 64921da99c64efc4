#!/usr/bin/env bash
# validate.sh — synth once, then terraform init (no backend) + validate for each AWS stack.
# Usage: scripts/validate.sh [--no-synth] [ENV...]     ENV: dev stage prod audit bootstrap (default: all)
#   --no-synth   reuse the existing synth output in $KFM_SYNTH_DIR (default cdktf.out)
# Works offline with KFM_OFFLINE=1 (providers from the local mirror, see scripts/lib/tf-env.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
synth=1 envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --no-synth) synth=0; shift ;;
    dev | stage | prod | audit | bootstrap) envs+=("$1"); shift ;;
    *) echo "validate.sh: unknown argument '$1'; ENV is one of dev, stage, prod, audit (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#envs[@]} -gt 0 ] || envs=(dev stage prod audit bootstrap)
# shellcheck source=lib/tf-env.sh
. "$root/scripts/lib/tf-env.sh"
synth_dir=${KFM_SYNTH_DIR:-$root/cdktf.out}
[ "$synth" = 0 ] || bash "$root/scripts/synth.sh" --out "$synth_dir"
for e in "${envs[@]}"; do
  stack=$synth_dir/stacks/$e
  [ -f "$stack/cdk.tf.json" ] || { echo "validate.sh: $stack/cdk.tf.json missing" >&2; exit 1; }
  terraform -chdir="$stack" init -input=false -no-color -backend=false >&2
  terraform -chdir="$stack" validate -no-color >&2
  echo "validate.sh: $e ok"
done
