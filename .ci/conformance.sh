#!/usr/bin/env bash
# Runs the conformance suite, with mutations, against a fresh reference server on loopback, and
# checks its reports with tools we did not write: Python's XML parser for the JUnit report and
# Python's jsonschema for the JSON report; then verifies the server's signed manifest and audit
# checkpoint with jwcrypto, using only the JWK Set it serves.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
server="$root/target/debug/credential-issuer-server"
suite="$root/target/debug/credential-issuer-conformance"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" serve --addr "127.0.0.1:$port" --data-dir "$work/data" --min-ttl-seconds 1 --access-requests >/dev/null 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
token="$(cat "$work/data/bootstrap-token")"
restricted="$("$server" token create --data-dir "$work/data" --label conformance-restricted \
  --scope credentials:create,credentials:read,credentials:rotate --authority events:read@project:web)"
requester="$("$server" token create --data-dir "$work/data" --label conformance-requester --scope requests:create)"
second=(--restricted-token "$restricted" --restricted-authority events:read@project:web --requester-token "$requester")

started=$(date +%s%N)
"$suite" --issuer "http://127.0.0.1:$port" --token "$token" --allow-mutations "${second[@]}"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
"$suite" --issuer "http://127.0.0.1:$port" --token "$token" --allow-mutations "${second[@]}" --format junit --output "$work/report.xml"
"$suite" --issuer "http://127.0.0.1:$port" --token "$token" --allow-mutations "${second[@]}" --format json --output "$work/report.json"

REPORT_XML="$work/report.xml" REPORT_JSON="$work/report.json" SCHEMA="$root/schemas/conformance-report.schema.json" python3 - <<'PY'
import json, os, xml.etree.ElementTree as ET
from jsonschema import Draft202012Validator
tree = ET.parse(os.environ["REPORT_XML"])
cases = tree.getroot().findall(".//testcase")
report = json.load(open(os.environ["REPORT_JSON"]))
schema = json.load(open(os.environ["SCHEMA"]))
errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(report))
if errors:
    raise SystemExit(f"conformance: the JSON report does not validate: {errors[0].message}")
if len(cases) != len(report["results"]):
    raise SystemExit(f"conformance: {len(cases)} JUnit test cases for {len(report['results'])} checks")
print(f"conformance: JUnit well formed with {len(cases)} test cases; JSON report validates; "
      f"{report['summary']['failed']} failed")
PY
python3 "$root/.ci/jose_check.py" "http://127.0.0.1:$port" "$token"
if grep -qe "$token" -e "$restricted" -e "$requester" "$work/report.json" "$work/report.xml"; then echo "conformance: a report holds the token" >&2; exit 1; fi
echo "conformance: full run against the reference server took ${elapsed_ms} ms"
