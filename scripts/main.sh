#!/usr/bin/env bash
# main.sh — `npm start`: the governed PR flow on the embedded default, offline.
# Usage: scripts/main.sh [--verbose] [--help]
#   synth (every stack) → policy on synth → plan dev, stage, prod (KFM_OFFLINE=1) → policy on
#   each plan → signed plan receipts (a local key is created in .kfm/keys/ if none) → append to
#   the local ledger .kfm/audit → two local witnesses cosign a checkpoint → verify the ledger
#   with a quorum of 2 → gate verdicts → PR-comment markdown → HTML evidence report.
# Output: one line per step with its duration, then a summary table (per env: adds, changes,
#   destroys, policy verdict, receipt digest; ledger size and root; gate verdicts). Each step's
#   full output is in .kfm/logs/; Terraform's plan text in plans/ENV.plan.txt; the PR comment in
#   .kfm/pr-comment.md; the report in .kfm/report.html. --verbose shows everything as it runs.
# Exit: 0 when every step ran and every policy check passed; non-zero otherwise. Gate verdicts
# are informational here (no tier is applied offline, so promotion is correctly blocked).
# Environment: KFM_OFFLINE (default 1 here), KFM_AUDIT_STORE (default .kfm/audit), see
# scripts/lib/kfm-env.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
verbose=0
case "${1:-}" in
  --help | -h) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --verbose | -v) verbose=1 ;;
  "") ;;
  *) echo "main.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
