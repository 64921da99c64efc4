#!/usr/bin/env bash
# kfm-env.sh — shared settings of the deploy-side scripts (apply, drift, smoke, main). Source it.
#   KFM_KEY          signing key (default: .kfm/keys/kfm-signing.key)
#   KFM_PUB          public key(s) trusted for receipts, ':'-separated (default: the pub next to
#                    KFM_KEY); keys/approvers/<login>.pub are trusted for prod approvals as <login>
#   KFM_AUDIT_STORE  audit ledger: a directory or s3://BUCKET/PREFIX (default: .kfm/audit)
#   KFM_RECEIPTS_DIR where new receipts are written (default: receipts-out/)
#   KFM_APPROVERS_DIR  approvers' public keys, <login>.pub (default: keys/approvers/)
#   KFM_COMMIT       commit being deployed (default: GITHUB_SHA, else git rev-parse HEAD)
#   KFM_WITNESSES    witnesses of the ledger, whitespace-separated NAME=URL (default: none); the
#                    public key of NAME is KFM_WITNESS_KEYS_DIR/<NAME, "/" as "_">.pub
#   KFM_WITNESS_KEYS_DIR  witnesses' public keys (default: keys/witnesses/)
#   KFM_WITNESS_QUORUM    cosignatures a checkpoint needs to be trusted (default: 2)
#   KFM_CHECKPOINTS  trusted checkpoint file(s), ':'-separated, kept where the appender cannot
#                    write: the gates read the ledger anchored to them (docs/gates.md)
#   KFM_AUTHOR       the change's author (a login) recorded in plan receipts (--author)
#   KFM_STATE_STORE  Terraform state: s3://BUCKET/PREFIX, shared and locked (scripts/lib/state-store.sh)
#   KFM_KEYLESS      1: records are signed keyless (CI with OIDC, docs/sigstore.md): KFM_KEY is the
#                    job's own P-256 key, each record is certified under the job's identity before
#                    it is appended, KFM_PUB is the log's key (checkpoints only: --log-pub) and the
#                    gates trust identities (KFM_TRUSTED_ROOT, KFM_IDENTITY_POLICY). Default 0: keyed.
#   KFM_LOG_KEY      the key that signs checkpoints (default: KFM_KEY)
#   KFM_TRUSTED_ROOT, KFM_IDENTITY_POLICY  Sigstore trusted root and trusted identities per role
#   KFM_SIGSTORE_ARGS  extra flags of `kfm receipt certify` (e.g. --tsa-url URL; default: public good)
set -euo pipefail
kfm_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KFM_STATE_DIR=${KFM_STATE_DIR:-$kfm_root/.kfm}
KFM_KEY=${KFM_KEY:-$KFM_STATE_DIR/keys/kfm-signing.key}
KFM_PUB=${KFM_PUB:-${KFM_KEY%.key}.pub}
KFM_AUDIT_STORE=${KFM_AUDIT_STORE:-$KFM_STATE_DIR/audit}
KFM_RECEIPTS_DIR=${KFM_RECEIPTS_DIR:-$kfm_root/receipts-out}
KFM_SYNTH_DIR=${KFM_SYNTH_DIR:-$kfm_root/cdktf.out}
KFM_PLANS_DIR=${KFM_PLANS_DIR:-$kfm_root/plans}
KFM_APPROVERS_DIR=${KFM_APPROVERS_DIR:-$kfm_root/keys/approvers}
KFM_WITNESSES=${KFM_WITNESSES:-}
KFM_WITNESS_KEYS_DIR=${KFM_WITNESS_KEYS_DIR:-$kfm_root/keys/witnesses}
KFM_WITNESS_QUORUM=${KFM_WITNESS_QUORUM:-2}
if [ -z "${KFM_COMMIT:-}" ]; then
  KFM_COMMIT=${GITHUB_SHA:-$(git -C "$kfm_root" rev-parse HEAD 2>/dev/null || true)}
fi
KFM_KEYLESS=${KFM_KEYLESS:-0}
KFM_LOG_KEY=${KFM_LOG_KEY:-$KFM_KEY}
export KFM_KEYLESS KFM_LOG_KEY KFM_STATE_DIR KFM_KEY KFM_PUB KFM_AUDIT_STORE KFM_RECEIPTS_DIR KFM_SYNTH_DIR KFM_PLANS_DIR KFM_APPROVERS_DIR KFM_COMMIT \
  KFM_WITNESSES KFM_WITNESS_KEYS_DIR KFM_WITNESS_QUORUM

# The kfm CLI, built by `npm ci` (prepare) into dist/.
kfm() { node "$kfm_root/dist/receipts/cli.js" "$@"; }

# --pub flags for the keys trusted to sign receipts and records (KFM_PUB).
kfm_pub_args() {
  local p f
  IFS=: read -r -a p <<< "$KFM_PUB"
  for f in "${p[@]}"; do [ -n "$f" ] && printf -- '--pub\n%s\n' "$f"; done
  return 0
}

