#!/usr/bin/env bash
# doctor.sh — the setup check: what this repository needs where it runs, one line per item.
# Usage: scripts/doctor.sh
# Prints `ok`, `MISSING` (with its fix) or `skipped` (with why) for each item:
#   tools       terraform 1.11.x, node >= 20, jq, the built kfm CLI (dist/)
#   state       KFM_STATE_STORE set (required in CI unless KFM_OFFLINE=1), reachable, and locking:
#               a second conditional write of a probe .tflock must be refused (kfm state lock-check)
#   ledger      KFM_AUDIT_STORE reachable (a directory or s3://BUCKET/PREFIX)
#   keys        the signing key (KFM_KEY), keys/kfm-ci.pub, approvers' keys/approvers/<login>.pub
#   witnesses   a public key per KFM_WITNESSES entry, quorum <= witnesses; online, each witness
#               asked the tree size it holds against the ledger's newest checkpoint (kfm audit witnesses)
#   github      environments, variables and secrets by name, branch protection on main (only with
#               GH_TOKEN and the gh CLI; otherwise skipped)
# Offline (KFM_OFFLINE=1) it checks the local parts and says what it skipped.
# Exit: 0 nothing missing; 1 something missing. Changes nothing.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  --help | -h) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "doctor.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
set +e
missing=0
ok() { printf 'ok       %s\n' "$1"; }
miss() { printf 'MISSING  %s: %s\n' "$1" "$2"; missing=1; }
skip() { printf 'skipped  %s: %s\n' "$1" "$2"; }
offline=${KFM_OFFLINE:-0}
tmp_err=$(mktemp)
trap 'rm -f "$tmp_err"' EXIT

# tools
v=$(terraform version -json 2> /dev/null | jq -r .terraform_version 2> /dev/null)
case "$v" in 1.11.*) ok "terraform $v" ;; "") miss terraform "install Terraform 1.11.4 (DEVELOPERS.md)" ;; *) miss "terraform $v" "use Terraform 1.11.4 (DEVELOPERS.md)" ;; esac
n=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null)
if [ "${n:-0}" -ge 20 ]; then ok "node $(node -v)"; else miss node "install Node.js 20 or newer"; fi
if command -v jq > /dev/null; then ok jq; else miss jq "install jq"; fi
if [ -f "$root/dist/receipts/cli.js" ]; then ok "kfm CLI (dist/)"; else miss "kfm CLI" "run npm ci (builds dist/)"; fi

# state
if [ -n "${KFM_STATE_STORE:-}" ]; then
  if [ "$offline" = 1 ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then
    skip "state store $KFM_STATE_STORE" "offline: reachability and locking not checked"
  elif [ ! -f "$root/dist/receipts/cli.js" ]; then
    skip "state store $KFM_STATE_STORE" "no kfm CLI to probe it (npm ci)"
  else
    lock=$(kfm state lock-check --store "$KFM_STATE_STORE" 2>&1)
    case $? in
      0) ok "state store $KFM_STATE_STORE (reachable; locks: a second conditional write of a probe .tflock was refused)" ;;
      1) miss "state store $KFM_STATE_STORE locking" "$lock; Terraform's use_lockfile needs a store that refuses it (AWS S3; on radosgw an unversioned bucket)" ;;
      *) miss "state store $KFM_STATE_STORE" "${lock#kfm: }; apply the bootstrap stack (docs/environments.md, First run) or fix the credentials" ;;
    esac
  fi
elif [ "$offline" = 1 ]; then
  skip "state store" "KFM_OFFLINE=1: local state in $KFM_STATE_DIR/state/"
else
  miss "state store" "set KFM_STATE_STORE=s3://BUCKET/PREFIX (the bootstrap stack's state_store output; docs/environments.md)"
fi

# ledger
ledger_ok=0
case "$KFM_AUDIT_STORE" in
  s3://*)
    if [ "$offline" = 1 ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then skip "ledger $KFM_AUDIT_STORE" "offline"
    elif kfm audit list --store "$KFM_AUDIT_STORE" --json > /dev/null 2>&1; then ok "ledger $KFM_AUDIT_STORE"; ledger_ok=1
    else miss "ledger $KFM_AUDIT_STORE" "not readable: apply the audit stack and set KFM_AUDIT_STORE from its receipts_bucket output"; fi ;;
  *)
    if [ -d "$KFM_AUDIT_STORE" ]; then ok "ledger $KFM_AUDIT_STORE (local)"; ledger_ok=1
    else skip "ledger $KFM_AUDIT_STORE" "no local ledger yet: kfm audit init --store $KFM_AUDIT_STORE creates it (npm start does)"; fi ;;
esac

# keys
if [ -f "$KFM_KEY" ]; then ok "signing key $KFM_KEY"; else miss "signing key $KFM_KEY" "node dist/receipts/cli.js keygen --out-dir $(dirname "$KFM_KEY") (CI: a key made per job, certified keyless)"; fi
if [ -f "$root/keys/kfm-ci.pub" ]; then ok "keys/kfm-ci.pub"; else miss "keys/kfm-ci.pub" "commit the CI key's public half by reviewed PR (docs/environments.md, Signing keys)"; fi
approvers=$(find "$KFM_APPROVERS_DIR" -maxdepth 1 -name '*.pub' 2> /dev/null | wc -l)
if [ "$approvers" -gt 0 ]; then ok "$approvers approver key(s) in $KFM_APPROVERS_DIR"; else miss "approvers' keys" "add keys/approvers/<login>.pub for each prod reviewer (docs/runbooks/apply.md)"; fi

