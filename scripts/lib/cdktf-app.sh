#!/usr/bin/env bash
# cdktf-app.sh — the cdktf app (cdktf.json "app"): synthesizes main.ts into $CDKTF_OUTDIR, then
# prepares each synthesized stack directory so `npx cdktf diff STACK` works with no environment
# loaded first, offline and online:
#   - providers: terraform.d/plugins (a mirror directory Terraform reads from the working
#     directory) links to the local provider mirror when one is found (scripts/lib/tf-env.sh);
#     with none, providers come from the registry as usual; the lock file is made from the mirror;
#   - KFM_OFFLINE=1: an override file gives the aws provider obviously fake credentials (it makes
#     no call offline), as tf-env.sh exports them for the scripts.
# Writes only under $CDKTF_OUTDIR (and tf-env.sh's generated config under .kfm/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${CDKTF_OUTDIR:?cdktf-app.sh runs as the cdktf app: CDKTF_OUTDIR is set by the cdktf CLI}
node "$root/node_modules/tsx/dist/cli.mjs" "$root/main.ts"
# shellcheck source=tf-env.sh
. "$root/scripts/lib/tf-env.sh"
mirror=$(kfm_find_mirror || true)
for stack in "$out"/stacks/*/; do
  [ -f "$stack/cdk.tf.json" ] || continue
  if [ -n "$mirror" ]; then
    mkdir -p "$stack/terraform.d"
    ln -sfn "$mirror" "$stack/terraform.d/plugins"
    # The cdktf CLI locks providers through the registry when a stack has no lock file: lock them
    # from the mirror first (only providers the mirror holds).
    if [ ! -f "$stack/.terraform.lock.hcl" ] && jq -e '.provider.aws' "$stack/cdk.tf.json" > /dev/null; then
      terraform -chdir="$stack" providers lock -fs-mirror="$mirror" -platform=linux_amd64 > /dev/null
    fi
  fi
  if [ "${KFM_OFFLINE:-0}" = 1 ] && jq -e '.provider.aws' "$stack/cdk.tf.json" > /dev/null; then
    printf '{"provider":{"aws":{"access_key":"offline-fake-access-key","secret_key":"offline-fake-secret-key"}}}\n' \
      > "$stack/offline_override.tf.json"
  else
    rm -f "$stack/offline_override.tf.json"
  fi
done
