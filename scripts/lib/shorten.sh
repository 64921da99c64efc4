# shellcheck shell=bash
# shorten.sh — kfm_shorten WIDTH: each stdin line to at most about WIDTH characters, cut between
# words (a digest, SHA or path is never cut inside), "…" marking a cut. Sourced by scripts/main.sh.
kfm_shorten() {
  awk -v w="${1:-100}" '{
    out = ""
    for (i = 1; i <= NF; i++) {
      if (out != "" && length(out) + 1 + length($i) > w) { out = out " …"; break }
      out = (out == "" ? $i : out " " $i)
    }
    print out
  }'
}
