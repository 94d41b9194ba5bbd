#!/usr/bin/env bash
# The aws-iam shim against a real AWS emulator: installs moto (pinned), starts moto_server on
# loopback with SigV4 checking on (after the three unauthenticated calls that make the admin
# user, its policy and its key), starts our server with a gateway config hosting aws-iam over
# it, and runs the conformance suite, with mutations, against that issuer. Operations IAM
# cannot do are skipped with the vendor's reason; any failure fails this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "moto[server]==5.2.5"
cargo build --quiet -p credential-issuer-server -p credential-issuer-conformance
server="$root/target/debug/credential-issuer-server"
suite="$root/target/debug/credential-issuer-conformance"
rig="$root/issuer-server/tests/it/aws/moto_rig.py"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" "${moto:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
moto_port=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto=$!
# A TCP connect, not an HTTP request: moto counts every request against the three unchecked ones.
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null && break; sleep 0.2; done
endpoint="http://127.0.0.1:$moto_port/"
python3 "$rig" bootstrap "$endpoint" >"$work/admin.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(a["access_key_id"]); open(sys.argv[3],"w").write(a["secret_access_key"])' \
  "$work/admin.json" "$work/access-key-id" "$work/secret-access-key"
AWS_ACCESS_KEY_ID="$(cat "$work/access-key-id")" AWS_SECRET_ACCESS_KEY="$(cat "$work/secret-access-key")" python3 - "$endpoint" <<'PY'
import sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
iam.create_group(GroupName="credential-issuer-conformance")
PY

port=$(free_port)
cat >"$work/gateway.toml" <<TOML
[[issuers]]
path = "aws-iam"
backend = "aws-iam"
[issuers.settings]
group_name = "credential-issuer-conformance"
endpoint_url = "$endpoint"
[issuers.credentials]
access_key_id = { file = "$work/access-key-id" }
secret_access_key = { file = "$work/secret-access-key" }
TOML
"$server" --config "$work/gateway.toml" serve --addr "127.0.0.1:$port" --data-dir "$work/data" --min-ttl-seconds 1 >/dev/null 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
token="$(cat "$work/data/bootstrap-token")"
restricted="$("$server" token create --data-dir "$work/data" --label conformance-restricted \
  --scope credentials:create,credentials:read,credentials:rotate --authority events:read@project:web)"

status=0
"$suite" --issuer "http://127.0.0.1:$port/aws-iam" --token "$token" --allow-mutations \
  --restricted-token "$restricted" --restricted-authority events:read@project:web || status=$?
if [ "$status" -ne 0 ]; then
  echo "aws: conformance against aws-iam over moto failed; server log:" >&2
  tail -n 40 "$work/server.log" >&2
  exit "$status"
fi
# The keys the suite left are real keys at the emulator, listed by boto3.
AWS_ACCESS_KEY_ID="$(cat "$work/access-key-id")" AWS_SECRET_ACCESS_KEY="$(cat "$work/secret-access-key")" python3 - "$endpoint" <<'PY'
import sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
users = iam.get_group(GroupName="credential-issuer-conformance")["Users"]
keys = sum(len(iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]) for u in users)
print(f"aws: moto holds {keys} access keys of {len(users)} credential users after the suite")
PY
