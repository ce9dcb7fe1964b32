#!/usr/bin/env bash
# bench/load.sh: end-to-end load test of kmsd over HTTP with wrk, one scenario at a time.
#
#   bench/load.sh                          # build (if needed) and start a release kmsd, load it
#   bench/load.sh http://127.0.0.1:8080    # load a kmsd that is already running (ENDPOINT=...)
#
# Without an endpoint it starts target/release/kmsd (built with `cargo build --release` only
# when the binary is missing) on 127.0.0.1:$PORT with a fresh temporary data dir (not
# --in-memory, so CreateKey pays its fsync), and stops it when the script exits.
# It creates the keys it needs, checks every scenario with one request, then runs wrk for each
# and prints one line per scenario: requests per second, median and 99th percentile latency
# (from wrk --latency) and errors (answers that are not 2xx, plus socket errors).
#
# Scenarios: encrypt_32 encrypt_4096 decrypt_32 generate_data_key generate_random describe_key
#   sign_p256 verify_p256 generate_mac rsa_encrypt rsa_decrypt create_key
#
# Environment (all optional):
#   ENDPOINT=http://127.0.0.1:PORT  load this server instead of starting one (loopback only)
#   DURATION=5           seconds of load per scenario
#   CONNS=64             open connections
#   THREADS=1            wrk threads (2 cores: one for wrk, one for the server)
#   SCENARIOS=a,b        run only these scenarios
#   CREATE_MAX=100000    at most this many CreateKey calls in create_key (a safety bound)
#   PORT=4590            port of the server this script starts
#   KMSD_BIN=target/release/kmsd   the binary to start
#   RSA_POOL_SIZE=0      --rsa-pool-size of the server this script starts (0: no background
#                        RSA key generation competing with the load for CPU)
#   RUST_LOG             passed to the server (unset: info, one log line per request)
#   KEEP=1               keep the work dir (bodies, wrk output, server log, data dir)
#   COOLDOWN=1           seconds of rest between scenarios
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LUA="$ROOT/bench/kms.lua"
ENDPOINT="${1:-${ENDPOINT:-}}"
DURATION="${DURATION:-5}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-1}"
SCENARIOS="${SCENARIOS:-}"
CREATE_MAX="${CREATE_MAX:-100000}"
PORT="${PORT:-4590}"
KMSD_BIN="${KMSD_BIN:-$ROOT/target/release/kmsd}"
RSA_POOL_SIZE="${RSA_POOL_SIZE:-0}"
KEEP="${KEEP:-0}"
COOLDOWN="${COOLDOWN:-1}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }

WORK="$(mktemp -d /tmp/kmsd-load.XXXXXX)"
mkdir -p "$WORK/bodies" "$WORK/wrk"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "$KEEP" == 1 ]]; then
    echo "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the server --------------------------------------------------------------------------
if [[ -n "$ENDPOINT" ]]; then
  ENDPOINT="${ENDPOINT%/}"
  hostport="${ENDPOINT#http://}"
  host="${hostport%:*}"
  [[ "$ENDPOINT" == http://* && "$hostport" == *:* ]] || {
    echo "ENDPOINT must look like http://127.0.0.1:PORT" >&2; exit 2; }
  case "$host" in
    127.*|localhost) ;;
    *) echo "refusing to load a non-loopback host: $host" >&2; exit 2 ;;
  esac
  SERVER_DESC="already running at $ENDPOINT"
else
  if [[ ! -x "$KMSD_BIN" ]]; then
    echo "building kmsd (release): $KMSD_BIN is missing"
    (cd "$ROOT" && cargo build --release --bin kmsd)
  fi
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; then
    echo "port $PORT is already in use; set PORT" >&2; exit 2
  fi
  ENDPOINT="http://127.0.0.1:$PORT"
  "$KMSD_BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$WORK/data" \
    --rsa-pool-size "$RSA_POOL_SIZE" >"$WORK/kmsd.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -s -o /dev/null "$ENDPOINT/health" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "kmsd exited:" >&2; tail "$WORK/kmsd.log" >&2; exit 1; }
    sleep 0.05
  done
  curl -s -o /dev/null "$ENDPOINT/health" || { echo "kmsd did not answer in 15 s" >&2; exit 1; }
  SERVER_DESC="$KMSD_BIN, pid $SERVER_PID, data dir $WORK/data, rsa pool $RSA_POOL_SIZE"
fi

# --- KMS calls with curl -----------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

random_b64() { head -c "$1" /dev/urandom | base64 -w0; }

# --- keys and request bodies -------------------------------------------------------------
SYM="$(kms CreateKey '{"Description":"load.sh symmetric"}' | field KeyMetadata.KeyId)"
ECC="$(kms CreateKey '{"Description":"load.sh p256","KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}' \
  | field KeyMetadata.KeyId)"
HMAC="$(kms CreateKey '{"Description":"load.sh hmac","KeySpec":"HMAC_256","KeyUsage":"GENERATE_VERIFY_MAC"}' \
  | field KeyMetadata.KeyId)"
RSA="$(kms CreateKey '{"Description":"load.sh rsa","KeySpec":"RSA_2048","KeyUsage":"ENCRYPT_DECRYPT"}' \
  | field KeyMetadata.KeyId)"

