#!/usr/bin/env bash
# bench/scale.sh: how kmsd copes with many keys.
#
#   bench/scale.sh            # 100000 keys
#   N=2000 bench/scale.sh     # a quick try
#
# 1. starts kmsd (target/release/kmsd, built only when missing) on a fresh data dir and creates
#    N symmetric keys with wrk (many connections, exactly N CreateKey calls), watching the key
#    count in GET /health;
# 2. stops it with SIGTERM and measures the data dir (du -sb, du -sh);
# 3. starts it again on the same data dir and measures the time from exec until /health
#    answers, and the resident memory then;
# 4. pages through all keys with ListKeys (Limit 1000, following NextMarker) and measures the
#    time, the memory after, and checks that exactly N distinct keys came back;
# 5. stops it and prints a report.
# If creating the keys takes longer than CREATE_TIMEOUT, it stops there, reports the rate and
# goes on with the keys it has (the report says so).
#
# Environment (all optional):
#   N=100000             keys to create (a multiple of THREADS)
#   CONNS=256            wrk connections while creating (concurrent writes can share a flush)
#   THREADS=1            wrk threads
#   CREATE_TIMEOUT=300   seconds to give key creation before stopping early
#   PORT=4591            port of the server
#   KMSD_BIN=target/release/kmsd   the binary to start
#   RSA_POOL_SIZE=0      --rsa-pool-size (0: no background RSA key generation competing for CPU)
#   RUST_LOG             passed to the server (unset: info, one log line per request)
#   KEEP=1               keep the work dir (data dir, server logs, wrk output)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-100000}"
CONNS="${CONNS:-256}"
THREADS="${THREADS:-1}"
CREATE_TIMEOUT="${CREATE_TIMEOUT:-300}"
PORT="${PORT:-4591}"
KMSD_BIN="${KMSD_BIN:-$ROOT/target/release/kmsd}"
RSA_POOL_SIZE="${RSA_POOL_SIZE:-0}"
KEEP="${KEEP:-0}"
ENDPOINT="http://127.0.0.1:$PORT"

(( N > 0 && N % THREADS == 0 )) || { echo "N must be a positive multiple of THREADS" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [[ ! -x "$KMSD_BIN" ]]; then
  echo "building kmsd (release): $KMSD_BIN is missing"
  (cd "$ROOT" && cargo build --release --bin kmsd)
fi
if curl -s -o /dev/null "$ENDPOINT/health"; then
  echo "port $PORT is already in use; set PORT" >&2; exit 2
fi

WORK="$(mktemp -d /tmp/kmsd-scale.XXXXXX)"
DATA="$WORK/data"
SERVER_PID=""
WRK_PID=""

stop_server() { # prints the seconds SIGTERM took to end the server
  local t0 t1
  [[ -n "$SERVER_PID" ]] || return 0
  t0="$(date +%s%N)"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "kmsd did not stop within 30 s of SIGTERM; killing it" >&2
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  t1="$(date +%s%N)"
  SERVER_PID=""
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 1e9 }'
}

