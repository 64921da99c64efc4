#!/usr/bin/env bash
# main.sh — `npm start`: the governed PR flow on the embedded default, offline.
# Usage: scripts/main.sh [--help]
#   synth (every stack) → policy on synth → plan dev, stage, prod (KFM_OFFLINE=1) → policy on
#   each plan → signed plan receipts (a local key is created in .kfm/keys/ if none) → append to
#   the local ledger .kfm/audit → two local witnesses cosign a checkpoint → verify the ledger
#   with a quorum of 2 → gate verdicts → PR-comment markdown.
# Output: the PR comment on stdout (also .kfm/pr-comment.md); progress on stderr.
# Exit: 0 when every step ran and every policy check passed; non-zero otherwise. Gate verdicts
# are informational here (no tier is applied offline, so promotion is correctly blocked).
# Environment: KFM_OFFLINE (default 1 here), KFM_AUDIT_STORE (default .kfm/audit), see
# scripts/lib/kfm-env.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in --help | -h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "main.sh: unknown argument '$1'" >&2; exit 2 ;; esac
export KFM_OFFLINE=${KFM_OFFLINE:-1}
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
kfm_require_commit
cd "$root"
step() { printf '\n== %s\n' "$*" >&2; }
[ -f dist/receipts/cli.js ] || npm run --silent build >&2

step "synth (every stack, deterministic)"
bash scripts/synth.sh --out "$KFM_SYNTH_DIR" >&2

policy_failed=0
step "policy on the synthesized JSON"
for s in dev stage prod audit; do
  envflag=(--env "$s"); [ "$s" = audit ] && envflag=() # the audit stack serves every tier
  if kfm policy check --synth "$KFM_SYNTH_DIR/stacks/$s/cdk.tf.json" "${envflag[@]}" >&2; then :; else policy_failed=1; fi
done

step "key"
if [ ! -f "$KFM_KEY" ]; then
  kfm keygen --out-dir "$(dirname "$KFM_KEY")" >&2
fi

receipts=()
for env in dev stage prod; do
  step "plan $env (offline: $KFM_OFFLINE)"
  bash scripts/plan.sh "$env" --no-synth >&2
  set +e
  kfm policy check --plan "$KFM_PLANS_DIR/$env.plan.json" --env "$env" --json > "$KFM_PLANS_DIR/$env.policy.json"
  rc=$?
  set -e
  [ "$rc" -le 1 ] || kfm_die "policy check of $env plan could not run (exit $rc)" "$rc"
  [ "$rc" -eq 0 ] || policy_failed=1
  echo "policy $env: $(jq -r '.verdict + " (" + (.findings | length | tostring) + " findings, bundle " + .bundle.digest + ")"' "$KFM_PLANS_DIR/$env.policy.json")" >&2
  out=$(kfm_receipt_path "$env" plan "$KFM_PLANS_DIR/$env.tfplan")
  kfm receipt plan "$KFM_PLANS_DIR/$env.plan.json" --env "$env" --key "$KFM_KEY" --out "$out" \
    --plan-file "$KFM_PLANS_DIR/$env.tfplan" --policy "$KFM_PLANS_DIR/$env.policy.json" \
    --commit "$KFM_COMMIT" --actor "${GITHUB_ACTOR:-${USER:-$(id -un)}}" --method manual --json >&2
  receipts+=("$out")
done

step "append to the audit ledger $KFM_AUDIT_STORE"
kfm audit append "${receipts[@]}" --store "$KFM_AUDIT_STORE" >&2

step "two local witnesses cosign a checkpoint (quorum 2; in CI they are independent services)"
# shellcheck source=lib/local-witnesses.sh
. "$root/scripts/lib/local-witnesses.sh"
kfm_local_witnesses w1 w2
KFM_WITNESS_QUORUM=2 bash scripts/cosign.sh

step "verify the ledger"
mapfile -t pubs < <(kfm_pub_args)
mapfile -t allpubs < <(kfm_all_pub_args)
mapfile -t approvers < <(kfm_approver_args)
mapfile -t witnesses < <(KFM_WITNESS_QUORUM=2 kfm_witness_args verify)
kfm audit verify --store "$KFM_AUDIT_STORE" "${allpubs[@]}" "${witnesses[@]}" >&2
kfm_stop_local_witnesses

step "gate verdicts for commit $KFM_COMMIT (informational: nothing is applied offline)"
for to in stage prod; do
  if kfm gate promote --to "$to" --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${approvers[@]}" --commit "$KFM_COMMIT" > /dev/null 2> "$KFM_STATE_DIR/gate-$to.txt"; then
    echo "promote to $to: ALLOWED" >&2
  else
    echo "promote to $to: BLOCKED" >&2
    sed 's/^/  /' "$KFM_STATE_DIR/gate-$to.txt" >&2
  fi
done

step "PR comment"
comment=$KFM_STATE_DIR/pr-comment.md
{
  echo "<!-- kfm-plan-receipt -->"
  for r in "${receipts[@]}"; do
    kfm receipt show "$r" "${pubs[@]:0:2}" --format markdown --max-chars 21000
    echo
  done
} > "$comment.tmp"
mv -f "$comment.tmp" "$comment"
cat "$comment"
if [ "$policy_failed" = 1 ]; then
  echo "main.sh: a policy check failed (see above); receipts record the verdicts" >&2
  exit 1
fi
