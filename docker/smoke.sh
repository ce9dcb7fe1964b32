#!/usr/bin/env bash
# Smoke test of the Docker image, end to end: build it offline from a static binary, run it on a
# loopback port, wait until Docker calls it healthy, do an AWS CLI round trip, re-create the
# container on the same volume and check the data survived, then time `docker stop`.
# Without a Docker daemon it says so and exits 0. Run from anywhere: bash docker/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! timeout 20 docker info >/dev/null 2>&1; then
    echo "docker/smoke.sh: skipped: no docker daemon"
    exit 0
fi
if ! command -v aws >/dev/null 2>&1; then
    echo "docker/smoke.sh: the aws CLI is needed (python3 -m pip install awscli)" >&2
    exit 1
fi

readonly image=kmsd:smoke
readonly max_image_bytes=$((15 * 1000 * 1000))
readonly max_stop_ms=3000
readonly run_id="kmsd-smoke-$$"
readonly volume="$run_id"
work=$(mktemp -d)
containers=()

cleanup() {
    local status=$?
    for container in "${containers[@]}"; do
        docker rm -f -v "$container" >/dev/null 2>&1 || true
    done
    docker volume rm "$volume" >/dev/null 2>&1 || true
    docker image rm "$image" >/dev/null 2>&1 || true
    rm -rf "$work"
    if [ "$status" -ne 0 ]; then
        echo "docker/smoke.sh: FAILED" >&2
    fi
}
trap cleanup EXIT

say() { echo "docker/smoke.sh: $*"; }
fail() {
    echo "docker/smoke.sh: $*" >&2
    exit 1
}

# 1. The static binary, at the path the offline stage copies (target/ of this checkout, whatever
#    CARGO_TARGET_DIR says), then the image from it.
say "building the static binary"
CARGO_TARGET_DIR="$PWD/target" RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target x86_64-unknown-linux-gnu
binary=target/x86_64-unknown-linux-gnu/release/kmsd
# A static-pie binary is "statically linked" to ldd, a static non-PIE one "not a dynamic executable".
if ! ldd "$binary" 2>&1 | grep -Eq 'statically linked|not a dynamic executable'; then
    fail "$binary is not static: $(ldd "$binary" 2>&1 | tr '\n' ' ')"
fi
say "building $image (--target offline)"
docker build --quiet --target offline -t "$image" . >/dev/null
size=$(docker image inspect -f '{{.Size}}' "$image")
say "image size: $size bytes ($((size / 1000)) kB)"
[ "$size" -lt "$max_image_bytes" ] || fail "the image is over $max_image_bytes bytes"
user=$(docker image inspect -f '{{.Config.User}}' "$image")
[ "$user" = "65532:65532" ] || fail "the image runs as '$user', not 65532:65532"

docker volume create "$volume" >/dev/null

# Starts a container on the volume, on a free loopback port that Docker picks; sets $container
# and $endpoint once Docker reports it healthy.
start() {
    container=$(docker run -d --name "$run_id-$1" -p 127.0.0.1::8080 -v "$volume:/data" "$image")
    containers+=("$container")
    local port started=$SECONDS health=starting
    port=$(docker port "$container" 8080/tcp | grep -m1 '^127\.0\.0\.1:' | cut -d: -f2)
    endpoint="http://127.0.0.1:$port"
    # The image checks every 5 s; a healthy kmsd passes the first check.
    while [ "$health" != healthy ]; do
        if [ $((SECONDS - started)) -ge 60 ]; then
            docker logs "$container" >&2 || true
            fail "$1: not healthy after 60 s (health: $health)"
        fi
        sleep 0.5
        health=$(docker inspect -f '{{.State.Status}}/{{.State.Health.Status}}' "$container")
        case "$health" in
            running/*) health=${health#running/} ;;
            *)
                docker logs "$container" >&2 || true
                fail "$1: the container stopped ($health)"
                ;;
        esac
    done
    say "$1: healthy after $((SECONDS - started)) s on $endpoint"
}

kms() { aws --endpoint-url "$endpoint" kms "$@"; }
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KMS

# 2. A round trip, then the ciphertext kept for the next container.
start first
key_id=$(kms create-key --description "docker smoke" --query KeyMetadata.KeyId --output text)
kms create-alias --alias-name alias/smoke --target-key-id "$key_id"
printf 'hello from the container' >"$work/plain"
kms encrypt --key-id alias/smoke --plaintext "fileb://$work/plain" \
    --query CiphertextBlob --output text | base64 -d >"$work/cipher"
say "first: created $key_id as alias/smoke, encrypted $(wc -c <"$work/cipher") bytes"

# 3. A new container on the same volume: the old ciphertext decrypts, the alias resolves.
docker rm -f "$container" >/dev/null
start second
plain=$(kms decrypt --ciphertext-blob "fileb://$work/cipher" --query Plaintext --output text | base64 -d)
[ "$plain" = "hello from the container" ] || fail "second: decrypted '$plain'"
aliased=$(kms describe-key --key-id alias/smoke --query KeyMetadata.KeyId --output text)
[ "$aliased" = "$key_id" ] || fail "second: alias/smoke names '$aliased', not $key_id"
say "second: decrypted '$plain'; alias/smoke still names $key_id"

# 4. docker stop sends SIGTERM and kills after 10 s: kmsd must exit 0 well before that.
started_ns=$(date +%s%N)
docker stop "$container" >/dev/null
stop_ms=$((($(date +%s%N) - started_ns) / 1000000))
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
say "docker stop took $stop_ms ms; kmsd exited with $exit_code"
[ "$exit_code" = 0 ] || fail "kmsd exited with $exit_code on SIGTERM, not 0"
[ "$stop_ms" -lt "$max_stop_ms" ] || fail "docker stop took over $max_stop_ms ms"
say "ok"
