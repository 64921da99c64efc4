# debian-tool.sh — sourced: ensure_debian_tool BIN PACKAGE WHAT prints the path of BIN, installing
# Debian's PACKAGE with apt-get when BIN is missing (needs root or sudo), as scripts/s3-local.sh
# installs radosgw. Says loudly on stderr, and returns 1, when it cannot; WHAT names what then
# cannot run.
ensure_debian_tool() {
  local bin_name=$1 package=$2 what=$3 bin sudo=""
  bin=$(command -v "$bin_name" || true)
  if [ -z "$bin" ]; then
    echo "$bin_name is not installed; installing Debian's $package package" >&2
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package"; } >&2 || true
    bin=$(command -v "$bin_name" || true)
  fi
  if [ -z "$bin" ]; then
    echo "CANNOT INSTALL ${package^^} (apt-get failed or no root/sudo): $what cannot run" >&2
    return 1
  fi
  echo "$bin"
}
