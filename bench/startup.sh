#!/usr/bin/env bash
# bench/startup.sh: time from exec to the first 200 from GET /health.
#
#   bench/startup.sh                 # 20 starts on an empty data dir, then 20 on 100,000 keys
#   RUNS=5 KEYS=0 bench/startup.sh   # only the empty data dir, 5 starts
#
# Empty data dir: every start gets a fresh, empty directory (kmsd creates its database).
# With KEYS > 0: one data dir filled once through `kmsd seed` (a generated seed file of KEYS
# symmetric keys with fixed material, in one scope, in files of 20,000) and started RUNS times.
# Each start: exec kmsd, poll /health over a fresh TCP connection every 0.5 ms until a 200,
# note the time, stop kmsd with SIGTERM and wait for it to exit (so the next start finds the
# data dir unlocked). Prints each time and the median, in ms.
#
# Environment (all optional):
#   RUNS=20                          starts per case
#   KEYS=100000                      keys of the second case (0: skip it)
#   PORT=4592                        port of the server
#   KMSD_BIN=target/release/kmsd     the binary (built only when missing)
#   KEEP=1                           keep the work dir (data dirs, seed file)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${RUNS:-20}"
KEYS="${KEYS:-100000}"
PORT="${PORT:-4592}"
KMSD_BIN="${KMSD_BIN:-$ROOT/target/release/kmsd}"
KEEP="${KEEP:-0}"

if [[ ! -x "$KMSD_BIN" ]]; then
  echo "building kmsd (release): $KMSD_BIN is missing"
  (cd "$ROOT" && cargo build --release --bin kmsd)
fi
if curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; then
  echo "port $PORT is already in use; set PORT" >&2; exit 2
fi
WORK="$(mktemp -d /tmp/kmsd-startup.XXXXXX)"
cleanup() { [[ "$KEEP" == 1 ]] && echo "work dir kept: $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

# starts DATA_DIR_OR_EMPTY: RUNS starts; "fresh" makes a new empty dir for each.
starts() {
  python3 - "$KMSD_BIN" "$PORT" "$RUNS" "$1" "$WORK" <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time

binary, port, runs, data, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
REQUEST = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()

def healthy():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(REQUEST)
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

times = []
for run in range(runs):
    directory = tempfile.mkdtemp(dir=work) if data == "fresh" else data
    args = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", directory]
    started = time.perf_counter()
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not healthy():
        if server.poll() is not None:
            sys.exit(f"kmsd exited with {server.returncode} before answering /health")
        if time.perf_counter() - started > 60:
            server.kill()
            sys.exit("no /health 200 within 60 s")
        time.sleep(0.0005)
    times.append((time.perf_counter() - started) * 1000)
    server.terminate()
    server.wait(timeout=60)
print("  starts (ms): " + " ".join(f"{t:.1f}" for t in times))
print(f"  median {statistics.median(times):.1f} ms, min {min(times):.1f}, max {max(times):.1f} ({runs} starts)")
PY
}

echo "== empty data dir ($RUNS starts, a fresh dir each)"
starts fresh

if (( KEYS > 0 )); then
  echo "== $KEYS keys ($RUNS starts on one data dir)"
  # The seed reader caps a file's YAML nodes (about 250,000), so 20,000 keys per file.
  python3 - "$KEYS" "$WORK" <<'PY'
import sys, uuid
n, work = int(sys.argv[1]), sys.argv[2]
per_file = 20_000
for start in range(0, n, per_file):
    with open(f"{work}/seed-{start // per_file:03}.yaml", "w") as f:
        f.write("Keys:\n")
        for i in range(start, min(n, start + per_file)):
            key_id = uuid.UUID(int=(0x5EED << 112) | (4 << 76) | (2 << 62) | i)
            f.write(f"  - KeyId: {key_id}\n    KeyMaterial: {i + 1:064x}\n")
PY
  t0="$(date +%s%N)"
  for seed in "$WORK"/seed-*.yaml; do
    "$KMSD_BIN" seed --data-dir "$WORK/keys" "$seed" >/dev/null
  done
  echo "  seeded in $(( ($(date +%s%N) - t0) / 1000000 )) ms, data dir $(du -sh "$WORK/keys" | cut -f1)"
  starts "$WORK/keys"
fi