export KFM_OFFLINE=${KFM_OFFLINE:-1}
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
# shellcheck source=lib/shorten.sh
. "$root/scripts/lib/shorten.sh"
kfm_require_commit
cd "$root"
logs=$KFM_STATE_DIR/logs
mkdir -p "$logs" "$KFM_PLANS_DIR"
nstep=0 current= current_log= t0=0
line() { printf '%-4s %-44s %6.1f s\n' "$1" "$2" "$3" >&2; }
elapsed() { echo "$((($(date +%s%N) - t0) / 1000000))e-3"; }
# step NAME CMD...: run CMD in this shell (so what it sets, and witnesses it starts, stay) with
# errexit on and its output in $logs/NN-NAME.log (--verbose: on the terminal too); print one line
# with its duration. A failing step prints the end of its log and stops the run (on_exit).
step() {
  current=$1
  shift
  nstep=$((nstep + 1))
  current_log=$logs/$(printf '%02d' "$nstep")-${current//[^A-Za-z0-9]/-}.log
  t0=$(date +%s%N)
  exec 3>&1 4>&2
  if [ "$verbose" = 1 ]; then exec > >(tee "$current_log") 2>&1; else exec > "$current_log" 2>&1; fi
  "$@"
  exec 1>&3 2>&4 3>&- 4>&-
  line ok "$current" "$(elapsed)"
  current=
}
on_exit() {
  local rc=$?
  if [ -n "$current" ]; then
    exec 1>&3 2>&4
    line FAIL "$current" "$(elapsed)"
    tail -n 20 "$current_log" | sed 's/^/     | /' >&2
    echo "main.sh: step \"$current\" failed (exit $rc); full output: $current_log" >&2
  fi
  if declare -F kfm_stop_local_witnesses > /dev/null; then kfm_stop_local_witnesses; fi
  exit "$rc"
}
trap on_exit EXIT

build() { [ -f dist/receipts/cli.js ] || npm run --silent build; }
synth() { bash scripts/synth.sh --out "$KFM_SYNTH_DIR"; }

policy_failed=0
policy_synth() {
  local s envflag
  for s in dev stage prod audit; do
    envflag=(--env "$s"); [ "$s" = audit ] && envflag=() # the audit stack serves every tier
    if kfm policy check --synth "$KFM_SYNTH_DIR/stacks/$s/cdk.tf.json" "${envflag[@]}"; then :; else policy_failed=1; fi
  done
}

key() { [ -f "$KFM_KEY" ] || kfm keygen --out-dir "$(dirname "$KFM_KEY")"; }

receipts=()
# plan ENV: Terraform's own text goes to plans/ENV.plan.txt; policy verdict and receipt JSON to .kfm/.
plan() {
  local env=$1 rc out
  bash scripts/plan.sh "$env" --no-synth > "$KFM_PLANS_DIR/$env.plan.txt" 2>&1 || { rc=$?; tail -n 20 "$KFM_PLANS_DIR/$env.plan.txt"; return "$rc"; }
  set +e
  kfm policy check --plan "$KFM_PLANS_DIR/$env.plan.json" --env "$env" --json > "$KFM_PLANS_DIR/$env.policy.json"
  rc=$?
  set -e
  [ "$rc" -le 1 ] || { echo "policy check of $env plan could not run (exit $rc)"; return "$rc"; }
  [ "$rc" -eq 0 ] || policy_failed=1
  out=$(kfm_receipt_path "$env" plan "$KFM_PLANS_DIR/$env.tfplan")
  kfm receipt plan "$KFM_PLANS_DIR/$env.plan.json" --env "$env" --key "$KFM_KEY" --out "$out" \
    --plan-file "$KFM_PLANS_DIR/$env.tfplan" --policy "$KFM_PLANS_DIR/$env.policy.json" \
    --commit "$KFM_COMMIT" --actor "${GITHUB_ACTOR:-${USER:-$(id -un)}}" --method manual --json | tee "$KFM_STATE_DIR/$env.receipt.out.json"
  receipts+=("$out")
}

# The local ledger is created explicitly (an append to a missing store is refused); idempotent.
append() {
  kfm audit init --store "$KFM_AUDIT_STORE" > /dev/null
  local -a log_pubs
  mapfile -t log_pubs < <(kfm_log_pub_args)
  kfm audit append "${receipts[@]}" --store "$KFM_AUDIT_STORE" "${log_pubs[@]}"
}

witnesses() {
  # shellcheck source=lib/local-witnesses.sh
  . "$root/scripts/lib/local-witnesses.sh"
  kfm_local_witnesses w1 w2
  trap on_exit EXIT # it stops the witnesses too
  KFM_WITNESS_QUORUM=2 bash scripts/cosign.sh
}

verify() {
  mapfile -t allpubs < <(kfm_all_pub_args)
  mapfile -t witness_args < <(KFM_WITNESS_QUORUM=2 kfm_witness_args verify)
  kfm audit verify --store "$KFM_AUDIT_STORE" "${allpubs[@]}" "${witness_args[@]}" --json | tee "$KFM_STATE_DIR/verify.json"
  kfm_stop_local_witnesses
}

declare -A gate_verdict
gates() {
  local to
  mapfile -t pubs < <(kfm_pub_args)
  mapfile -t approvers < <(kfm_approver_args)
  for to in stage prod; do
    if kfm gate promote --to "$to" --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${approvers[@]}" --commit "$KFM_COMMIT" > /dev/null 2> "$KFM_STATE_DIR/gate-$to.txt"; then
      gate_verdict[$to]=ALLOWED
    else
      gate_verdict[$to]="BLOCKED: $({ grep -m1 '^gate: BLOCKED ' "$KFM_STATE_DIR/gate-$to.txt" || grep -m1 -v 'note:' "$KFM_STATE_DIR/gate-$to.txt" || true; } | sed 's/^kfm: [A-Z_]*: //; s/^gate: BLOCKED //' | kfm_shorten 110)"
    fi
    echo "promote to $to: ${gate_verdict[$to]}"
    cat "$KFM_STATE_DIR/gate-$to.txt"
  done
}

comment=$KFM_STATE_DIR/pr-comment.md
pr_comment() {
  local r env args=()
  for r in "${receipts[@]}"; do
    env=$(basename "$r" | cut -d. -f1)
    args+=(--receipt "$env=$r" --plan "$env=$KFM_PLANS_DIR/$env.plan.json" --synth "$env=$KFM_SYNTH_DIR/stacks/$env/cdk.tf.json")
  done
  kfm receipt comment "${args[@]}" "${pubs[@]:0:2}" --commit "$KFM_COMMIT" > "$comment.tmp"
  mv -f "$comment.tmp" "$comment"
  [ "$verbose" = 0 ] || cat "$comment"
}

report() {
  if kfm report --help > /dev/null 2>&1; then
    rm -f "$KFM_STATE_DIR/report.html"
    local wargs
    mapfile -t wargs < <(KFM_WITNESS_QUORUM=2 kfm_witness_args verify)
    kfm report --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${approvers[@]}" "${wargs[@]}" --commit "$KFM_COMMIT" \
      --synth "dev=$KFM_SYNTH_DIR/stacks/dev/cdk.tf.json" --synth "stage=$KFM_SYNTH_DIR/stacks/stage/cdk.tf.json" \
      --synth "prod=$KFM_SYNTH_DIR/stacks/prod/cdk.tf.json" --out "$KFM_STATE_DIR/report.html"
  fi
}

summary() {
  local env
  printf '\n%-6s %6s %8s %9s  %-7s %s\n' ENV ADD CHANGE DESTROY POLICY 'RECEIPT DIGEST'
  for env in dev stage prod; do
    jq -r --arg env "$env" --arg pol "$(jq -r .verdict "$KFM_PLANS_DIR/$env.policy.json")" \
      '[$env, .summary.add, .summary.change, .summary.remove, $pol, .digest] | @tsv' "$KFM_STATE_DIR/$env.receipt.out.json" |
      awk -F'\t' '{ printf "%-6s %6s %8s %9s  %-7s %s\n", $1, $2, $3, $4, $5, $6 }'
  done
  echo
  echo "ledger   $KFM_AUDIT_STORE: $(jq -r '"\(.size) entries, root \(.root), \(.checkpoints | length) checkpoint(s)"' "$KFM_STATE_DIR/verify.json")"
  echo "gates    stage: ${gate_verdict[stage]}"
  echo "         prod:  ${gate_verdict[prod]}"
  echo "outputs  plans/ENV.plan.txt (Terraform), $comment (PR comment), $KFM_STATE_DIR/report.html, logs in $logs/"
}

echo "kfm main flow for commit $KFM_COMMIT (offline: $KFM_OFFLINE)" >&2
step "build" build
step "synth (every stack)" synth
step "policy on synthesized JSON" policy_synth
step "signing key" key
for env in dev stage prod; do step "plan $env, policy, receipt" plan "$env"; done
step "append ${#receipts[@]} receipts to the ledger" append
step "two local witnesses cosign (quorum 2)" witnesses
step "verify the ledger" verify
step "gate verdicts (informational)" gates
step "PR comment" pr_comment
step "HTML evidence report" report
summary >&2
if [ "$policy_failed" = 1 ]; then
  echo "main.sh: a policy check failed (see $logs/); receipts record the verdicts" >&2
  exit 1
fi
