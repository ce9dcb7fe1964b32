#!/usr/bin/env bash
# bench/soak.sh: minutes of mixed load on one kmsd, watching for errors and for leaks.
#
#   bench/soak.sh                    # 10 minutes against a fresh release kmsd on a data dir
#   SOAK_SECONDS=20 bench/soak.sh    # a short check of the script itself
#
# It starts target/release/kmsd (built with `cargo build --release` only when missing) on
# 127.0.0.1:$PORT with a fresh data dir (not --in-memory: writes pay their fsync), creates the
# keys, aliases, tags, grants and ciphertexts the mix needs, and then runs wrk with $CONNS
# connections for the whole time, each connection going round the mix (bench/soak.lua):
# symmetric (Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom), asymmetric (ECC
# Sign/Verify, RSA Encrypt/Decrypt, GetPublicKey, GenerateDataKeyPair, DeriveSharedSecret),
# HMAC, key management (DescribeKey, UpdateKeyDescription, and a CreateKey every
# $CREATE_EVERY calls per connection), aliases (UpdateAlias back and forth, ListAliases with a
# marker), tags, grants (a named CreateGrant, which repeats, ListGrants, ListRetirableGrants),
# rotation (EnableKeyRotation, GetKeyRotationStatus, ListKeyRotations), policies, key usage
# and ListKeys with a marker. Every $ADVANCE_EVERY seconds it moves kmsd's clock 30 days
# forward (so automatic rotations happen under load).
#
# It prints the server's RSS, open file descriptors, key count and data dir size at the
# start, every $REPORT_EVERY seconds and at the end, then the calls, their rate and the
# errors (answers that are not 2xx, plus socket errors). It exits 1 if there was any error.
# After warm-up RSS and descriptors should stay flat; the key count and data dir grow only
# with the CreateKey calls and rotations.
#
# Environment (all optional):
#   SOAK_MINUTES=10       minutes of load (SOAK_SECONDS, if set, wins: for short checks)
#   CONNS=64              open connections
#   THREADS=1             wrk threads (2 cores: one for wrk, one for the server)
#   REPORT_EVERY=60       seconds between reports
#   ADVANCE_EVERY=60      seconds between clock advances (30 days each)
#   CREATE_EVERY=2000     one CreateKey per this many calls of each connection (0: none)
#   PORT=4591             port of the server
#   KMSD_BIN=target/release/kmsd
#   KEEP=1                keep the work dir (mix, wrk output, server log, data dir)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LUA="$ROOT/bench/soak.lua"
if [[ -n "${SOAK_SECONDS:-}" ]]; then
  TOTAL="$SOAK_SECONDS"
else
  TOTAL=$(( ${SOAK_MINUTES:-10} * 60 ))
fi
CONNS="${CONNS:-64}"
THREADS="${THREADS:-1}"
REPORT_EVERY="${REPORT_EVERY:-60}"
ADVANCE_EVERY="${ADVANCE_EVERY:-60}"
CREATE_EVERY="${CREATE_EVERY:-2000}"
PORT="${PORT:-4591}"
KMSD_BIN="${KMSD_BIN:-$ROOT/target/release/kmsd}"
KEEP="${KEEP:-0}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }

WORK="$(mktemp -d /tmp/kmsd-soak.XXXXXX)"
SERVER_PID=""
WRK_PID=""

cleanup() {
  [[ -n "$WRK_PID" ]] && kill "$WRK_PID" 2>/dev/null || true
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
if [[ ! -x "$KMSD_BIN" ]]; then
  echo "building kmsd (release): $KMSD_BIN is missing"
  (cd "$ROOT" && cargo build --release --bin kmsd)
fi
ENDPOINT="http://127.0.0.1:$PORT"
if curl -s -o /dev/null "$ENDPOINT/health"; then
  echo "port $PORT is already in use; set PORT" >&2; exit 2
fi
RUST_LOG="${RUST_LOG:-warn}" "$KMSD_BIN" serve --host 127.0.0.1 --port "$PORT" \
  --data-dir "$WORK/data" --rsa-pool-size 0 >"$WORK/kmsd.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  curl -s -o /dev/null "$ENDPOINT/health" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "kmsd exited:" >&2; tail "$WORK/kmsd.log" >&2; exit 1; }
  sleep 0.05
done
curl -s -o /dev/null "$ENDPOINT/health" || { echo "kmsd did not answer in 15 s" >&2; exit 1; }

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

key() { kms CreateKey "$1" | field KeyMetadata.KeyId; }
b64() { head -c "$1" /dev/urandom | base64 -w0; }

# --- what the mix needs --------------------------------------------------------------------
SYM="$(key '{"Description":"soak symmetric"}')"
SYM2="$(key '{"Description":"soak symmetric 2"}')"
ECC="$(key '{"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}')"
AGREE="$(key '{"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT"}')"
HMAC="$(key '{"KeySpec":"HMAC_256","KeyUsage":"GENERATE_VERIFY_MAC"}')"
RSA="$(key '{"KeySpec":"RSA_2048","KeyUsage":"ENCRYPT_DECRYPT"}')"
for name in a b c; do
  kms CreateAlias "{\"AliasName\":\"alias/soak-$name\",\"TargetKeyId\":\"$SYM\"}" >/dev/null
