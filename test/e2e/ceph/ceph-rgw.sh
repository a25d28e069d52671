#!/usr/bin/env bash
# ceph-rgw.sh up DIR | down DIR — a throwaway single-node Ceph for the e2e tests: 1 ceph-mon, 1 ceph-osd
# (memstore: data lives in RAM), 1 radosgw (S3 + STS + admin ops). No systemd, no containers, every socket
# on 127.0.0.1, every file (conf, keyring, logs, pids, admin sockets) under DIR. Facts (and the pitfalls
# each setting avoids) from Ceph 16.2 (Debian's pacific): doc/radosgw/config-ref.rst, doc/radosgw/STS.rst,
# src/vstart.sh; the § numbers below label the team's notes on those sources.
#
#   up DIR    DIR must not exist or be empty. Picks free ports (mon, rgw; the OSD gets a random 40-port
#             window below the kernel's ephemeral range). Prints nothing on stdout but DIR; writes
#             DIR/info.json (endpoint, ports, pids, keys, role ARN) and DIR/env (for `. DIR/env`).
#             Exit 75 = a port was taken between choosing and binding: run it again (the TS wrapper does).
#   down DIR  SIGKILLs the recorded daemons (memstore has nothing to flush, §4.8), then removes DIR.
#
# Env: WATCH_PID=<pid>  start a watchdog that runs `down DIR` once that process is gone (a test runner
#                       killed mid-run leaves nothing behind). KEEP_ON_FAIL=1 keeps daemons of a failed `up`.
# Needs (Debian 12): apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common
set -Eeuo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
PY=/usr/bin/python3   # Debian's, a dependency of ceph-common; only used for JSON and free ports
REGION=us-east-1
ROLE_NAME=avi-tasks ROLE_PATH=/avi/
ROLE_ARN="arn:aws:iam:::role/avi/$ROLE_NAME"
BUCKET_GLOB=avi-*     # the role may do s3:* on these buckets and their objects

# ---------------------------------------------------------------------------------------------- down
gone() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0; [ -z "$st" ] || [ "$st" = Z ]; }
ours() { case "$(cat "/proc/$1/comm" 2>/dev/null)" in ceph-mon|ceph-osd|radosgw|ceph-rgw.sh|bash|sleep) return 0;; *) return 1;; esac; }

down() {
  local d=$1 n f p left=0
  [ -d "$d" ] || return 0
  [ -f "$d/info.json" ] || [ -f "$d/ceph.conf" ] || [ -d "$d/run" ] || { echo "ceph-rgw: $d is not a ceph-rgw dir; not touching it" >&2; return 1; }
  # watchdog first (unless we are it), then the daemons; SIGKILL, so the order does not matter (§4.8)
  for n in watchdog rgw.a osd.0 mon.a; do
    f="$d/run/$n.pid"; [ -f "$f" ] || continue
    p=$(cat "$f"); [ "$p" = "$$" ] && continue
    gone "$p" || { ours "$p" && kill -KILL "$p" 2>/dev/null; } || true
  done
  for n in rgw.a osd.0 mon.a; do
    f="$d/run/$n.pid"; [ -f "$f" ] || continue
    p=$(cat "$f")
    # zombies count as gone: PID 1 reaps detached daemons in its own time (§4.9)
    for _ in $(seq 1 50); do gone "$p" && break; sleep 0.05; done
    gone "$p" || { echo "ceph-rgw: $n (pid $p) still alive" >&2; left=1; }
  done
  rm -rf "$d"
  return $left
}

# ---------------------------------------------------------------------------------------------- up
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
json_get() { "$PY" -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1:]: d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$@"; }