# witnesses
if [ -z "${KFM_WITNESSES// /}" ]; then
  skip witnesses "KFM_WITNESSES is empty (CI requires them: docs/environments.md, Witnesses)"
else
  count=0 keys_ok=1
  for w in $KFM_WITNESSES; do
    count=$((count + 1)) name=${w%%=*}
    f=$KFM_WITNESS_KEYS_DIR/${name//\//_}.pub
    if [ -f "$f" ]; then ok "witness $name key"; else miss "witness $name" "add its public key as $f"; keys_ok=0; fi
  done
  if [ "$KFM_WITNESS_QUORUM" -le "$count" ]; then ok "witness quorum $KFM_WITNESS_QUORUM of $count"; else miss "witness quorum" "KFM_WITNESS_QUORUM=$KFM_WITNESS_QUORUM exceeds the $count witnesses"; fi
  mapfile -t logpubs < <(kfm_pub_args)
  if [ "$offline" = 1 ]; then skip "witnesses asked" "offline: reachability and tree sizes not checked"
  elif [ "$ledger_ok" != 1 ]; then skip "witnesses asked" "the ledger is not readable here: nothing to compare them with"
  elif [ "$keys_ok" != 1 ]; then skip "witnesses asked" "a witness key is missing (above)"
  elif [ ! -f "${logpubs[1]:-}" ]; then skip "witnesses asked" "no log key to read the ledger's checkpoints with: KFM_PUB (keys/kfm-ci.pub)"
  else
    mapfile -t wargs < <(kfm_witness_args submit)
    survey=$(kfm audit witnesses --store "$KFM_AUDIT_STORE" "${logpubs[@]}" "${wargs[@]}" \
      --witness-timeout "${KFM_WITNESS_TIMEOUT:-10}" --json 2> "$tmp_err")
    if [ -z "$survey" ]; then
      miss "witnesses asked" "$(head -c 300 "$tmp_err")"
    else
      sizes=$(jq -r 'if .checkpoint then "the ledger: \(.entries) entries, newest checkpoint tree size \(.checkpoint.size)" else "the ledger: \(.entries) entries, no checkpoint yet" end' <<< "$survey")
      while IFS=$'\t' read -r wname wstate wurl wanswer wfix; do
        case $wstate in
          current) ok "witness $wname at $wurl: $wanswer, the same tree as $sizes" ;;
          reachable) ok "witness $wname at $wurl: $wanswer" ;;
          *) miss "witness $wname at $wurl $wstate" "$wanswer ($sizes): $wfix" ;;
        esac
      done < <(jq -r '.witnesses[] | [.witness, .state, .url, .answer, (.fix // "")] | @tsv' <<< "$survey")
      current=$(jq '[.witnesses[] | select(.state == "current")] | length' <<< "$survey")
      if jq -e '.checkpoint' > /dev/null <<< "$survey"; then
        if [ "$current" -ge "$KFM_WITNESS_QUORUM" ]; then ok "witnesses consistent with the ledger: $current of $count hold its newest checkpoint (quorum $KFM_WITNESS_QUORUM)"
        else miss "witnesses consistent with the ledger" "only $current of $count hold its newest checkpoint, quorum $KFM_WITNESS_QUORUM: fix the witnesses above, then scripts/cosign.sh"; fi
      fi
    fi
  fi
fi

# github
if [ "$offline" = 1 ] || [ -z "${GH_TOKEN:-}" ] || ! command -v gh > /dev/null; then
  skip github "environments, variables, secrets and branch protection need GH_TOKEN and the gh CLI online"
else
  repo=${GITHUB_REPOSITORY:-$(gh repo view --json nameWithOwner --jq .nameWithOwner 2> /dev/null)}
  envs=$(gh api "repos/$repo/environments" --jq '.environments[].name' 2> /dev/null)
  for e in dev stage prod-plan prod drift-dev drift-stage drift-prod; do
    if grep -qx "$e" <<< "$envs"; then ok "environment $e"; else miss "environment $e" "create it (docs/environments.md, Environments)"; fi
  done
  vars=$(gh api "repos/$repo/actions/variables" --jq '.variables[].name' 2> /dev/null)
  for v in KFM_STATE_STORE KFM_AUDIT_STORE KFM_CHECKPOINT_STORE KFM_CHECKPOINT_ROLE_ARN KFM_WITNESSES KFM_PLAN_ROLE_ARN_DEV KFM_PLAN_ROLE_ARN_STAGE KFM_PLAN_ROLE_ARN_PROD; do
    if grep -qx "$v" <<< "$vars"; then ok "variable $v"; else miss "variable $v" "set the repository variable (docs/environments.md)"; fi
  done
  for e in dev stage prod-plan prod; do
    # Records are signed keyless in CI; the log's key signs checkpoints only.
    if gh api "repos/$repo/environments/$e/secrets" --jq '.secrets[].name' 2> /dev/null | grep -qx KFM_LOG_KEY; then ok "secret KFM_LOG_KEY ($e)"
    else miss "secret KFM_LOG_KEY ($e)" "add the environment secret (docs/environments.md, Signing keys)"; fi
  done
  if gh api "repos/$repo/branches/main/protection" > /dev/null 2>&1; then ok "branch protection on main"; else miss "branch protection on main" "protect main (docs/environments.md, Branch protection)"; fi
fi
[ "$missing" = 0 ] || { echo "doctor.sh: something is missing (see MISSING above)" >&2; exit 1; }
