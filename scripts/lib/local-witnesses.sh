#!/usr/bin/env bash
# local-witnesses.sh — start witnesses of the local ledger on loopback (npm start). Source it after
# kfm-env.sh, then call `kfm_local_witnesses NAME...`: each NAME gets a key and a state directory
# under $KFM_STATE_DIR/witnesses/NAME, runs `kfm witness serve` on 127.0.0.1 (a free port) and is
# stopped when the calling shell exits. Sets KFM_WITNESSES and KFM_WITNESS_KEYS_DIR for cosign.sh.
kfm_witness_pids=()
kfm_stop_local_witnesses() {
  local p
  for p in "${kfm_witness_pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${kfm_witness_pids[@]}"; do wait "$p" 2> /dev/null || true; done
  kfm_witness_pids=()
}

kfm_local_witnesses() {
  local name dir url
  : "${kfm_root:?source scripts/lib/kfm-env.sh first}"
  KFM_WITNESS_KEYS_DIR=$KFM_STATE_DIR/witnesses/keys
  KFM_WITNESSES=
  mkdir -p "$KFM_WITNESS_KEYS_DIR"
  trap kfm_stop_local_witnesses EXIT
  for name in "$@"; do
    dir=$KFM_STATE_DIR/witnesses/$name
    [ -f "$dir/kfm-signing.key" ] || kfm keygen --out-dir "$dir" > /dev/null
    cp -f "$dir/kfm-signing.pub" "$KFM_WITNESS_KEYS_DIR/local_$name.pub"
    rm -f "$dir/url"
    (exec node "$kfm_root/dist/receipts/cli.js" witness serve --key "$dir/kfm-signing.key" --name "local/$name" \
      --log "kfm-infra/audit=${KFM_KEY%.key}.pub" --state "$dir/state" --listen 127.0.0.1:0 > "$dir/url") &
    kfm_witness_pids+=("$!")
    for _ in $(seq 1 100); do [ -s "$dir/url" ] && break; sleep 0.1; done
    url=$(head -n 1 "$dir/url")
    [ -n "$url" ] || { echo "local-witnesses.sh: witness $name did not start" >&2; return 1; }
    KFM_WITNESSES="$KFM_WITNESSES local/$name=$url"
    echo "witness local/$name: $url" >&2
  done
  export KFM_WITNESSES KFM_WITNESS_KEYS_DIR
}
