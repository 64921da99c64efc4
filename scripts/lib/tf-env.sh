#!/usr/bin/env bash
# tf-env.sh — the Terraform environment every kfm script runs in. Source it, or run it with
# --print to get `export` lines (tests and tools eval them).
#
#   KFM_OFFLINE=1        no network, no cloud account: fake credentials + the aws provider's
#                        skip_* flags (read by the stacks), providers from a local filesystem mirror.
#   TF_CLI_CONFIG_FILE   used as is when it names an existing file; otherwise (unset, or naming a
#                        missing file) a CLI config is generated under $KFM_STATE_DIR/terraform/.
#   KFM_TF_PROVIDER_MIRROR  mirror root (the folder holding registry.terraform.io); when unset it
#                        is discovered: TF_PLUGIN_MIRROR_DIR, the standard implied mirror
#                        directories, then a bounded search of the filesystem.
#   KFM_STATE_DIR        where generated state lives (default: <repo>/.kfm).
#
# Changes nothing outside $KFM_STATE_DIR; prints nothing on stdout unless --print.
set -euo pipefail

kfm_repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

kfm_find_mirror() {
  local c
  for c in "${KFM_TF_PROVIDER_MIRROR:-}" "${TF_PLUGIN_MIRROR_DIR:-}" \
    "${HOME:-/nonexistent}/.terraform.d/plugins" "${HOME:-/nonexistent}/.local/share/terraform/plugins" \
    /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    if [ -n "$c" ] && [ -d "$c/registry.terraform.io/hashicorp/aws" ]; then echo "$c"; return 0; fi
  done
  c=$(find / -maxdepth 6 -type d -path '*/registry.terraform.io/hashicorp/aws' \
      -not -path '/proc/*' -not -path '/sys/*' -not -path '*/.terraform/*' 2>/dev/null | head -n 1 || true)
  if [ -n "$c" ]; then dirname "$(dirname "$(dirname "$c")")"; return 0; fi
  return 1
}

kfm_tf_env() {
  local root state cfg mirror
  root=$(kfm_repo_root)
  state=${KFM_STATE_DIR:-$root/.kfm}
  if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ -f "$TF_CLI_CONFIG_FILE" ]; then
    : # an existing CLI config is used as is
  else
    mkdir -p "$state/terraform"
    cfg="$state/terraform/cli.tfrc"
    # One temporary name per process: two runs at once (two plans, two test workers) each rename
    # their own complete file into place.
    local tmp="$cfg.tmp.$$.$RANDOM"
    if mirror=$(kfm_find_mirror); then
      printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n' "$mirror" > "$tmp"
    else
      [ "${KFM_OFFLINE:-0}" = 1 ] && echo "tf-env: KFM_OFFLINE=1 but no provider mirror found; set KFM_TF_PROVIDER_MIRROR to the folder holding registry.terraform.io" >&2
      printf '# no local provider mirror found: providers come from the registry\n' > "$tmp"
    fi
    mv -f "$tmp" "$cfg"
    export TF_CLI_CONFIG_FILE="$cfg"
  fi
  export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
  # Link providers from one cache instead of copying ~700 MB into every working directory.
  if [ -z "${TF_PLUGIN_CACHE_DIR:-}" ]; then
    mkdir -p "$state/terraform/plugin-cache"
    export TF_PLUGIN_CACHE_DIR="$state/terraform/plugin-cache"
  fi
  if [ "${KFM_OFFLINE:-0}" = 1 ]; then
    # Fake, obviously-not-real credentials: the provider never calls AWS in offline mode.
    export AWS_ACCESS_KEY_ID=offline-fake-access-key AWS_SECRET_ACCESS_KEY=offline-fake-secret-key
    export AWS_REGION=${AWS_REGION:-us-east-1} AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_SESSION_TOKEN || true
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  kfm_tf_env
  if [ "${1:-}" = --print ]; then
    for v in TF_CLI_CONFIG_FILE TF_PLUGIN_CACHE_DIR TF_IN_AUTOMATION TF_INPUT CHECKPOINT_DISABLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_EC2_METADATA_DISABLED; do
      if [ -n "${!v:-}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
    done
  fi
else
  kfm_tf_env
fi
