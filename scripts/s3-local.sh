#!/usr/bin/env bash
# s3-local.sh - a real S3 server for the audit ledger's tests: single-node Ceph (1 mon, 1 memstore
# OSD) plus radosgw on 127.0.0.1, and an Object Lock bucket (COMPLIANCE, default retention 1 day).
# Adapted from the team's known-good rgw-local.sh; installs Debian's ceph packages if missing.
#
# Usage:
#   eval "$(scripts/s3-local.sh start)"   # start (idempotent); prints export lines on stdout:
#                                         # AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
#                                         # AWS_REGION KFM_AUDIT_STORE=s3://<bucket>/<prefix>
#   scripts/s3-local.sh env               # print the export lines of a running instance
#   scripts/s3-local.sh status            # exit 0 if all daemons are alive and S3 answers
#   scripts/s3-local.sh stop              # kill the daemons it started (saved PIDs), delete state
#
# State dir: $KFM_S3_DIR [${TMPDIR:-/tmp}/kfm-s3-local]. Data is in memory (memstore).
# Env (defaults in brackets): RGW_PORT [7480]  RGW_MON_PORT [3300]  KFM_S3_BUCKET [kfm-audit-local]
#   KFM_S3_PREFIX [ledger]  RGW_ACCESS_KEY [kfm-local-access]  RGW_SECRET_KEY [kfm-local-secret]
#   RGW_MEMSTORE_BYTES [1073741824]
# Needs root (or sudo) only to install packages. Daemons run as the invoking user.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
case "$cmd" in
  start|stop|env|status) shift ;;
  --help|-h) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 start|env|status|stop" >&2; exit 2 ;;
esac
DIR=${KFM_S3_DIR:-${TMPDIR:-/tmp}/kfm-s3-local}
BUCKET=${KFM_S3_BUCKET:-kfm-audit-local}
PREFIX=${KFM_S3_PREFIX:-ledger}

PORT=${RGW_PORT:-7480}
MON_PORT=${RGW_MON_PORT:-3300}
ACCESS_KEY=${RGW_ACCESS_KEY:-kfm-local-access}
SECRET_KEY=${RGW_SECRET_KEY:-kfm-local-secret}
S3_UID=${RGW_UID:-kfm}
WITH_MGR=${RGW_WITH_MGR:-0}
MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-1073741824}

log() { echo "s3-local: $*" >&2; }
STARTING=0
SPAWNED=() # pids of the daemons this start spawned (killed if it fails, pid files or not)
die() { log "ERROR: $*"; exit 1; }
# Don't leave a half-started cluster behind if start fails anywhere, also when killed (a caller's
# timeout sends TERM): everything it spawned, and any daemon of this state dir, is stopped.
# (fd 8: the caller's stderr, for the trap may run inside a command whose stderr goes to /dev/null.)
exec 8>&2
trap 'if [ "$STARTING" = 1 ]; then log "start failed; stopping daemons (logs: $DIR/log)" 2>&8; stop_daemons; fi' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

print_env() {
  local port
  port=$(cat "$DIR/port" 2>/dev/null || echo "$PORT")
  cat <<EOF
export AWS_ENDPOINT_URL_S3='http://127.0.0.1:$port'
export AWS_ACCESS_KEY_ID='$(cat "$DIR/access_key" 2>/dev/null || echo "$ACCESS_KEY")'
export AWS_SECRET_ACCESS_KEY='$(cat "$DIR/secret_key" 2>/dev/null || echo "$SECRET_KEY")'
export AWS_REGION='us-east-1'
export KFM_AUDIT_STORE='s3://$BUCKET/$PREFIX'
EOF
}

alive() { # mon, osd, rgw (and mgr if started) all alive?
  local n f
  for n in mon osd rgw mgr; do
    f="$DIR/pids/$n.pid"
    if [ ! -e "$f" ]; then [ "$n" = mgr ] && continue; return 1; fi
    kill -0 "$(cat "$f")" 2>/dev/null || return 1
  done
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

s3_up() {
  local port
  port=$(cat "$DIR/port" 2>/dev/null || echo "$PORT")
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"
}

wait_s3_up() { # seconds: true once S3 answers within them
  local end=$((SECONDS + $1))
  until s3_up; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.5
  done
}

state_dir_pids() { # live processes started with this state dir's ceph.conf, pid file or not
  local p args
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case " $args" in *" -c $DIR/ceph.conf "*) echo "${p#/proc/}" ;; esac
  done
}

