#!/usr/bin/env bash
# approval-intake.sh — check an approval handed to approve.yml before it is appended to the ledger.
# Usage: APPROVAL_B64=<base64 of the file> scripts/approval-intake.sh LOGIN OUT
# The file is what the reviewer made: a keyed approval (`kfm approve --key ...`, signed by
# KFM_APPROVERS_DIR/LOGIN.pub) or a keyless one (`kfm approve --keyless`: a Sigstore bundle signed
# under their own OIDC identity, trusted as an approver with principal LOGIN in KFM_IDENTITY_POLICY
# under KFM_TRUSTED_ROOT). Writes it to OUT only when it verifies, is an approval and names LOGIN
# as its principal; prints OUT's digest. Exit 0 accepted; 1 refused (one line says why); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in --help | -h) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -eq 2 ] || { echo "approval-intake.sh: usage: APPROVAL_B64=... approval-intake.sh LOGIN OUT (see --help)" >&2; exit 2; }
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
login=$1 out=$2
refuse() { echo "::error::approval-intake.sh: $1" >&2; exit 1; }
[[ "$login" =~ ^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$ ]] || refuse "login '$login' is not a GitHub login"
[ ! -e "$out" ] || { echo "approval-intake.sh: $out exists; choose another OUT" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%s' "${APPROVAL_B64:-}" | base64 -d > "$tmp" 2> /dev/null || refuse "input approval is not base64 (use base64 -w0 approval.json)"
[ -s "$tmp" ] || refuse "input approval is empty"

# Who may have signed it: LOGIN's key, and the identities of the policy (which say whose login is whose).
trust=()
pub=$KFM_APPROVERS_DIR/$login.pub
[ -f "$pub" ] && trust+=(--pub "$pub")
if [ -n "${KFM_TRUSTED_ROOT:-}" ] && [ -n "${KFM_IDENTITY_POLICY:-}" ]; then
  trust+=(--trusted-root "$KFM_TRUSTED_ROOT" --identity-policy "$KFM_IDENTITY_POLICY")
fi
[ "${#trust[@]}" -gt 0 ] || refuse "$pub does not exist and no identity policy is configured: an approver's key or identity is added by reviewed PR (docs/environments.md)"

# Keyed: only LOGIN's key is trusted. Keyless: kfm accepts an approval only from an identity whose
# principal is the approval's principal (attest/sigstore/trusted-signer.ts); here that must be LOGIN.
verified=$(kfm receipt verify "$tmp" "${trust[@]}" --json) || refuse "the approval does not verify under $pub or a trusted approver identity (kfm's line above says why)"
# Signed text is still the signer's words: shown JSON-quoted (one line, no workflow command).
[ "$(jq -r .predicateType <<< "$verified")" = https://kfm.dev/receipts/approval/v1 ] || refuse "the file is not an approval ($(jq -c .predicateType <<< "$verified"))"
principal=$(jq -r '.principal // ""' <<< "$verified")
[ "${principal,,}" = "${login,,}" ] || refuse "the approval is by principal $(jq -c '.principal // ""' <<< "$verified"), not by $login"
signer=$(jq -r 'if .identity then "identity \(.identity.subject) (issuer \(.identity.issuer))" else "key \(.keyid)" end' <<< "$verified")
cp "$tmp" "$out"
echo "approval-intake.sh: approval by $login ($signer) of env $(jq -r .env <<< "$verified"): $out" >&2
jq -r .digest <<< "$verified"
