#!/usr/bin/env bash
# verify-ledger.sh — verify the whole audit ledger with every key that signs its entries.
# Usage: scripts/verify-ledger.sh [--checkpoint FILE]
#   --checkpoint FILE  also prove the ledger extends this checkpoint (an incident's, a trusted one)
# Keys: KFM_PUB (receipt keys, ':'-separated) and every approver's keys/approvers/<login>.pub (prod
# approvals are ledger entries too: without their keys verification fails as soon as one exists);
# witnesses from KFM_WITNESSES (a quorum of cosigned checkpoints). See scripts/lib/kfm-env.sh.
# Exit: 0 the ledger verifies; otherwise kfm audit verify's exit status (3: it does not).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --checkpoint) [ $# -ge 2 ] || { echo "verify-ledger.sh: --checkpoint needs a file" >&2; exit 2; }; extra+=(--checkpoint "$2"); shift 2 ;;
    *) echo "verify-ledger.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
mapfile -t pubs < <(kfm_all_pub_args)
mapfile -t witnesses < <(kfm_witness_args verify)
mapfile -t identities < <(kfm_identity_args) # keyless records (KFM_KEYLESS=1): identities per role
kfm audit verify --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${identities[@]}" "${witnesses[@]}" "${extra[@]}"