# --trusted-root and --identity-policy when records are keyless (KFM_KEYLESS=1), else nothing.
kfm_identity_args() {
  [ "$KFM_KEYLESS" = 1 ] || return 0
  if [ -z "${KFM_TRUSTED_ROOT:-}" ] || [ -z "${KFM_IDENTITY_POLICY:-}" ]; then
    echo "KFM_KEYLESS=1 needs KFM_TRUSTED_ROOT and KFM_IDENTITY_POLICY (docs/sigstore.md)" >&2
    return 2
  fi
  printf -- '%s\n' --trusted-root "$KFM_TRUSTED_ROOT" --identity-policy "$KFM_IDENTITY_POLICY"
}

# The trust flags of a gate or report: keyed, --pub (KFM_PUB); keyless, KFM_PUB is the log's key
# (--log-pub: checkpoints only, never a record) and identities sign the records.
kfm_gate_trust_args() {
  local p f flag=--pub
  [ "$KFM_KEYLESS" = 1 ] && flag=--log-pub
  IFS=: read -r -a p <<< "$KFM_PUB"
  for f in "${p[@]}"; do [ -n "$f" ] && printf -- '%s\n%s\n' "$flag" "$f"; done
  kfm_identity_args
}

# --log-pub flags for the append: the keys the log's index notes may be signed by (KFM_PUB, and the
# public half next to KFM_LOG_KEY when there is one), so the appender starts from the newest note
# that verifies instead of reading the ledger from entry 1 (docs/audit-ledger.md).
kfm_log_pub_args() {
  local p f log_pub=${KFM_LOG_KEY%.key}.pub
  IFS=: read -r -a p <<< "$KFM_PUB"
  for f in "${p[@]}"; do [ -n "$f" ] && printf -- '--log-pub\n%s\n' "$f"; done
  if [ "$log_pub" != "$KFM_LOG_KEY" ] && [ -f "$log_pub" ] && [[ ":$KFM_PUB:" != *":$log_pub:"* ]]; then
    printf -- '--log-pub\n%s\n' "$log_pub"
  fi
  return 0
}

# Append the record FILE to the ledger; keyless, certify it first under the job's identity
# (FILE.sigstore.json, the record from then on) and append that.
kfm_append_record() {
  local file=$1 record=$1 extra
  if [ "$KFM_KEYLESS" = 1 ]; then
    record=${file%.json}.sigstore.json
    read -r -a extra <<< "${KFM_SIGSTORE_ARGS:-}"
    kfm receipt certify "$file" --key "$KFM_KEY" --out "$record" "${extra[@]}" --json >&2
  fi
  local -a log_pubs
  mapfile -t log_pubs < <(kfm_log_pub_args)
  kfm audit append "$record" --store "$KFM_AUDIT_STORE" "${log_pubs[@]}"
}

# --checkpoint flags for the trusted checkpoints (KFM_CHECKPOINTS); none: the gate says unanchored.
kfm_checkpoint_args() {
  local p f
  IFS=: read -r -a p <<< "${KFM_CHECKPOINTS:-}"
  for f in "${p[@]}"; do [ -n "$f" ] && printf -- '--checkpoint\n%s\n' "$f"; done
  return 0
}

# Write the newest trusted apply receipt of ENV from the ledger to FILE (what drift and smoke
# records bind to), read as the gates read it (trusted checkpoints, witnesses asked). Exit 1 when
# the ledger holds none; any other failure (2 usage, 3 the ledger does not verify) is its own code.
kfm_newest_apply() {
  local env=$1 out=$2 pubs approvers checkpoints witnesses
  mapfile -t pubs < <(kfm_gate_trust_args)
  mapfile -t approvers < <(kfm_approver_args)
  mapfile -t checkpoints < <(kfm_checkpoint_args)
  mapfile -t witnesses < <(kfm_witness_args gate)
  kfm gate evidence --kind apply --env "$env" --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${approvers[@]}" \
    "${checkpoints[@]}" "${witnesses[@]}" --out "$out" > /dev/null
}

# Flags binding a record to ENV's newest apply receipt (copied to FILE), one per line; none when the
# ledger holds no apply for ENV, with a note on stderr: "<SCRIPT>: no ENV apply receipt …; <WHAT> is bound to none".
# A ledger that cannot be read as the gates read it (it does not verify, a witness holds a newer
# tree, bad flags) is not "no apply": the calling script stops with that code (kfm's line says why).
kfm_bind_newest_apply() {
  local env=$1 file=$2 script=$3 what=$4 pubs rc=0
  kfm_newest_apply "$env" "$file" || rc=$?
  if [ "$rc" = 0 ]; then
    mapfile -t pubs < <(kfm_pub_args; kfm_identity_args)
    printf -- '%s\n' --apply-receipt "$file" "${pubs[@]}"
  elif [ "$rc" = 1 ]; then
    echo "$script: no $env apply receipt in the ledger; $what is bound to none (the gates ignore it)" >&2
  else
    echo "$script: the audit ledger cannot be read as the gates read it (kfm gate evidence exit $rc); nothing recorded" >&2
    return "$rc"
  fi
}