up() {
  local d=$1
  [ -e "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && { echo "ceph-rgw: FATAL: $d exists and is not empty" >&2; return 1; }
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool uuidgen "$PY"; do
    command -v "$b" >/dev/null || { echo "ceph-rgw: FATAL: missing $b (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common)" >&2; return 1; }
  done
  mkdir -p "$d"/{log,run,crash,mon/ceph-a,osd/ceph-0}
  D=$(cd "$d" && pwd)
  T0=$(date +%s%N)
  STARTED=()
  trap 'fail 1 "command failed (line $LINENO): $BASH_COMMAND"' ERR

  MON_PORT=$(free_port); RGW_PORT=$(free_port)
  [ "$MON_PORT" != "$RGW_PORT" ] || fail 75 "port picker returned the same port twice"
  OSD_PORT_MIN=$(( 10000 + RANDOM % 20000 )); OSD_PORT_MAX=$(( OSD_PORT_MIN + 39 ))
  FSID=$(uuidgen); OSD_UUID=$(uuidgen)
  STS_KEY=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')   # rgw sts key: exactly 16 chars
  export CEPH_CONF="$D/ceph.conf"
  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $OSD_PORT_MIN
ms bind port max = $OSD_PORT_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $D/keyring
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
crash dir = $D/crash
# one OSD: size-1 pools, few PGs (§4.2)
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# a nearly full /tmp must not shut the mon down (§4.13)
mon data avail warn = 1
mon data avail crit = 0
# map changes every 10 ms instead of every second: 1.2 s start-up instead of 12.8 s (§4.1)
paxos propose interval = 0.01
paxos min wait = 0.001

[mon]
mon data = $D/mon/\$cluster-\$id
mon cluster log file = $D/log/cluster.log

[osd]
osd data = $D/osd/\$cluster-\$id
osd objectstore = memstore
# a cap, not a reservation; writes hang (not fail) near it, so keep it generous (§4.7)
memstore device bytes = 4294967296

[client.rgw.a]
# endpoint= (not port=, which binds 0.0.0.0) (§4.11); 32 threads instead of 512 (§4.14)
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw thread pool size = 32
rgw enable usage log = false
rgw sts key = $STS_KEY
rgw s3 auth use sts = true
CONF

  local K="$D/keyring"
  ceph-authtool --create-keyring "$K" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$K" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$K" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$K" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  chmod 600 "$K"

  if [ -n "${WATCH_PID:-}" ]; then
    # Tear everything down once the test process is gone, however it died.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 0.5; done; [ -d "$2" ] && exec "$3" down "$2"' \
      ceph-rgw-watchdog "$WATCH_PID" "$D" "$SELF" </dev/null >/dev/null 2>&1 &
    echo $! >"$D/run/watchdog.pid"
  fi

  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$K" >"$D/log/mon.a.mkfs.out" 2>&1 || fail 1 "ceph-mon --mkfs failed"
  start mon.a ceph-mon -i a
  for i in $(seq 1 100); do
    # the fsid check makes sure it is *our* mon answering (§4.12)
    [ "$(ceph --connect-timeout 2 fsid 2>/dev/null)" = "$FSID" ] && break
    grep -qs 'unable to bind' "$D/log/mon.a.log" && fail 75 "mon port $MON_PORT was taken"
    alive mon.a; sleep 0.05
    [ "$i" = 100 ] && fail 1 "mon did not answer"
  done
  log "mon up on 127.0.0.1:$MON_PORT"

  [ "$(ceph osd new "$OSD_UUID")" = 0 ] || fail 1 "ceph osd new did not allocate id 0"
  ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd.0.mkfs.out" 2>&1 || fail 1 "ceph-osd --mkfs failed"
  start osd.0 ceph-osd -i 0
  for i in $(seq 1 200); do
    ceph osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break
    alive osd.0; sleep 0.05
    [ "$i" = 200 ] && fail 1 "osd did not come up"
  done
  log "osd up (ports $OSD_PORT_MIN-$OSD_PORT_MAX)"

  start rgw.a radosgw -n client.rgw.a
  for i in $(seq 1 300); do
    rgw_answers && break
    grep -qs 'failed to bind' "$D/log/client.rgw.a.log" && fail 75 "rgw port $RGW_PORT was taken"
    alive rgw.a; sleep 0.05
    [ "$i" = 300 ] && fail 1 "radosgw did not answer on 127.0.0.1:$RGW_PORT"
  done
  log "rgw answering on http://127.0.0.1:$RGW_PORT"

  # admin: admin-ops and IAM caps, for tests and key rotation; vault: no caps, the Vault AWS engine's
  # root keys, the only principal the role trusts.
  local admin vault
  admin=$(radosgw-admin user create --uid=avi-admin --display-name=avi-admin \
    --caps="users=*;buckets=*;metadata=*;usage=*;zone=*;roles=*;user-policy=*;oidc-provider=*")
  vault=$(radosgw-admin user create --uid=avi-vault --display-name=avi-vault)
  # compact JSON: RGW 16 rejects policy documents with whitespace from the IAM API (§4.4)
  radosgw-admin role create --role-name="$ROLE_NAME" --path="$ROLE_PATH" \
    --assume-role-policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/avi-vault"]},"Action":["sts:AssumeRole"]}]}' >/dev/null
  radosgw-admin role-policy put --role-name="$ROLE_NAME" --policy-name=s3-test-buckets \
    --policy-doc='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::'"$BUCKET_GLOB"'","arn:aws:s3:::'"$BUCKET_GLOB"'/*"]}]}' >/dev/null
  log "users avi-admin, avi-vault and role $ROLE_ARN created"

  local aak ask vak vsk
  aak=$(json_get keys 0 access_key <<<"$admin"); ask=$(json_get keys 0 secret_key <<<"$admin")
  vak=$(json_get keys 0 access_key <<<"$vault"); vsk=$(json_get keys 0 secret_key <<<"$vault")
  "$PY" - "$D/info.json" <<PYEOF
import json, sys
info = {
  "dir": "$D", "cephConf": "$CEPH_CONF", "endpoint": "http://127.0.0.1:$RGW_PORT", "region": "$REGION",
  "ports": {"mon": $MON_PORT, "rgw": $RGW_PORT, "osdMin": $OSD_PORT_MIN, "osdMax": $OSD_PORT_MAX},
  "pids": {n: int(open("$D/run/" + n + ".pid").read()) for n in ("mon.a", "osd.0", "rgw.a")},
  "admin": {"uid": "avi-admin", "accessKey": "$aak", "secretKey": "$ask"},
  "vault": {"uid": "avi-vault", "accessKey": "$vak", "secretKey": "$vsk"},
  "stsRoleArn": "$ROLE_ARN", "bucketGlob": "$BUCKET_GLOB",
}
with open(sys.argv[1] + ".tmp", "w") as f: json.dump(info, f, indent=2)
PYEOF
  mv "$D/info.json.tmp" "$D/info.json"; chmod 600 "$D/info.json"
  { echo "export CEPH_CONF=$CEPH_CONF"
    echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$RGW_PORT"
    echo "export AWS_DEFAULT_REGION=$REGION AWS_REGION=$REGION"
    echo "export AWS_ACCESS_KEY_ID=$aak AWS_SECRET_ACCESS_KEY=$ask"
    # RGW 16 answers 411 to the JS SDK's default aws-chunked uploads (§4.3)
    echo "export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"; } >"$D/env"
  chmod 600 "$D/env"
  trap - ERR
  log "ready"
  echo "$D"
}

log() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf 'ceph-rgw: [%d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*" >&2; }
start() { # name cmd...: foreground mode (-f), detached from our session, pid recorded (setsid execs in place)
  local n=$1; shift
  setsid "$@" -f </dev/null >"$D/log/$n.out" 2>&1 &
  echo $! >"$D/run/$n.pid"; STARTED+=($!)
}
alive() { kill -0 "$(cat "$D/run/$1.pid")" 2>/dev/null || fail 1 "$1 exited (see $D/log/$1.out and $D/log/*.log)"; }
rgw_answers() { # anonymous GET / answers 200 (no curl needed)
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT"; } 2>/dev/null || return 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || line=
  exec 3<&- 3>&-
  [[ "$line" == "HTTP/1."?" 200"* ]]
}
fail() { # code message: print log tails, kill what we started, keep the logs
  local code=$1; shift
  trap - ERR
  echo "ceph-rgw: FATAL: $*" >&2
  if [ "$code" != 75 ]; then
    for f in "$D"/log/*.log "$D"/log/*.out; do [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done
  fi
  if [ "${KEEP_ON_FAIL:-0}" != 1 ]; then
    [ -f "$D/run/watchdog.pid" ] && kill -KILL "$(cat "$D/run/watchdog.pid")" 2>/dev/null
    for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    [ "$code" = 75 ] && rm -rf "$D"
  fi
  exit "$code"
}

case "${1:-}" in
  up) up "${2:?usage: ceph-rgw.sh up DIR}" ;;
  down) down "${2:?usage: ceph-rgw.sh down DIR}" ;;
  *) echo "usage: ceph-rgw.sh up DIR | down DIR" >&2; exit 2 ;;
esac