stop_daemons() {
  # Throwaway cluster: no graceful shutdown needed. TERM all, wait <=1s, then KILL. All: the pids
  # in pid files, those this start spawned, and any other process of this state dir (a daemon
  # whose pid file is gone would otherwise keep its port, and every later start would fail).
  local f pid pids=() candidates=("${SPAWNED[@]}")
  if [ -d "$DIR/pids" ]; then
    for f in "$DIR"/pids/*.pid; do [ -e "$f" ] && candidates+=("$(cat "$f")"); done
  fi
  [ -e "$DIR/ceph.conf" ] && mapfile -t -O "${#candidates[@]}" candidates < <(state_dir_pids)
  for pid in "${candidates[@]}"; do
    [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" != $$ ] || continue
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for _ in $(seq 1 10); do
    local any=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
    [ "$any" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do  # bounded: an unreaped zombie still answers kill -0
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
  SPAWNED=()
  rm -f "$DIR"/pids/*.pid
}

spawn_daemon() { # name cmd...: start a daemon in the background, its pid saved and remembered
  local name=$1; shift
  # Not holding the caller's stderr (8) nor the state dir's lock (9).
  "$@" >"$DIR/log/$name.out" 2>&1 8>&- 9>&- &
  SPAWNED+=("$!")
  echo "$!" > "$DIR/pids/$name.pid"
}

lock_state_dir() { # one start or stop of a state dir at a time (a second start then finds it up)
  command -v flock >/dev/null || return 0
  exec 9>"$DIR/.lock"
  flock -w 600 9 || die "another s3-local.sh start/stop of $DIR held its lock for 600 s"
}

clean_dir() { # remove only what start creates
  rm -rf "${DIR:?}"/{ceph.conf,keyring,monmap,mon,osd.0,mgr,rgw,run,log,pids,port,access_key,secret_key}
}

ensure_packages() {
  local missing=()
  command -v ceph-mon  >/dev/null || missing+=(ceph-mon)
  command -v ceph-osd  >/dev/null || missing+=(ceph-osd)
  command -v radosgw   >/dev/null || missing+=(radosgw)
  command -v ceph      >/dev/null || missing+=(ceph-common)
  command -v monmaptool >/dev/null || missing+=(ceph-common)
  command -v curl      >/dev/null || missing+=(curl)
  if [ "$WITH_MGR" = 1 ]; then command -v ceph-mgr >/dev/null || missing+=(ceph-mgr); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2 || true
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

wait_for() { # desc timeout_s cmd...
  local desc=$1 t=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && die "timeout waiting for $desc (see $DIR/log)"
    sleep 0.5
  done
}

ensure_bucket() { # Object Lock bucket, COMPLIANCE default retention 1 day (idempotent)
  local port
  port=$(cat "$DIR/port")
  (cd "$REPO" && AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID="$(cat "$DIR/access_key")" \
    AWS_SECRET_ACCESS_KEY="$(cat "$DIR/secret_key")" AWS_REGION=us-east-1 BUCKET="$BUCKET" AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node -e '
const s3 = require("@aws-sdk/client-s3");
const c = new s3.S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, region: "us-east-1",
  requestChecksumCalculation: "WHEN_REQUIRED" });
const Bucket = process.env.BUCKET;
(async () => {
  try { await c.send(new s3.CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true })); }
  catch (e) { if (e.name !== "BucketAlreadyOwnedByYou" && e.name !== "BucketAlreadyExists") throw e; }
  await c.send(new s3.PutObjectLockConfigurationCommand({ Bucket, ObjectLockConfiguration: {
    ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 1 } } } }));
  const got = await c.send(new s3.GetObjectLockConfigurationCommand({ Bucket }));
  const r = got.ObjectLockConfiguration?.Rule?.DefaultRetention;
  if (r?.Mode !== "COMPLIANCE" || r?.Days !== 1) throw new Error("object lock default retention not applied: " + JSON.stringify(r));
})().catch((e) => { console.error("s3-local: bucket " + Bucket + ": " + e.name + ": " + e.message); process.exit(1); });
') >&2 || die "could not create Object Lock bucket $BUCKET"
}

start() {
  local t0=$SECONDS
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  lock_state_dir
  # Daemons alive but slow to answer (a loaded machine): wait, never restart a running server under
  # the tests that use it.
  if alive && wait_s3_up 30; then
    log "already running in $DIR"
    ensure_bucket
    print_env
    return 0
  fi
  ensure_packages
  STARTING=1
  # Stale or partial state: start from scratch (memstore keeps nothing anyway).
  stop_daemons
  local p
  for p in "$PORT" "$MON_PORT"; do
    port_busy "$p" && die "127.0.0.1:$p already in use (set RGW_PORT / RGW_MON_PORT)"
  done
  clean_dir
  mkdir -p "$DIR"/{mon,osd.0,mgr,rgw,run,log,pids}
  echo "$PORT" > "$DIR/port"
  echo "$ACCESS_KEY" > "$DIR/access_key"
  echo "$SECRET_KEY" > "$DIR/secret_key"

  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$DIR/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
keyring = $DIR/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd crush initial weight = 1
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
mon data avail warn = 2
mon data avail crit = 1
mon warn on insecure global id reclaim allowed = false

[mon]
mon data = $DIR/mon

[mgr]
mgr data = $DIR/mgr

[osd]
osd data = $DIR/osd.0

[client.rgw.local]
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw dns name = localhost
# radosgw defaults to a secure mon connection + cephx; with auth none use crc
ms mon client mode = crc
auth client required = none
EOF
  export CEPH_CONF="$DIR/ceph.conf"
  : > "$DIR/keyring"

  log "mon..."
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$DIR/monmap" >"$DIR/log/mkfs-mon.out" 2>&1 \
    || die "ceph-mon --mkfs failed: $(tail -5 "$DIR/log/mkfs-mon.out")"
  spawn_daemon mon ceph-mon -c "$CEPH_CONF" -i a -f
  wait_for "mon" 60 ceph -c "$CEPH_CONF" --connect-timeout 2 mon stat

  if [ "$WITH_MGR" = 1 ]; then
    log "mgr..."
    spawn_daemon mgr ceph-mgr -c "$CEPH_CONF" -i x -f
  fi

  log "osd..."
  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph -c "$CEPH_CONF" osd new "$osd_uuid")
  [ "$osd_id" = 0 ] || die "unexpected osd id '$osd_id'"
  ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/mkfs-osd.out" 2>&1 \
    || die "ceph-osd --mkfs failed: $(tail -5 "$DIR/log/mkfs-osd.out")"
  spawn_daemon osd ceph-osd -c "$CEPH_CONF" -i 0 -f
  wait_for "osd up" 60 sh -c "ceph -c '$CEPH_CONF' osd dump | grep -q '^osd.0 up'"

  # Pre-create the pools RGW would otherwise create lazily on the first
  # CreateBucket/PutObject (each adds ~2s to the first S3 request).
  local pool
  for pool in .rgw.root default.rgw.control default.rgw.meta default.rgw.log \
              default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    ceph -c "$CEPH_CONF" osd pool create "$pool" 8 8 >/dev/null 2>&1 || die "pool create $pool failed"
    ceph -c "$CEPH_CONF" osd pool application enable "$pool" rgw >/dev/null 2>&1 || die "pool app $pool failed"
  done

  log "rgw on 127.0.0.1:$PORT..."
  spawn_daemon rgw radosgw -c "$CEPH_CONF" -n client.rgw.local -f
  wait_for "rgw http" 120 s3_up

  if ! radosgw-admin -c "$CEPH_CONF" -n client.rgw.local user info --uid="$S3_UID" >/dev/null 2>&1; then
    radosgw-admin -c "$CEPH_CONF" -n client.rgw.local user create --uid="$S3_UID" \
      --display-name="$S3_UID" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
      >"$DIR/log/user.out" 2>&1 || die "user create failed: $(tail -5 "$DIR/log/user.out")"
  fi
  ensure_bucket
  STARTING=0
  local rss=0 f
  for f in "$DIR"/pids/*.pid; do rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null || echo 0))); done
  log "ready: http://127.0.0.1:$PORT bucket $BUCKET in $((SECONDS - t0))s, daemons RSS $((rss / 1024)) MB (dir $DIR)"
  print_env
}

case "$cmd" in
  start) start ;;
  env)
    alive || die "not running (state dir $DIR)"
    print_env ;;
  status)
    [ -d "$DIR" ] && alive && wait_s3_up 10 ;;
  stop)
    [ -d "$DIR" ] || exit 0
    DIR=$(cd "$DIR" && pwd)
    lock_state_dir
    stop_daemons
    if [ "${RGW_KEEP_DIR:-0}" != 1 ]; then
      clean_dir
      rm -f "$DIR/.lock"
      rmdir "$DIR" 2>/dev/null || true
    fi
    log "stopped" ;;
esac