done
kms EnableKeyRotation "{\"KeyId\":\"$SYM\",\"RotationPeriodInDays\":90}" >/dev/null
PT="$(b64 64)"
MSG="$(b64 32)"
BLOB="$(kms Encrypt "{\"KeyId\":\"$SYM\",\"Plaintext\":\"$PT\",\"EncryptionContext\":{\"app\":\"soak\"}}" | field CiphertextBlob)"
SIG="$(kms Sign "{\"KeyId\":\"$ECC\",\"Message\":\"$MSG\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}" | field Signature)"
MAC="$(kms GenerateMac "{\"KeyId\":\"$HMAC\",\"Message\":\"$MSG\",\"MacAlgorithm\":\"HMAC_SHA_256\"}" | field Mac)"
RSA_BLOB="$(kms Encrypt "{\"KeyId\":\"$RSA\",\"Plaintext\":\"$MSG\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}" | field CiphertextBlob)"
PEER="$(kms GetPublicKey "{\"KeyId\":\"$AGREE\"}" | field PublicKey)"
KEYS_MARKER="$(kms ListKeys '{"Limit":2}' | field NextMarker)"
ALIASES_MARKER="$(kms ListAliases '{"Limit":1}' | field NextMarker)"
GRANT="{\"KeyId\":\"$SYM\",\"GranteePrincipal\":\"arn:aws:iam::123456789012:role/soak\",\"Operations\":[\"Decrypt\",\"Encrypt\"],\"Name\":\"soak\",\"RetiringPrincipal\":\"arn:aws:iam::123456789012:role/soak\"}"
kms CreateGrant "$GRANT" >/dev/null

# Operation TAB body; the cheap cryptographic calls appear more than once, as in real use.
MIX="$WORK/mix.tsv"
{
  for _ in 1 2 3; do
    printf 'Encrypt\t{"KeyId":"%s","Plaintext":"%s"}\n' "$SYM" "$PT"
    printf 'Decrypt\t{"CiphertextBlob":"%s","EncryptionContext":{"app":"soak"}}\n' "$BLOB"
    printf 'GenerateDataKey\t{"KeyId":"alias/soak-b","KeySpec":"AES_256"}\n'
    printf 'DescribeKey\t{"KeyId":"alias/soak-a"}\n'
  done
  printf 'GenerateDataKeyWithoutPlaintext\t{"KeyId":"%s","NumberOfBytes":32}\n' "$SYM"
  printf 'ReEncrypt\t{"CiphertextBlob":"%s","SourceEncryptionContext":{"app":"soak"},"DestinationKeyId":"%s"}\n' "$BLOB" "$SYM2"
  printf 'GenerateRandom\t{"NumberOfBytes":32}\n'
  printf 'Sign\t{"KeyId":"%s","Message":"%s","SigningAlgorithm":"ECDSA_SHA_256"}\n' "$ECC" "$MSG"
  printf 'Verify\t{"KeyId":"%s","Message":"%s","Signature":"%s","SigningAlgorithm":"ECDSA_SHA_256"}\n' "$ECC" "$MSG" "$SIG"
  printf 'GetPublicKey\t{"KeyId":"%s"}\n' "$ECC"
  printf 'Encrypt\t{"KeyId":"%s","Plaintext":"%s","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}\n' "$RSA" "$MSG"
  printf 'Decrypt\t{"KeyId":"%s","CiphertextBlob":"%s","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}\n' "$RSA" "$RSA_BLOB"
  printf 'GenerateDataKeyPair\t{"KeyId":"%s","KeyPairSpec":"ECC_NIST_P256"}\n' "$SYM"
  printf 'DeriveSharedSecret\t{"KeyId":"%s","KeyAgreementAlgorithm":"ECDH","PublicKey":"%s"}\n' "$AGREE" "$PEER"
  printf 'GenerateMac\t{"KeyId":"%s","Message":"%s","MacAlgorithm":"HMAC_SHA_256"}\n' "$HMAC" "$MSG"
  printf 'VerifyMac\t{"KeyId":"%s","Message":"%s","Mac":"%s","MacAlgorithm":"HMAC_SHA_256"}\n' "$HMAC" "$MSG" "$MAC"
  printf 'UpdateKeyDescription\t{"KeyId":"%s","Description":"soak %s"}\n' "$SYM2" "$(date +%s)"
  printf 'ListKeys\t{"Limit":10}\n'
  printf 'ListKeys\t{"Limit":5,"Marker":"%s"}\n' "$KEYS_MARKER"
  printf 'UpdateAlias\t{"AliasName":"alias/soak-c","TargetKeyId":"%s"}\n' "$SYM2"
  printf 'UpdateAlias\t{"AliasName":"alias/soak-c","TargetKeyId":"%s"}\n' "$SYM"
  printf 'ListAliases\t{"Limit":5}\n'
  printf 'ListAliases\t{"Limit":2,"Marker":"%s"}\n' "$ALIASES_MARKER"
  printf 'TagResource\t{"KeyId":"%s","Tags":[{"TagKey":"team","TagValue":"soak"}]}\n' "$SYM2"
  printf 'UntagResource\t{"KeyId":"%s","TagKeys":["team"]}\n' "$SYM2"
  printf 'ListResourceTags\t{"KeyId":"%s"}\n' "$SYM2"
  printf 'CreateGrant\t%s\n' "$GRANT"
  printf 'ListGrants\t{"KeyId":"%s","Limit":5}\n' "$SYM"
  printf 'ListRetirableGrants\t{"RetiringPrincipal":"arn:aws:iam::123456789012:role/soak"}\n'
  printf 'EnableKeyRotation\t{"KeyId":"%s","RotationPeriodInDays":90}\n' "$SYM"
  printf 'GetKeyRotationStatus\t{"KeyId":"%s"}\n' "$SYM"
  printf 'ListKeyRotations\t{"KeyId":"%s","Limit":5}\n' "$SYM"
  printf 'GetKeyPolicy\t{"KeyId":"%s","PolicyName":"default"}\n' "$SYM"
  printf 'GetKeyLastUsage\t{"KeyId":"%s"}\n' "$SYM"
} >"$MIX"
# Every call of the mix works once before the load starts.
while IFS=$'\t' read -r op body; do
  kms "$op" "$body" >/dev/null || { echo "the mix's $op fails" >&2; exit 1; }