PT32="$(random_b64 32)"
PT4K="$(random_b64 4096)"
MSG="$(random_b64 32)"
BLOB="$(kms Encrypt "{\"KeyId\":\"$SYM\",\"Plaintext\":\"$PT32\"}" | field CiphertextBlob)"
SIG="$(kms Sign "{\"KeyId\":\"$ECC\",\"Message\":\"$MSG\",\"MessageType\":\"RAW\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}" \
  | field Signature)"
RSA_BLOB="$(kms Encrypt "{\"KeyId\":\"$RSA\",\"Plaintext\":\"$PT32\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}" \
  | field CiphertextBlob)"

# name, operation, body; one per line, in the order they run.
ALL_SCENARIOS=(
  "encrypt_32|Encrypt|{\"KeyId\":\"$SYM\",\"Plaintext\":\"$PT32\"}"
  "encrypt_4096|Encrypt|{\"KeyId\":\"$SYM\",\"Plaintext\":\"$PT4K\"}"
  "decrypt_32|Decrypt|{\"CiphertextBlob\":\"$BLOB\"}"
  "generate_data_key|GenerateDataKey|{\"KeyId\":\"$SYM\",\"KeySpec\":\"AES_256\"}"
  "generate_random|GenerateRandom|{\"NumberOfBytes\":32}"
  "describe_key|DescribeKey|{\"KeyId\":\"$SYM\"}"
  "sign_p256|Sign|{\"KeyId\":\"$ECC\",\"Message\":\"$MSG\",\"MessageType\":\"RAW\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}"
  "verify_p256|Verify|{\"KeyId\":\"$ECC\",\"Message\":\"$MSG\",\"MessageType\":\"RAW\",\"SigningAlgorithm\":\"ECDSA_SHA_256\",\"Signature\":\"$SIG\"}"
  "generate_mac|GenerateMac|{\"KeyId\":\"$HMAC\",\"Message\":\"$MSG\",\"MacAlgorithm\":\"HMAC_SHA_256\"}"
  "rsa_encrypt|Encrypt|{\"KeyId\":\"$RSA\",\"Plaintext\":\"$PT32\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}"
  "rsa_decrypt|Decrypt|{\"KeyId\":\"$RSA\",\"CiphertextBlob\":\"$RSA_BLOB\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}"
  "create_key|CreateKey|{\"Description\":\"load.sh create_key\",\"KeySpec\":\"SYMMETRIC_DEFAULT\"}"
)

# --- wrk output ----------------------------------------------------------------------------
# ms VALUE: a wrk duration ("812.00us", "1.20ms", "2.01s", "1.00m") in milliseconds.
ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
    if (f < 0) print "?"; else printf "%.2f", n * f }'
}

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "kmsd load: $(date -u +%Y-%m-%dT%H:%MZ)  commit $COMMIT  $(nproc) cores  load average $(cut -d" " -f1-3 /proc/loadavg)"
echo "server: $SERVER_DESC"
echo "wrk: $THREADS thread(s), $CONNS connections, ${DURATION}s per scenario"
printf '%-18s %12s %10s %10s %8s %10s\n' scenario 'req/s' 'p50 ms' 'p99 ms' errors calls

for entry in "${ALL_SCENARIOS[@]}"; do
  name="${entry%%|*}"; rest="${entry#*|}"; op="${rest%%|*}"; body="${rest#*|}"
  if [[ -n "$SCENARIOS" && ",$SCENARIOS," != *",$name,"* ]]; then
    continue
  fi
  printf '%s' "$body" >"$WORK/bodies/$name.json"
  if ! kms "$op" "$body" >/dev/null 2>"$WORK/precheck.err"; then
    printf '%-18s SKIPPED: %s\n' "$name" "$(head -c 200 "$WORK/precheck.err")"
    continue
  fi
  cap=0
  [[ "$op" == CreateKey ]] && cap=$(( (CREATE_MAX + THREADS - 1) / THREADS ))
  out="$WORK/wrk/$name.txt"
  OP="$op" BODY_FILE="$WORK/bodies/$name.json" CAP="$cap" \
    timeout -k 5 $((DURATION + 30)) wrk --latency -t "$THREADS" -c "$CONNS" -d "${DURATION}s" \
      --timeout 10s -s "$LUA" "$ENDPOINT/" >"$out" 2>&1 || true
  result="$(grep '^kms-result ' "$out" || true)"
  if [[ -z "$result" ]]; then
    printf '%-18s FAILED: wrk gave no result: %s\n' "$name" "$(tail -c 200 "$out" | tr '\n' ' ')"
    continue
  fi
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  p50="$(ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  p99="$(ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  calls="$(get calls)"; errors=$(( $(get non2xx) + $(get socket_errors) ))
  note=""
  [[ "$(get capped)" == 1 ]] && note="  (hit CREATE_MAX: req/s is over the whole ${DURATION}s, so too low)"
  [[ "$errors" != 0 ]] && note="$note  first error: $(sed -n 's/.* first_error=//p' <<<"$result" | head -c 160)"
  printf '%-18s %12s %10s %10s %8s %10s%s\n' "$name" "$rps" "$p50" "$p99" "$errors" "$calls" "$note"
  sleep "$COOLDOWN"
done

if [[ -n "$SERVER_PID" ]]; then
  rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)"
  echo "server RSS after the load: $(( ${rss_kb:-0} / 1024 )) MiB; data dir: $(du -sh "$WORK/data" | cut -f1)"
fi
