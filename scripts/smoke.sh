#!/usr/bin/env bash
# smoke.sh — post-deploy validation of one tier (plan 21.03 "Validation"), as a signed record.
# Usage: scripts/smoke.sh ENV
#   ENV   dev | stage | prod
# Checks, each recorded as NAME=pass|fail in a `kfm record smoke` validation record that is
# appended to the audit ledger, bound to the newest ENV apply receipt (the promotion gate
# requires a passing one bound to the newest apply):
#   deployed          the tier's Terraform state holds resources
#   logging           flow logs and bucket access logging are in the state (prod: CloudTrail too)
#   access-restricted every bucket has all four public access blocks on; no security group
#                     ingress rule is open to 0.0.0.0/0 or ::/0
#   health            GET $KFM_HEALTH_URL answers 2xx (only when KFM_HEALTH_URL is set)
# Exit: 0 all passed; 1 a check failed (still recorded); 2 usage; 3 the ledger does not verify as
# the gates read it (nothing recorded). Reads state only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_name=
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "smoke.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -z "$env_name" ] || { echo "smoke.sh: one ENV only" >&2; exit 2; }; env_name=$1; shift ;;
  esac
done
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
kfm_tier_setup "$env_name"
kfm_tf_init "$env_name"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
terraform -chdir="$KFM_SYNTH_DIR/stacks/$env_name" show -json > "$work/state.json"

# All resources of the state, flattened over modules.
res='[.values.root_module | .. | objects | select(has("resources")) | .resources[]?]'
check() { if jq -e "$2" "$work/state.json" > /dev/null; then echo "$1=pass"; else echo "$1=fail"; fi; }
checks=()
checks+=("$(check deployed "$res | length > 0")")
if [ "$env_name" = prod ]; then
  checks+=("$(check logging "$res | (any(.type == \"aws_flow_log\") and any(.type == \"aws_s3_bucket_logging\") and any(.type == \"aws_cloudtrail\"))")")
else
  checks+=("$(check logging "$res | (any(.type == \"aws_flow_log\") and any(.type == \"aws_s3_bucket_logging\"))")")
fi
checks+=("$(check access-restricted "$res | (map(select(.type == \"aws_s3_bucket\")) | length) as \$b
  | (map(select(.type == \"aws_s3_bucket_public_access_block\" and .values.block_public_acls and .values.block_public_policy
       and .values.ignore_public_acls and .values.restrict_public_buckets)) | length) >= \$b and \$b > 0
  and ([.[] | select(.type == \"aws_security_group\") | .values.ingress[]? | (.cidr_blocks // []) + (.ipv6_cidr_blocks // []) | .[]
       | select(. == \"0.0.0.0/0\" or . == \"::/0\")] | length == 0)
  and ([.[] | select(.type == \"aws_vpc_security_group_ingress_rule\") | select(.values.cidr_ipv4 == \"0.0.0.0/0\" or .values.cidr_ipv6 == \"::/0\")] | length == 0)")")
if [ -n "${KFM_HEALTH_URL:-}" ]; then
  if curl -fsS -o /dev/null --max-time 10 "$KFM_HEALTH_URL"; then checks+=("health=pass"); else checks+=("health=fail"); fi
fi
args=()
for c in "${checks[@]}"; do args+=(--check "$c"); echo "smoke.sh: $env_name $c" >&2; done
out=$(kfm_receipt_path "$env_name" smoke "$work/state.json")
# A ledger the gates could not read stops here (its code), never "no apply receipt".
kfm_bind_newest_apply "$env_name" "$work/apply-receipt.json" smoke.sh "this record" > "$work/bind" || exit $?
mapfile -t bind < "$work/bind"
kfm record smoke --env "$env_name" "${args[@]}" "${bind[@]}" --subject "$work/state.json" --key "$KFM_KEY" --out "$out" --commit "$KFM_COMMIT" --json > "$work/record.json"
kfm_append_record "$out"
bash "$root/scripts/cosign.sh" # a witnessed checkpoint right after the append
[ "$(jq -r .status "$work/record.json")" = pass ] || { echo "smoke.sh: $env_name validation failed; recorded in $out" >&2; exit 1; }
