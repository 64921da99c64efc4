#!/usr/bin/env bash
# secrets-scan.sh — block credential patterns: secretlint (recommended preset, AWS key ids and a
# generic credential-assignment pattern; .secretlintrc.json) over the files named, never printing a
# secret: each finding is file:line:column plus the rule that matched (scripts/lib/secretlint-formatter.mjs).
# Usage: scripts/secrets-scan.sh                every git-tracked file (what `npm test` runs)
#        scripts/secrets-scan.sh --since REV    files added or changed since REV (merge base), as pr.yml does
#        scripts/secrets-scan.sh FILE...        these files
# Exceptions: .secretlintignore entries (tracked and --since modes), each with its reason on the line
# above (see docs/pr-gates.md); FILE... scans exactly those files.
# Exit: 0 clean, 1 a secret found, 2 usage or scanner error. Changes no file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
since='' files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --since) [ $# -ge 2 ] || { echo "secrets-scan.sh: --since needs a revision (see --help)" >&2; exit 2; }; since=$2; shift 2 ;;
    --) shift; files+=("$@"); break ;;
    -*) echo "secrets-scan.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
if [ -n "$since" ] && [ ${#files[@]} -gt 0 ]; then
  echo "secrets-scan.sh: give --since or FILE..., not both (see --help)" >&2
  exit 2
fi
for i in "${!files[@]}"; do
  case "${files[$i]}" in /*) ;; *) files[i]=$PWD/${files[$i]} ;; esac
done
cd "$root"
scanner=$root/node_modules/.bin/secretlint
[ -x "$scanner" ] || { echo "secrets-scan.sh: secretlint is not installed (run npm ci)" >&2; exit 2; }

# Every exception in .secretlintignore (gitignore syntax) carries its reason on the line just above
# it: `# reason: ...`, at least 10 characters. An entry without one is refused, not applied.
ignore=$root/.secretlintignore
[ -f "$ignore" ] || { echo "secrets-scan.sh: .secretlintignore is missing" >&2; exit 2; }
bad=$(awk '/^#/ { prev = $0; next }
           /^[[:space:]]*$/ { prev = ""; next }
           { reason = prev; if (sub(/^# reason:[[:space:]]*/, "", reason) == 0 || length(reason) < 10) print NR; prev = "" }' "$ignore")
if [ -n "$bad" ]; then
  echo "secrets-scan.sh: .secretlintignore line(s) $(paste -sd, <<<"$bad"): an exception needs '# reason: ...' (10+ characters) on the line above" >&2
  exit 2
fi

if [ ${#files[@]} -eq 0 ]; then
  if [ -n "$since" ]; then
    base=$(git merge-base "$since" HEAD) || { echo "secrets-scan.sh: no merge base of '$since' and HEAD" >&2; exit 2; }
    mapfile -d '' listed < <(git diff -z --name-only --diff-filter=d "$base" HEAD --)
    what="file(s) changed since $(git rev-parse --short "$base")"
  else
    mapfile -d '' listed < <(git ls-files -z)
    what="tracked file(s)"
  fi
  # The reviewed exceptions, matched by git with gitignore semantics (what secretlint would use).
  declare -A excepted=()
  while IFS= read -r -d '' f; do excepted[$f]=1; done < <(git ls-files -z --cached --ignored --exclude-from="$ignore")
  # Symlinks point at content scanned where it lives; a file deleted in the work tree has nothing to scan.
  skipped=0
  for f in ${listed[@]+"${listed[@]}"}; do
    if [ -n "${excepted[$f]:-}" ]; then skipped=$((skipped + 1)); continue; fi
    if [ -f "$f" ] && [ ! -L "$f" ]; then files+=("$f"); fi
  done
  [ "$skipped" = 0 ] || echo "secrets-scan.sh: $skipped file(s) skipped as reviewed exceptions (.secretlintignore)" >&2
  if [ ${#files[@]} -eq 0 ]; then
    echo "secrets-scan.sh: no $what to scan" >&2
    exit 0
  fi
else
  # Exactly the files named: no exception applies.
  what="file(s)"
  for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "secrets-scan.sh: $f: not a file" >&2; exit 2; }
  done
fi

# Inline directives would be unreviewed exceptions: the preset's comment filter honours one anywhere
# in a file, to its end, and cannot be switched off in a preset. Each is a finding (directive only,
# never the line it is on).
directives=$(grep -HnoI -E 'secretlint-(dis|en)able[a-z-]*' -- "${files[@]}" || true)
if [ -n "$directives" ]; then
  while IFS= read -r d; do
    echo "${d%:*}: inline ${d##*:} directive: exceptions belong in .secretlintignore with a reason"
  done <<<"$directives"
fi

# --no-gitignore: the list is already exact, and secretlint would otherwise skip, without a word,
# a file it names that .gitignore matches (a tracked file force-added under plans/, say).
set +e
"$scanner" --secretlintrc "$root/.secretlintrc.json" --secretlintignore "$ignore" --no-gitignore \
  --format "$root/scripts/lib/secretlint-formatter.mjs" --no-glob --no-color --no-terminalLink -- "${files[@]}"
rc=$?
set -e
if [ "$rc" -ge 2 ]; then
  echo "secrets-scan.sh: the scanner failed (exit $rc)" >&2
  exit 2
fi
if [ "$rc" = 1 ] || [ -n "$directives" ]; then
  echo "secrets-scan.sh: secret(s) found in the ${#files[@]} $what scanned (values not shown); remove them, and rotate any that was real" >&2
  exit 1
fi
echo "secrets-scan.sh: ${#files[@]} $what scanned, no secret found" >&2
