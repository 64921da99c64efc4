#!/usr/bin/env bash
# fmt.sh — formatting check: prettier on the TypeScript and any hand-written .tf files with
# `terraform fmt` (the synthesized cdk.tf.json is generated, so formatting it means nothing).
# Usage: scripts/fmt.sh [--write]     --write: fix instead of check (the only mode that changes files)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=--check tfmode=-check
case "${1:-}" in
  --help | -h) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --write) mode=--write tfmode= ;;
  '') ;;
  *) echo "fmt.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
cd "$root"
npx --no-install prettier "$mode" "main.ts" "constructs/**/*.ts" "stacks/**/*.ts" "receipts/**/*.ts" "scripts/**/*.ts" "__tests__/**/*.ts"
mapfile -t tf < <(find . -name '*.tf' -not -path './node_modules/*' -not -path './cdktf.out/*' -not -path './.kfm/*' -not -path './__tests__/fixtures/*' -not -path '*/.terraform/*' | sort)
if [ ${#tf[@]} -gt 0 ]; then
  # shellcheck disable=SC2086
  terraform fmt $tfmode -recursive -diff "${tf[@]%/*}"
fi
