#!/usr/bin/env bash
# apply.sh — apply exactly the approved plan of one tier, and always record what happened.
# Usage: scripts/apply.sh ENV [--rollback] [--plan-file FILE]
#   ENV          dev | stage | prod | audit | bootstrap (audit, bootstrap: approved like prod)
#   --rollback   apply the tier's approved rollback plan (scripts/plan.sh ENV --rollback):
#                plans/ENV.rollback.tfplan; docs/runbooks/rollback.md
#   --plan-file  the binary plan (default: plans/ENV.tfplan, or plans/ENV.rollback.tfplan)
# 1. `kfm gate apply`: the plan file's sha256 must be a subject of the newest trusted ENV plan
#    receipt for the commit in the audit ledger (passing policy with the pinned bundle), and for
#    stage/prod the promotion gate into ENV must hold (audit/bootstrap: an independent approval).
#    Otherwise: refuse (exit 1), nothing applied.
# 2. `terraform apply -json PLAN` (the saved plan: Terraform itself refuses a stale one).
# 3. `kfm receipt apply` + `kfm audit append`, EVEN WHEN THE APPLY FAILED.
# Exit: terraform's exit status (0 applied); 1 refused or failed; 2 usage.
# Environment: see scripts/lib/kfm-env.sh (KFM_KEY, KFM_PUB, KFM_AUDIT_STORE, KFM_COMMIT), KFM_OFFLINE=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_name= plan_file= rollback=0
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rollback) rollback=1; shift ;;
    --plan-file) [ $# -ge 2 ] || { echo "apply.sh: --plan-file needs a path" >&2; exit 2; }; plan_file=$2; shift 2 ;;
    -*) echo "apply.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -z "$env_name" ] || { echo "apply.sh: one ENV only" >&2; exit 2; }; env_name=$1; shift ;;
  esac
done
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
kfm_tier_setup "$env_name" shared
name=$env_name
if [ "$rollback" = 1 ]; then
  case "$env_name" in audit | bootstrap) kfm_die "$env_name has no rollback (scripts/plan.sh --help)" 2 ;; esac
  name=$env_name.rollback
  # The prod rollback variant is synthesized apart (scripts/plan.sh): apply it from there.
  [ "$env_name" = prod ] && KFM_SYNTH_DIR=$KFM_STATE_DIR/synth-prod-rollback
fi
plan_file=${plan_file:-$KFM_PLANS_DIR/$name.tfplan}
[ -f "$plan_file" ] || kfm_die "$plan_file not found; run scripts/plan.sh $env_name$([ "$rollback" = 1 ] && echo ' --rollback') first" 2
mapfile -t pubs < <(kfm_pub_args)
mapfile -t trust < <(kfm_gate_trust_args)
mapfile -t identities < <(kfm_identity_args)
mapfile -t approvers < <(kfm_approver_args)
mapfile -t checkpoints < <(kfm_checkpoint_args)
mapfile -t witnesses < <(kfm_witness_args gate) # with witnesses: only what a quorum cosigned, asked at decision time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Gate, apply and receipt one private copy, so the file cannot change between check and apply.
approved=$work/$(basename "$plan_file")
cp "$plan_file" "$approved"
if ! kfm gate apply --env "$env_name" --plan-file "$approved" --store "$KFM_AUDIT_STORE" "${trust[@]}" "${approvers[@]}" \
  "${checkpoints[@]}" "${witnesses[@]}" --commit "$KFM_COMMIT" --json > "$work/gate.json"; then
  kfm_die "refusing to apply $plan_file: it is not the approved, receipted $env_name plan (see the BLOCKED lines above)" 1
fi
seq=$(jq -r '.plan_receipt.seq' "$work/gate.json")
kfm audit get --store "$KFM_AUDIT_STORE" --seq "$seq" > "$work/plan-receipt.json"

kfm_tf_init "$env_name"
stream=$KFM_PLANS_DIR/$name.apply.jsonl
set +e
terraform -chdir="$KFM_SYNTH_DIR/stacks/$env_name" apply -json -input=false -lock-timeout=60s "$approved" > "$stream.tmp"
tf_rc=$?
set -e
mv -f "$stream.tmp" "$stream"

out=$(kfm_receipt_path "$env_name" apply "$stream")
kfm receipt apply "$stream" --plan-receipt "$work/plan-receipt.json" --plan-file "$approved" \
  --env "$env_name" --key "$KFM_KEY" "${pubs[@]}" "${identities[@]}" --out "$out" --commit "$KFM_COMMIT" --json >&2
kfm_append_record "$out"
bash "$root/scripts/cosign.sh" # a witnessed checkpoint right after the append
if [ "$tf_rc" -ne 0 ]; then
  echo "apply.sh: terraform apply failed (exit $tf_rc); the failure is recorded in $out and the ledger" >&2
  exit 1
fi
