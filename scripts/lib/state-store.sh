#!/usr/bin/env bash
# state-store.sh — where a governed stack's Terraform state lives, for the scripts. Source it.
#   KFM_STATE_STORE   s3://BUCKET/PREFIX: shared, locked state (the S3 backend synthesized by
#                     constructs/state-backend.ts, object PREFIX/<stack>.tfstate, lock file beside it).
#                     Unset: local state under $KFM_STATE_DIR/state/ (offline, laptops).
#   KFM_OFFLINE=1     no state store is required; anywhere else in CI (GITHUB_ACTIONS=true) it is.
set -euo pipefail

# In CI, online, a job without a state store would plan against an empty state ("create
# everything") and judge drift against nothing: refuse before anything runs.
kfm_state_store_required() {
  [ "${GITHUB_ACTIONS:-}" = true ] || return 0
  [ "${KFM_OFFLINE:-0}" = 1 ] && return 0
  [ -n "${KFM_STATE_STORE:-}" ] && return 0
  echo "$(basename "$0"): KFM_STATE_STORE is not set: set the repository variable KFM_STATE_STORE=s3://BUCKET/PREFIX (the bootstrap stack's state bucket, docs/environments.md)" >&2
  exit 2
}

# kfm_state_init STACK_DIR ENV: terraform init of one synthesized stack against its state. The
# backend is what synth wrote (S3 when KFM_STATE_STORE was set); a local one is pointed at
# $KFM_STATE_DIR/state/ENV.tfstate.
kfm_state_init() {
  local stack=$1 env=$2 state_dir=${KFM_STATE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.kfm}
  local backend
  backend=$(jq -r '.terraform.backend // {} | keys[0] // "local"' "$stack/cdk.tf.json")
  if [ -n "${KFM_STATE_STORE:-}" ] && [ "$backend" != s3 ]; then
    echo "$(basename "$0"): KFM_STATE_STORE is set but $stack was synthesized with a $backend backend; synthesize again with KFM_STATE_STORE in the environment" >&2
    exit 1
  fi
  if [ "$backend" = local ]; then
    mkdir -p "$state_dir/state"
    terraform -chdir="$stack" init -input=false -no-color -reconfigure \
      -backend-config="path=$state_dir/state/$env.tfstate" >&2
  else
    terraform -chdir="$stack" init -input=false -no-color -reconfigure >&2
  fi
}

# kfm_state_require STACK_DIR ENV: a drift check needs the state it judges against; a missing state
# would make every drift report say "no drift" whatever the cloud looks like. A state with no
# resources (a tier rolled back to nothing) is a state: zero drift means zero residue.
kfm_state_require() {
  local stack=$1 env=$2 lineage
  lineage=$(terraform -chdir="$stack" state pull 2> /dev/null | jq -r '.lineage // empty' 2> /dev/null || true)
  if [ -z "$lineage" ]; then
    echo "$(basename "$0"): cannot judge drift without the state: $env has no Terraform state here ($(kfm_state_where "$env")); apply it first or set KFM_STATE_STORE to the shared store" >&2
    exit 1
  fi
}

# Where ENV's state is read from, for messages.
kfm_state_where() {
  if [ -n "${KFM_STATE_STORE:-}" ]; then echo "${KFM_STATE_STORE%/}/$1.tfstate"; else echo "local state ${KFM_STATE_DIR:-.kfm}/state/$1.tfstate"; fi
}
