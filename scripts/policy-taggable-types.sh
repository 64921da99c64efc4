#!/usr/bin/env bash
# policy-taggable-types.sh — regenerate policy/config/taggable-types.json: every resource type of the
# pinned hashicorp/aws provider whose schema has a `tags` attribute. The tags rule uses this list in
# BOTH views (a cdk.tf.json does not carry the schema), so synth and plan agree on what is taggable.
#
# usage: bash scripts/policy-taggable-types.sh [--help]
# Offline: the provider comes from the local mirror (scripts/lib/tf-env.sh). Writes only that file.
set -euo pipefail
if [ "${1:-}" = --help ]; then sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$(KFM_OFFLINE=1 bash "$root/scripts/lib/tf-env.sh" --print)"
version=$(node -p "require('$root/node_modules/@cdktf/provider-aws/package.json').cdktf.provider.version")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"terraform":{"required_providers":{"aws":{"source":"hashicorp/aws","version":"%s"}}}}\n' "$version" > "$work/main.tf.json"
(cd "$work" && terraform init -input=false -backend=false >/dev/null && terraform providers schema -json > schema.json)
node -e '
const s = require(process.argv[1] + "/schema.json");
const p = s.provider_schemas["registry.terraform.io/hashicorp/aws"];
const types = Object.entries(p.resource_schemas).filter(([, r]) => r.block.attributes && r.block.attributes.tags).map(([t]) => t).sort();
const out = { provider: "registry.terraform.io/hashicorp/aws", version: process.argv[2], generatedBy: "scripts/policy-taggable-types.sh", types };
require("fs").writeFileSync(process.argv[3], JSON.stringify(out, null, 2) + "\n");
console.error("taggable types: " + types.length);
' "$work" "$version" "$root/policy/config/taggable-types.json"
