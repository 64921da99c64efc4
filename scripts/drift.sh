#!/usr/bin/env bash
# drift.sh — detect drift of one tier and record it (seed 000 "Drift report").
# Usage: scripts/drift.sh ENV [--no-synth]
#   ENV         dev | stage | prod
#   --no-synth  reuse the existing synth output
# Runs a refresh-only plan (`terraform plan -refresh-only`), turns it into a signed drift
# receipt (`kfm receipt drift --last-good COMMIT --apply-receipt NEWEST`, bound to the newest
# ENV apply receipt in the ledger) and appends it to the audit ledger.
# No state for ENV (none shared, none local) is a failure: drift cannot be judged without it.
# Exit: 0 no drift; 1 drift found (or failed checks, or no state), recorded; 2 usage; 3 the ledger
# does not verify as the gates read it (nothing recorded). Mutates no resource.
# Environment: see scripts/lib/kfm-env.sh (KFM_KEY, KFM_AUDIT_STORE, KFM_COMMIT), KFM_OFFLINE=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_name= synth=1
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --no-synth) synth=0; shift ;;
    -*) echo "drift.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -z "$env_name" ] || { echo "drift.sh: one ENV only" >&2; exit 2; }; env_name=$1; shift ;;
  esac
done
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
kfm_tier_setup "$env_name"
[ "$synth" = 1 ] && bash "$root/scripts/synth.sh" --out "$KFM_SYNTH_DIR" >&2
kfm_tf_init "$env_name"
kfm_state_require "$KFM_SYNTH_DIR/stacks/$env_name" "$env_name"
mkdir -p "$KFM_PLANS_DIR"
plan=$KFM_PLANS_DIR/$env_name.drift.tfplan
terraform -chdir="$KFM_SYNTH_DIR/stacks/$env_name" plan -refresh-only -input=false -no-color -lock-timeout=60s -out="$plan" >&2
terraform -chdir="$KFM_SYNTH_DIR/stacks/$env_name" show -json "$plan" > "$plan.json.tmp"
mv -f "$plan.json.tmp" "$KFM_PLANS_DIR/$env_name.drift.plan.json"
out=$(kfm_receipt_path "$env_name" drift "$KFM_PLANS_DIR/$env_name.drift.plan.json")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The gates count a drift report only for the apply it names: bind it to the newest one.
# A ledger the gates could not read stops here (its code), never "no apply receipt".
kfm_bind_newest_apply "$env_name" "$work/apply-receipt.json" drift.sh "this drift report" > "$work/bind" || exit $?
mapfile -t bind < "$work/bind"
kfm receipt drift "$KFM_PLANS_DIR/$env_name.drift.plan.json" --env "$env_name" --key "$KFM_KEY" --out "$out" \
  --last-good "$KFM_COMMIT" --commit "$KFM_COMMIT" "${bind[@]}" --json > "$out.summary"
kfm_append_record "$out"
bash "$root/scripts/cosign.sh" # a witnessed checkpoint right after the append
drifted=$(jq '.summary.drifted + .summary.checks_failed' "$out.summary")
rm -f "$out.summary"
if [ "$drifted" != 0 ]; then
  echo "drift.sh: $env_name drifted ($drifted resource change(s) or failed checks); see $out" >&2
  exit 1
fi
echo "drift.sh: $env_name has no drift" >&2