# --approver NAME=PUB flags: keys/approvers/<login>.pub signs prod approvals as <login>, nothing else.
kfm_approver_args() {
  local f
  for f in "$KFM_APPROVERS_DIR"/*.pub; do [ -f "$f" ] && printf -- '--approver\n%s=%s\n' "$(basename "$f" .pub)" "$f"; done
  return 0
}

# Flags for every key that signs ledger entries, for ledger integrity (audit verify, audit
# checkpoint): --pub for the receipt keys, --approver NAME=PUB for approver keys — never --pub,
# which would trust an approver's key to sign checkpoints and indexes (one note of a tree that
# never existed, stored by an approver, would then stop every verify and every cosign).
kfm_all_pub_args() {
  kfm_pub_args
  kfm_approver_args
}

# Witness flags for every KFM_WITNESSES entry: `verify` prints --witness NAME=PUB ... --quorum N,
# `submit` --witness NAME=PUB --witness-url NAME=URL ..., `gate` both (a gate asks each witness
# the tree size it holds at decision time, docs/gates.md). Nothing when no witness is configured.
kfm_witness_args() {
  local mode=$1 w name url
  [ -n "${KFM_WITNESSES// /}" ] || return 0
  for w in $KFM_WITNESSES; do
    name=${w%%=*} url=${w#*=}
    if [ "$name" = "$w" ] || [ -z "$name" ] || [ -z "$url" ]; then
      echo "KFM_WITNESSES: entries are NAME=URL" >&2
      return 2
    fi
    printf -- '--witness\n%s=%s\n' "$name" "$KFM_WITNESS_KEYS_DIR/${name//\//_}.pub"
    if [ "$mode" != verify ]; then printf -- '--witness-url\n%s=%s\n' "$name" "$url"; fi
  done
  if [ "$mode" != submit ]; then printf -- '--quorum\n%s\n' "$KFM_WITNESS_QUORUM"; fi
}

# shellcheck source=state-store.sh
. "$kfm_root/scripts/lib/state-store.sh"

kfm_die() { echo "$(basename "$0"): $1" >&2; exit "${2:-1}"; }

# kfm_require_env ENV [shared]: a tier; with `shared`, also the shared stacks audit and bootstrap.
kfm_require_env() {
  case "${1:-}" in
    dev | stage | prod) ;;
    audit | bootstrap) [ "${2:-}" = shared ] || { echo "$(basename "$0"): ENV must be one of dev, stage, prod (got '$1': a shared stack, not a tier); see --help" >&2; exit 2; } ;;
    *) echo "$(basename "$0"): ENV must be one of dev, stage, prod$([ "${2:-}" = shared ] && echo ', audit, bootstrap') (got '${1:-}'); see --help" >&2; exit 2 ;;
  esac
}

kfm_require_commit() {
  [[ "$KFM_COMMIT" =~ ^[0-9a-f]{7,64}$ ]] || { echo "$(basename "$0"): no commit known: set KFM_COMMIT or GITHUB_SHA, or run in a git checkout" >&2; exit 2; }
}

# Terraform in one stack's synthesized directory, with its state (scripts/lib/state-store.sh).
kfm_tf_init() {
  local env=$1 stack=$KFM_SYNTH_DIR/stacks/$1
  [ -f "$stack/cdk.tf.json" ] || { echo "$(basename "$0"): $stack/cdk.tf.json missing; run scripts/synth.sh" >&2; exit 1; }
  kfm_state_init "$stack" "$env"
}

# A new receipt file name: ENV.KIND.<first 12 hex of the input's sha256>[.N].receipt.json.
# Never an existing name: receipts are never overwritten (kfm refuses to, too).
kfm_receipt_path() {
  local env=$1 kind=$2 input=$3 h base n=1
  h=$(sha256sum "$input" | cut -c1-12)
  mkdir -p "$KFM_RECEIPTS_DIR"
  base=$KFM_RECEIPTS_DIR/$env.$kind.$h
  if [ ! -e "$base.receipt.json" ]; then echo "$base.receipt.json"; return; fi
  while [ -e "$base.$n.receipt.json" ]; do n=$((n + 1)); done
  echo "$base.$n.receipt.json"
}

# kfm_tier_setup ENV [shared]: what every per-tier script (apply, drift, smoke) starts with: a known tier,
# the commit to record, and Terraform's offline-capable environment (scripts/lib/tf-env.sh).
kfm_tier_setup() {
  kfm_require_env "$1" "${2:-}"
  kfm_require_commit
  kfm_state_store_required
  # shellcheck source=tf-env.sh
  . "$kfm_root/scripts/lib/tf-env.sh"
}
