# bench/lib.sh: KMS calls with curl for the bench scripts (sourced; needs ENDPOINT and WORK).

# kms OP JSON: prints the answer's body; fails (with the answer on stderr) unless it is a 200.
kms() {
  local status
  status="$(curl -sS -o "$WORK/answer" -w '%{http_code}' -X POST "$ENDPOINT/" \
    -H 'Content-Type: application/x-amz-json-1.1' -H "X-Amz-Target: TrentService.$1" \
    --data-binary "$2")"
  if [[ "$status" != 200 ]]; then
    echo "$1 answered $status: $(head -c 300 "$WORK/answer")" >&2
    return 1
  fi
  cat "$WORK/answer"
}

# field NAME: a member of the JSON object on stdin; NAME may be a dotted path through objects
# and lists (KeyMetadata.KeyId, Keys.0.KeyId).
field() {
  python3 -c 'import json, sys
v = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    v = v[part] if not isinstance(v, list) else v[int(part)]
print(v)' "$1"
}
