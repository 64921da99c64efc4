#!/usr/bin/env bash
# cosign.sh — a witnessed checkpoint of the audit ledger (C2SP tlog-witness), after an append.
# Usage: scripts/cosign.sh [--help]
# Signs the ledger's current tree with KFM_LOG_KEY (default KFM_KEY), asks every witness in KFM_WITNESSES for a
# cosignature and stores the note in the ledger (and in KFM_RECEIPTS_DIR/checkpoint.*.txt) only
# when KFM_WITNESS_QUORUM of them cosigned it. Without KFM_WITNESSES it does nothing, unless
# KFM_REQUIRE_WITNESS=1 (the deploy and drift workflows), which makes that an error.
# Exit: 0 witnessed (or no witnesses configured); 3 fewer than the quorum cosigned, one line per
# witness says what it answered; 2 usage. Environment: see scripts/lib/kfm-env.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in --help | -h) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "cosign.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;; esac
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
if [ -z "${KFM_WITNESSES// /}" ]; then
  [ "${KFM_REQUIRE_WITNESS:-0}" != 1 ] || kfm_die "KFM_WITNESSES is not set: no witness to cosign the ledger (docs/environments.md)" 2
  exit 0
fi
mapfile -t witness < <(kfm_witness_args submit)
mapfile -t allpubs < <(kfm_all_pub_args)
mkdir -p "$KFM_RECEIPTS_DIR"
n=1
while [ -e "$KFM_RECEIPTS_DIR/checkpoint.$n.txt" ]; do n=$((n + 1)); done
out=$KFM_RECEIPTS_DIR/checkpoint.$n.txt
# Resume from the checkpoint this job cosigned last (verified again, then only what came after
# it is read); the first one of a job reads the whole log.
since=()
if [ "$n" -gt 1 ]; then since=(--since "$KFM_RECEIPTS_DIR/checkpoint.$((n - 1)).txt"); fi
result=$(kfm audit checkpoint --store "$KFM_AUDIT_STORE" --key "$KFM_LOG_KEY" "${allpubs[@]}" --out "$out" \
  "${since[@]}" "${witness[@]}" --quorum "$KFM_WITNESS_QUORUM" --witness-timeout "${KFM_WITNESS_TIMEOUT:-10}")
jq -r '.witnesses[] | select(.cosigned | not) | "cosign.sh: warning: witness \(.name): \(.answer)"' <<< "$result" >&2
echo "cosign.sh: tree size $(jq -r .size <<< "$result") cosigned by $(jq -r '.cosigners | join(", ")' <<< "$result") (quorum $KFM_WITNESS_QUORUM): $out" >&2
