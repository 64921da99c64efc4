#!/usr/bin/env bash
# trusted-checkpoint.sh — keep the newest ledger checkpoint where the appender cannot write.
# Usage: scripts/trusted-checkpoint.sh fetch|publish
#   fetch    copy the newest checkpoint under KFM_CHECKPOINT_STORE to $KFM_STATE_DIR and print
#            KFM_CHECKPOINTS=<file> (for $GITHUB_ENV); prints nothing when there is none yet
#   publish  sign a checkpoint of the verified ledger (kfm audit checkpoint --pub ...: the full
#            verify, consistent with the fetched checkpoint) and store it as <size>.txt; with
#            KFM_WITNESSES, one a quorum of witnesses cosigned (the recommended configuration:
#            the gates then take it as --checkpoint and ask the witnesses too, docs/gates.md)
# KFM_CHECKPOINT_STORE is a directory or s3://BUCKET/PREFIX that only the checkpoint role may
# write (docs/environments.md); the gates read the ledger anchored to it (docs/gates.md).
# Exit: 0 done; 3 the ledger does not verify (nothing signed); 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  --help | -h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  fetch | publish) verb=$1 ;;
  *) echo "trusted-checkpoint.sh: expected fetch or publish (see --help)" >&2; exit 2 ;;
esac
# shellcheck source=lib/kfm-env.sh
. "$root/scripts/lib/kfm-env.sh"
[ -n "${KFM_CHECKPOINT_STORE:-}" ] || kfm_die "KFM_CHECKPOINT_STORE is not set (docs/environments.md)" 2
mkdir -p "$KFM_STATE_DIR"
local_copy=$KFM_STATE_DIR/trusted-checkpoint.txt

# The newest checkpoint name: sizes are zero-padded, so the last name sorts highest.
newest() {
  case "$KFM_CHECKPOINT_STORE" in
    s3://*) aws s3 ls "${KFM_CHECKPOINT_STORE%/}/" | awk '{print $4}' | grep -E '^[0-9]{12}\.txt$' | sort | tail -n 1 || true ;;
    *) find "$KFM_CHECKPOINT_STORE" -maxdepth 1 -name '[0-9]*.txt' -printf '%f\n' 2> /dev/null | sort | tail -n 1 || true ;;
  esac
}
copy() {
  case "$1$2" in *s3://*) aws s3 cp --only-show-errors "$1" "$2" ;; *) cp "$1" "$2" ;; esac
}

name=$(newest)
if [ "$verb" = fetch ]; then
  [ -n "$name" ] || { echo "trusted-checkpoint.sh: no checkpoint under $KFM_CHECKPOINT_STORE yet: the gates read unanchored" >&2; exit 0; }
  rm -f "$local_copy"
  copy "${KFM_CHECKPOINT_STORE%/}/$name" "$local_copy"
  echo "KFM_CHECKPOINTS=$local_copy"
  exit 0
fi

mapfile -t pubs < <(kfm_all_pub_args)
prev=()
if [ -n "$name" ]; then
  rm -f "$local_copy"
  copy "${KFM_CHECKPOINT_STORE%/}/$name" "$local_copy"
  prev=(--checkpoint "$local_copy")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t witness < <(kfm_witness_args submit)
if [ "${#witness[@]}" -gt 0 ]; then
  # Witnessed: the pin is checked on its own first (a pin published before witnesses were
  # configured has no cosignatures), then the tree is signed and cosigned by a quorum.
  if [ "${#prev[@]}" -gt 0 ]; then kfm audit verify --store "$KFM_AUDIT_STORE" "${pubs[@]}" "${prev[@]}" > /dev/null; fi
  kfm audit checkpoint --store "$KFM_AUDIT_STORE" --key "$KFM_LOG_KEY" "${pubs[@]}" "${witness[@]}" \
    --quorum "$KFM_WITNESS_QUORUM" --out "$work/cp.txt" > "$work/cp.json"
else
  kfm audit checkpoint --store "$KFM_AUDIT_STORE" --key "$KFM_LOG_KEY" "${pubs[@]}" "${prev[@]}" --out "$work/cp.txt" > "$work/cp.json"
fi
size=$(jq -r .size "$work/cp.json")
target=$(printf '%012d.txt' "$size")
if [ "$target" = "$name" ]; then
  echo "trusted-checkpoint.sh: tree size $size is already checkpointed" >&2
  exit 0
fi
case "$KFM_CHECKPOINT_STORE" in s3://*) ;; *) mkdir -p "$KFM_CHECKPOINT_STORE" ;; esac
copy "$work/cp.txt" "${KFM_CHECKPOINT_STORE%/}/$target"
echo "trusted-checkpoint.sh: tree size $size checkpointed to ${KFM_CHECKPOINT_STORE%/}/$target" >&2
