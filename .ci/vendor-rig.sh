#!/usr/bin/env bash
# The vendor rig: Stoplight Prism and GitHub's OpenAPI description, pinned in
# issuer-server/tests/vendor-rig/package-lock.json, installed with `npm ci`; PyYAML for the
# script that trims OpenAI's description. Source it, or run it, from the repository root; it
# exports CREDENTIAL_ISSUER_REQUIRE_VENDOR_RIGS=1, so that the client's recovery tests require moto
# (the server's rig tests are #[ignore]d and run with --ignored, where a missing rig always fails).
set -euo pipefail
rig="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/issuer-server/tests/vendor-rig"

if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
python3 -c 'import yaml' 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check pyyaml
(cd "$rig" && npm ci --no-audit --no-fund --loglevel=error)
"$rig/node_modules/.bin/prism" --version >/dev/null
echo "vendor rig ready: Prism $("$rig/node_modules/.bin/prism" --version) in $rig"
export CREDENTIAL_ISSUER_REQUIRE_VENDOR_RIGS=1