cleanup() {
  if [[ -n "$WRK_PID" ]] && kill -0 "$WRK_PID" 2>/dev/null; then
    kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  stop_server >/dev/null
  if [[ "$KEEP" == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server LOG: starts kmsd on $DATA and sets SERVER_PID and READY_MS (exec to first 200
# from /health, polled every 10 ms).
start_server() {
  local t0 t1
  t0="$(date +%s%N)"
  "$KMSD_BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$DATA" \
    --rsa-pool-size "$RSA_POOL_SIZE" >"$1" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 6000); do
    if curl -s -o /dev/null --max-time 1 "$ENDPOINT/health"; then
      t1="$(date +%s%N)"
      READY_MS=$(( (t1 - t0) / 1000000 ))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "kmsd exited:" >&2; tail "$1" >&2; exit 1; }
    sleep 0.01
  done
  echo "kmsd did not answer /health within 60 s" >&2
  exit 1
}

key_count() {
  curl -s --max-time 10 "$ENDPOINT/health" | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"])'
}

rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

echo "kmsd scale: N=$N  $(date -u +%Y-%m-%dT%H:%MZ)  commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')  $(nproc) cores  load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data dir: $DATA"

# --- 1. create N keys ----------------------------------------------------------------------
start_server "$WORK/kmsd-create.log"
FIRST_READY_MS=$READY_MS
printf '%s' '{"KeySpec":"SYMMETRIC_DEFAULT","Description":"scale.sh"}' >"$WORK/create.json"
create_start="$(date +%s%N)"
OP=CreateKey BODY_FILE="$WORK/create.json" CAP=$((N / THREADS)) \
  wrk -t "$THREADS" -c "$CONNS" -d "$((CREATE_TIMEOUT + 30))s" --timeout 30s \
    -s "$ROOT/bench/kms.lua" "$ENDPOINT/" >"$WORK/wrk-create.txt" 2>&1 &
WRK_PID=$!
keys=0; last_report="$create_start"; complete=1
while :; do
  sleep 0.2
  keys="$(key_count || echo "$keys")"
  now="$(date +%s%N)"
  (( keys >= N )) && break
  if ! kill -0 "$WRK_PID" 2>/dev/null; then
    echo "wrk ended early: $(tail -c 300 "$WORK/wrk-create.txt")" >&2
    complete=0; break
  fi
  if (( now - create_start >= CREATE_TIMEOUT * 1000000000 )); then
    echo "creation stopped after ${CREATE_TIMEOUT}s (CREATE_TIMEOUT) at $keys keys"
    complete=0; break
  fi
  if (( now - last_report >= 10000000000 )); then
    awk -v k="$keys" -v d=$((now - create_start)) \
      'BEGIN { printf "  %d keys after %.0f s (%.0f keys/s)\n", k, d / 1e9, k / (d / 1e9) }'
    last_report="$now"
  fi
done
create_ns=$((now - create_start))
kill -INT "$WRK_PID" 2>/dev/null || true   # wrk prints its report on SIGINT
wait "$WRK_PID" 2>/dev/null || true
WRK_PID=""
keys="$(key_count)"
create_result="$(grep '^kms-result ' "$WORK/wrk-create.txt" || echo 'kms-result (none)')"
RSS_CREATED="$(rss_mib)"
HWM_CREATED="$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status")"
STOP1_S="$(stop_server)"

# --- 2. the data dir ------------------------------------------------------------------------
DU_B="$(du -sb "$DATA" | cut -f1)"
DU_H="$(du -sh "$DATA" | cut -f1)"

# --- 3. restart -----------------------------------------------------------------------------
start_server "$WORK/kmsd-restart.log"
RESTART_MS=$READY_MS
RSS_START="$(rss_mib)"
KEYS_AFTER_RESTART="$(key_count)"

# --- 4. ListKeys through everything ---------------------------------------------------------
LIST="$(python3 "$ROOT/bench/list_keys.py" "$ENDPOINT" 1000)"
RSS_LISTED="$(rss_mib)"
STOP2_S="$(stop_server)"

# --- 5. report ------------------------------------------------------------------------------
jget() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$LIST" "$1"; }
listed="$(jget keys)"; distinct="$(jget distinct)"
expected="$N"; (( complete )) || expected="$keys"
check="OK"
[[ "$listed" == "$expected" && "$distinct" == "$expected" && "$KEYS_AFTER_RESTART" == "$expected" ]] \
  || check="MISMATCH (expected $expected)"

echo
echo "== kmsd scale report: N=$N"
awk -v k="$keys" -v d="$create_ns" -v c="$CONNS" \
  'BEGIN { printf "create        %d keys in %.1f s = %.0f keys/s (%d connections)\n", k, d / 1e9, k / (d / 1e9), c }'
(( complete )) || echo "              INCOMPLETE: stopped early; the rest of the report is for $keys keys"
echo "              wrk: ${create_result#kms-result }"
echo "              server RSS after creating: $RSS_CREATED MiB (peak $HWM_CREATED MiB); first start ready in $FIRST_READY_MS ms"
echo "stop          SIGTERM to exit: ${STOP1_S} s after creating, ${STOP2_S} s after listing"
echo "data dir      $DU_B bytes ($DU_H), $(awk -v b="$DU_B" -v k="$keys" 'BEGIN { printf "%.0f", b / k }') bytes per key"
echo "restart       ready (exec to first /health 200) in $RESTART_MS ms; RSS $RSS_START MiB"
echo "list keys     $listed keys ($distinct distinct) in $(jget pages) pages, $(jget seconds) s, slowest page $(jget slowest_page_ms) ms; RSS after $RSS_LISTED MiB"
echo "key count     health after restart $KEYS_AFTER_RESTART, listed $listed: $check"
[[ "$check" == OK ]]
