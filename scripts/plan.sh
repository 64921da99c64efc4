#!/usr/bin/env bash
# plan.sh — synth + terraform init + plan for one AWS stack; writes plans/ENV.tfplan and
# plans/ENV.plan.json (`terraform show -json`, written atomically).
# Usage: scripts/plan.sh ENV [--rollback] [--no-synth]
#   ENV          dev | stage | prod | audit | bootstrap
#   --rollback   plan the tier's documented rollback (plan 21.03) instead of the tier itself:
#                  dev    destroy plan of every dev resource (force_destroy empties the bucket:
#                         zero residue; its logs stay in the audit stack by design)
#                  stage  destroy plan of the stage stack only (dev has its own state: untouched)
#                  prod   plan of the rollback variant (KFM_PROD_ROLLBACK=1): ingress disabled,
#                         compute torn down, data, keys and logs kept (prevent_destroy on them)
#                Output: plans/ENV.rollback.tfplan and plans/ENV.rollback.plan.json.
#   --no-synth   reuse the existing synth output (run scripts/synth.sh once for many plans; for
#                prod --rollback, the variant an earlier plan.sh prod --rollback synthesized)
# Environment: KFM_OFFLINE=1 (no network, no cloud account), KFM_SYNTH_DIR (default cdktf.out),
# KFM_PLANS_DIR (default plans/), KFM_STATE_STORE (s3://BUCKET/PREFIX, shared locked state; required
# in CI unless offline), else local state in $KFM_STATE_DIR/state/ENV.tfstate (KFM_STATE_DIR default .kfm).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_name= rollback=0 synth=1
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rollback) rollback=1; shift ;;
    --no-synth) synth=0; shift ;;
    dev | stage | prod | audit | bootstrap) [ -z "$env_name" ] || { echo "plan.sh: one ENV only" >&2; exit 2; }; env_name=$1; shift ;;
    *) echo "plan.sh: unknown argument '$1'; ENV is one of dev, stage, prod, audit, bootstrap (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$env_name" ] || { echo "plan.sh: ENV missing; one of dev, stage, prod, audit, bootstrap (see --help)" >&2; exit 2; }
if [ "$rollback" = 1 ] && { [ "$env_name" = audit ] || [ "$env_name" = bootstrap ]; }; then
  echo "plan.sh: $env_name has no rollback: audit is the append-only record rollbacks are judged by, bootstrap holds the state and roles" >&2
  exit 2
fi

# shellcheck source=lib/state-store.sh
. "$root/scripts/lib/state-store.sh"
kfm_state_store_required
# shellcheck source=lib/tf-env.sh
. "$root/scripts/lib/tf-env.sh"
state_dir=${KFM_STATE_DIR:-$root/.kfm}
synth_dir=${KFM_SYNTH_DIR:-$root/cdktf.out}
plans_dir=${KFM_PLANS_DIR:-$root/plans}
name=$env_name destroy=()
if [ "$rollback" = 1 ]; then
  name=$env_name.rollback
  if [ "$env_name" = prod ]; then
    # The variant is synthesized apart so the normal synth output is never replaced by it;
    # --no-synth reuses the variant synthesized there before, never the normal output.
    synth_dir=$state_dir/synth-prod-rollback
    export KFM_PROD_ROLLBACK=1
  else
    destroy=(-destroy)
  fi
fi
if [ "$synth" = 1 ]; then
  bash "$root/scripts/synth.sh" --out "$synth_dir"
fi
stack=$synth_dir/stacks/$env_name
[ -f "$stack/cdk.tf.json" ] || { echo "plan.sh: $stack/cdk.tf.json missing; drop --no-synth$([ "$name" = prod.rollback ] || echo ' or run scripts/synth.sh')" >&2; exit 1; }

mkdir -p "$plans_dir"
plans_dir=$(cd "$plans_dir" && pwd)
KFM_STATE_DIR=$state_dir kfm_state_init "$stack" "$env_name"
plan=$plans_dir/$name.tfplan
# The mark only this plan carries: an apply of any other plan is refused (constructs/governed-apply.ts).
# Through the environment: a stack that does not declare the variable ignores it.
TF_VAR_kfm_governed_plan=scripts/plan.sh \
  terraform -chdir="$stack" plan -input=false -no-color -lock-timeout=60s "${destroy[@]}" -out="$plan.tmp" >&2
mv -f "$plan.tmp" "$plan"
terraform -chdir="$stack" show -json "$plan" > "$plans_dir/$name.plan.json.tmp"
mv -f "$plans_dir/$name.plan.json.tmp" "$plans_dir/$name.plan.json"
echo "$plans_dir/$name.plan.json"
