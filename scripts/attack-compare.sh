#!/usr/bin/env bash
# Run the ledger attacks that need only the appender's rights against an older checkout's CLI and
# against this one, on a directory store, and print both outcomes per attack; then issue 24's
# attacks (scripts/attack-compare/main.ts: witnessed gates, keys in two roles, evidence by role,
# EPIPE, index junk, untrusted envelopes, gate evidence, faults). Not part of npm test.
#
#   bash scripts/attack-compare.sh OLD_CHECKOUT [--s3] [--only 1,2a,...] [--markdown]
#
# OLD_CHECKOUT must hold dist/receipts/cli.js (npm run build there), e.g. a detached worktree of
# 3c7b61c. --s3 runs attacks 1-3, 6a and 6b on the local radosgw too (start it first with
# scripts/s3-local.sh and source its exports). Envelopes of the first part are signed with this
# checkout's library (dist/); both CLIs read the same bytes. The results are in docs/audit-ledger.md
# ("Issue 24's attacks, before and after").
set -euo pipefail
case "${1:-}" in --help | -h)
  echo "usage: attack-compare.sh OLD_CHECKOUT [--s3] [--only 1,2a,...] [--markdown]"
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  echo "the attacks, by id (for --only): npx tsx scripts/attack-compare/main.ts --help"
  exit 0 ;;
esac
old="${1:?usage: attack-compare.sh OLD_CHECKOUT}"
shift
new="$(cd "$(dirname "$0")/.." && pwd)"
for c in "$old" "$new"; do
  [ -f "$c/dist/receipts/cli.js" ] || { echo "attack-compare: $c/dist/receipts/cli.js missing: run npm run build there" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/kfm-attack-compare-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

# Keys and 8 signed envelopes (distinct payloads) with this checkout's library.
node -e '
  const { mkdirSync, writeFileSync } = require("node:fs");
  const { join } = require("node:path");
  const lib = process.argv[1];
  const { generateKeyPairPem, parseSigningKey } = require(join(lib, "dist/attest/sign/ed25519.js"));
  const { signEnvelope, serializeEnvelope } = require(join(lib, "dist/attest/dsse/envelope.js"));
  const out = process.argv[2];
  mkdirSync(out, { recursive: true });
  const { privatePem, publicPem } = generateKeyPairPem();
  writeFileSync(join(out, "log.pub"), publicPem);
  const key = parseSigningKey(privatePem, "log.key");
  for (let i = 1; i <= 8; i++) {
    const st = { _type: "https://in-toto.io/Statement/v1", subject: [{ name: `e-${i}`, digest: { sha256: "0".repeat(64) } }],
      predicateType: "https://kfm.example/ledger-test/v1", predicate: { i } };
    writeFileSync(join(out, `e${i}.json`), serializeEnvelope(signEnvelope("application/vnd.in-toto+json", Buffer.from(JSON.stringify(st)), key)));
  }' "$new" "$work/in"

kfm() { node "$cli/dist/receipts/cli.js" "$@"; }
code() { set +e; "$@" >"$work/out" 2>"$work/err"; local rc=$?; set -e; echo "$rc"; }
entry() { printf '%s/entries/%012d.json' "$1" "$2"; }
# A store holding e1..e3 (a CLI before `audit init` existed creates it on the first append).
three() {
  kfm audit init --store "$1" >/dev/null 2>&1 || true
  kfm audit append "$work/in/e1.json" "$work/in/e2.json" "$work/in/e3.json" --store "$1" >/dev/null
}

# Each attack prints one line: what the attacker did, then "exit codes" of the steps that matter.
attack_planted_next() { # a copy of entry 1 put where entry 4 goes
  local s="$work/$1-next"
  three "$s"
  cp "$(entry "$s" 1)" "$(entry "$s" 4)"
  echo "verify=$(code kfm audit verify --store "$s" --pub "$work/in/log.pub")"
}
attack_planted_ahead() { # a copy of entry 1 put where entry 5 goes, then two honest appends
  local s="$work/$1-ahead"
  three "$s"
  cp "$(entry "$s" 1)" "$(entry "$s" 5)"
  local a4 a5 v
  a4=$(code kfm audit append "$work/in/e4.json" --store "$s")
  a5=$(code kfm audit append "$work/in/e5.json" --store "$s")
  v=$(code kfm audit verify --store "$s" --pub "$work/in/log.pub")
  # The operator's step on a directory store: move the planted file aside, re-run the append.
  mv "$(entry "$s" 5)" "$work/$1-planted-5.json"
  local again
  again=$(code kfm audit append "$work/in/e5.json" --store "$s")
  echo "append4=$a4 append5=$a5 verify=$v moved-aside:append5=$again verify=$(code kfm audit verify --store "$s" --pub "$work/in/log.pub")"
}
attack_past_the_end() { # an entry object far past the end, then an honest append
  local s="$work/$1-past"
  three "$s"
  cp "$(entry "$s" 1)" "$(entry "$s" 512)"
  local a
  a=$(code kfm audit append "$work/in/e4.json" --store "$s")
  local seq
  seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$work/out" | head -1)
  echo "append=$a seq=${seq:-none} verify=$(code kfm audit verify --store "$s" --pub "$work/in/log.pub")"
}

# The planted-object attacks, unless --only picks some of issue 24's.
if [[ " $* " != *" --only "* ]]; then
  printf '%-16s %-70s %s\n' "attack (appender's rights, directory store)" "old ($old)" "new"
  for a in planted_next planted_ahead past_the_end; do
    cli="$old"; o=$("attack_$a" old)
    cli="$new"; n=$("attack_$a" new)
    printf '%-16s %-70s %s\n' "$a" "$o" "$n"
  done
  echo
fi
# Issue 24's attacks (exit 1 when one of them does not hold on this checkout).
cd "$new" && npx --no-install tsx scripts/attack-compare/main.ts --old "$old" "$@"
