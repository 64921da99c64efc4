#!/usr/bin/env bash
# doctor.sh — the setup check: what this repository needs where it runs, one line per item.
# Usage: scripts/doctor.sh
# Prints `ok`, `MISSING` (with its fix) or `skipped` (with why) for each item:
#   tools       terraform 1.11.x, node >= 20, jq, the built kfm CLI (dist/)
#   state       KFM_STATE_STORE set (required in CI unless KFM_OFFLINE=1) and its bucket reachable
#   ledger      KFM_AUDIT_STORE reachable (a directory or s3://BUCKET/PREFIX)
#   keys        the signing key (KFM_KEY), keys/kfm-ci.pub, approvers' keys/approvers/<login>.pub
#   witnesses   a public key per KFM_WITNESSES entry, quorum <= witnesses
#   github      environments, variables and secrets by name, branch protection on main (only with
#               GH_TOKEN and the gh CLI; otherwise skipped)
# Offline (KFM_OFFLINE=1) it checks the local parts and says what it skipped.
# Exit: 0 nothing missing; 1 something missing. Changes nothing.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  --help | -h) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# tools
v=$(terraform version -json 2> /dev/null | jq -r .terraform_version 2> /dev/null)
case "$v" in 1.11.*) ok "terraform $v" ;; "") miss terraform "install Terraform 1.11.4 (DEVELOPERS.md)" ;; *) miss "terraform $v" "use Terraform 1.11.4 (DEVELOPERS.md)" ;; esac
n=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null)
if [ "${n:-0}" -ge 20 ]; then ok "node $(node -v)"; else miss node "install Node.js 20 or newer"; fi
if command -v jq > /dev/null; then ok jq; else miss jq "install jq"; fi
if [ -f "$root/dist/receipts/cli.js" ]; then ok "kfm CLI (dist/)"; else miss "kfm CLI" "run npm ci (builds dist/)"; fi

# state
if [ -n "${KFM_STATE_STORE:-}" ]; then
  bucket=${KFM_STATE_STORE#s3://} bucket=${bucket%%/*}
  if [ "$offline" = 1 ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then
    skip "state store $KFM_STATE_STORE" "offline: not reachable from here"
  elif ! command -v aws > /dev/null; then
    skip "state store $KFM_STATE_STORE" "no aws CLI to reach it (terraform init will)"
  elif aws s3api head-bucket --bucket "$bucket" > /dev/null 2>&1; then
    ok "state store $KFM_STATE_STORE (bucket reachable; locking: use_lockfile, docs/environments.md)"
  else
    miss "state store $KFM_STATE_STORE" "bucket $bucket not reachable with these credentials: apply the bootstrap stack (docs/environments.md, First run) or fix the credentials"
  fi
elif [ "$offline" = 1 ]; then
  skip "state store" "KFM_OFFLINE=1: local state in $KFM_STATE_DIR/state/"
else
  miss "state store" "set KFM_STATE_STORE=s3://BUCKET/PREFIX (the bootstrap stack's state_store output; docs/environments.md)"
fi

# ledger
case "$KFM_AUDIT_STORE" in
  s3://*)
    if [ "$offline" = 1 ] && [ -z "${AWS_ENDPOINT_URL_S3:-}" ]; then skip "ledger $KFM_AUDIT_STORE" "offline"
    elif kfm audit list --store "$KFM_AUDIT_STORE" --json > /dev/null 2>&1; then ok "ledger $KFM_AUDIT_STORE"
    else miss "ledger $KFM_AUDIT_STORE" "not readable: apply the audit stack and set KFM_AUDIT_STORE from its receipts_bucket output"; fi ;;
  *)
    if [ -d "$KFM_AUDIT_STORE" ]; then ok "ledger $KFM_AUDIT_STORE (local)"
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
  count=0
  for w in $KFM_WITNESSES; do
    count=$((count + 1)) name=${w%%=*}
    f=$KFM_WITNESS_KEYS_DIR/${name//\//_}.pub
    if [ -f "$f" ]; then ok "witness $name key"; else miss "witness $name" "add its public key as $f"; fi
  done
  if [ "$KFM_WITNESS_QUORUM" -le "$count" ]; then ok "witness quorum $KFM_WITNESS_QUORUM of $count"; else miss "witness quorum" "KFM_WITNESS_QUORUM=$KFM_WITNESS_QUORUM exceeds the $count witnesses"; fi
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
  for v in KFM_STATE_STORE KFM_AUDIT_STORE KFM_CHECKPOINT_STORE KFM_CHECKPOINT_ROLE_ARN KFM_PLAN_ROLE_ARN_DEV KFM_PLAN_ROLE_ARN_STAGE KFM_PLAN_ROLE_ARN_PROD; do
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
