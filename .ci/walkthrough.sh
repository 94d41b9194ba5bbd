#!/usr/bin/env bash
# Runs the README's curl walkthrough, as written, against a fresh server with an empty data
# directory, and checks its outcomes and that no issued secret reached the log or data directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/debug/credential-issuer-server}"
work="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

block="$(awk '/<!-- walkthrough:begin -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' "$root/README.md" \
  | sed -e '/^```/d')"
port=8080
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "walkthrough: 127.0.0.1:8080 is taken on this machine; using port $port instead"
  block="${block//127.0.0.1:8080/127.0.0.1:$port}"
fi

cd "$work"
"$bin" serve --addr "127.0.0.1:$port" --data-dir .credential-issuer >"$work/stdout.log" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done

# The block keeps the secrets in variables; the check needs them afterwards.
bash -euo pipefail -c "$block"$'\n''printf "%s\n" "$SECRET_V1" "$SECRET_V2" >secrets.txt' >"$work/transcript.txt"
cat "$work/transcript.txt"
echo

fail() { echo "walkthrough: $*" >&2; exit 1; }
grep -q '"protocol"' "$work/transcript.txt" || fail "no manifest"
[ "$(grep -c '^{"active":true' "$work/transcript.txt")" -eq 3 ] || fail "expected three active introspections"
grep -q '^{"active":false}$' "$work/transcript.txt" || fail "revoked version 1 still active"
for action in credential.create credential.introspect credential.rotate credential.revoke; do
  grep -q "\"action\":\"$action\"" "$work/transcript.txt" || fail "no $action audit event"
done
secrets="$(grep -E '^cik_[0-9A-Za-z]{49}$' secrets.txt || true)"
[ "$(echo "$secrets" | wc -l)" -eq 2 ] || fail "the walkthrough did not issue two secrets"
rm secrets.txt
for secret in $secrets; do
  if grep -rq "$secret" "$work/server.log" .credential-issuer; then
    fail "an issued secret was found in the server log or the data directory"
  fi
done
token="$(cat .credential-issuer/bootstrap-token)"

# The server's documents against schemas/, with Python's jsonschema (not our validator).
ISSUER="http://127.0.0.1:$port" TOKEN="$token" SCHEMAS="$root/schemas" python3 - <<'PY'
import json, os, urllib.request
from jsonschema import Draft202012Validator

def fetch(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)

def check(name, document):
    with open(os.path.join(os.environ["SCHEMAS"], name + ".schema.json")) as f:
        schema = json.load(f)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(document)]
    if errors:
        raise SystemExit(f"walkthrough: {name} does not validate: {errors[:3]}")

issuer, token = os.environ["ISSUER"], os.environ["TOKEN"]
manifest = fetch(issuer + "/.well-known/credential-issuer")
check("manifest", manifest)
check("permission-schema", fetch(manifest["permission_schema_url"]))
api = manifest["credential_issuer_endpoint"]
page = fetch(api + "/credentials", token)
check("credential-page", page)
for credential in page["items"]:
    check("credential", credential)
    check("credential", fetch(api + "/credentials/" + credential["id"], token))
audit = fetch(api + "/audit", token)
check("audit-page", audit)
for event in audit["items"]:
    check("audit-event", event)
print(f"walkthrough: manifest, permission schema, {len(page['items'])} credential(s) and "
      f"{len(audit['items'])} audit events validate (Python jsonschema)")
PY
if grep -q "$token" "$work/server.log"; then fail "the bootstrap token is in the server log"; fi
echo "walkthrough: ok ($(echo "$secrets" | wc -l) secrets issued; none in the log or data directory)"

# The same tour with credctl (the README's second block), with credctl on PATH.
credctl_block="$(awk '/<!-- credctl-walkthrough:begin -->/{on=1; next} /<!-- credctl-walkthrough:end -->/{on=0} on' "$root/README.md" \
  | sed -e '/^```/d')"
credctl_block="${credctl_block//127.0.0.1:8080/127.0.0.1:$port}"
PATH="$(dirname "$bin"):$PATH" bash -euo pipefail -c "$credctl_block" >"$work/credctl.txt"
cat "$work/credctl.txt"
[ "$(grep -c '^active cred_' "$work/credctl.txt")" -eq 3 ] || fail "credctl: expected three active introspections"
grep -q 'version 1 is no longer active (exit 3)' "$work/credctl.txt" || fail "credctl: version 1 still active"
grep -q 'credential.revoke' "$work/credctl.txt" || fail "credctl: no revoke in the audit log"
if grep -qE 'cik_[0-9A-Za-z]{49}' "$work/credctl.txt"; then fail "credctl printed a secret it was told to write to a file"; fi
echo "walkthrough: credctl ok"