done <"$MIX"

# --- the load and the watch ----------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
data_kib() { du -sk "$WORK/data" | cut -f1; }
keys() { curl -s "$ENDPOINT/health" | field keys; }
report() {
  printf '%-8s %8s %10s %6s %8s %10s\n' "$1" "${2}s" "$(rss_kib)" "$(fds)" "$(keys)" "$(data_kib)"
}

COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "kmsd soak: $(date -u +%Y-%m-%dT%H:%MZ)  commit $COMMIT  $(nproc) cores  load average $(cut -d" " -f1-3 /proc/loadavg)"
echo "server: $KMSD_BIN, pid $SERVER_PID, data dir $WORK/data"
echo "wrk: $THREADS thread(s), $CONNS connections, ${TOTAL}s, $(wc -l <"$MIX") calls in the mix, a CreateKey every $CREATE_EVERY calls per connection, the clock 30 days on every ${ADVANCE_EVERY}s"
printf '%-8s %9s %10s %6s %8s %10s\n' when elapsed 'rss KiB' fds keys 'data KiB'
report start 0

MIX_FILE="$MIX" CREATE_EVERY="$CREATE_EVERY" \
  timeout -k 5 $((TOTAL + 60)) wrk -t "$THREADS" -c "$CONNS" -d "${TOTAL}s" --timeout 10s \
    -s "$LUA" "$ENDPOINT/" >"$WORK/wrk.txt" 2>&1 &
WRK_PID=$!
STARTED=$(date +%s)
next_report=$REPORT_EVERY
next_advance=$ADVANCE_EVERY
advances=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep 1
  elapsed=$(( $(date +%s) - STARTED ))
  if (( elapsed >= next_advance && elapsed < TOTAL )); then
    curl -s -o /dev/null -X POST "$ENDPOINT/_kmsd/clock/advance" \
      -H 'Content-Type: application/json' -d '{"seconds": 2592000}'
    advances=$((advances + 1))
    next_advance=$((next_advance + ADVANCE_EVERY))
  fi
  if (( elapsed >= next_report && elapsed < TOTAL )); then
    report during "$elapsed"
    next_report=$((next_report + REPORT_EVERY))
  fi
done
wait "$WRK_PID" || true
WRK_PID=""
report end "$(( $(date +%s) - STARTED ))"

result="$(grep '^soak-result ' "$WORK/wrk.txt" || true)"
if [[ -z "$result" ]]; then
  echo "wrk gave no result: $(tail -c 300 "$WORK/wrk.txt" | tr '\n' ' ')" >&2
  exit 1
fi
calls="$(sed -E 's/.* calls=([0-9]+).*/\1/' <<<"$result")"
non2xx="$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$result")"
socket="$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<<"$result")"
first="$(sed -E 's/.* first_error=//' <<<"$result")"
rps="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")"
rotations="$(kms ListKeyRotations "{\"KeyId\":\"$SYM\"}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Rotations"]))')"
echo "calls $calls (${rps} per second), clock advances $advances (the key with rotation on rotated $rotations times)"
errors=$((non2xx + socket))
if [[ "$first" == "-" ]]; then first=""; fi
echo "errors $errors (not 2xx $non2xx, socket $socket)${first:+, first: $first}"
(( errors == 0 ))
