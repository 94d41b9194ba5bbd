#!/usr/bin/env python3
"""Verifies a running issuer's signed manifest and audit checkpoint with jwcrypto, a JOSE
implementation this project did not write, using only the JWK Set the issuer serves.

usage: jose_check.py ISSUER TOKEN"""
import json
import sys
import urllib.request

from jwcrypto import jwk, jws

issuer, token = sys.argv[1], sys.argv[2]


def get(url, bearer=None):
    request = urllib.request.Request(url)
    if bearer:
        request.add_header("Authorization", "Bearer " + bearer)
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


def verify(compact, keys, expected_typ):
    token = jws.JWS()
    token.deserialize(compact)
    kid = token.jose_header.get("kid")
    key = keys.get_key(kid)
    if key is None:
        raise SystemExit(f"jose: kid {kid} is not in the served JWK Set")
    token.verify(key)  # raises on a bad signature
    if token.jose_header.get("typ") != expected_typ:
        raise SystemExit(f"jose: typ {token.jose_header.get('typ')} is not {expected_typ}")
    return json.loads(token.payload)


manifest = json.loads(get(issuer + "/.well-known/credential-issuer"))
keys = jwk.JWKSet.from_json(get(manifest["jwks_uri"]))
payload = verify(manifest["signed_manifest"], keys, "credential-issuer-manifest+jwt")
assert payload["iss"] == issuer, "the signed manifest's iss is not the issuer"
members = {k: v for k, v in payload.items() if k != "iss"}
unsigned = {k: v for k, v in manifest.items() if k != "signed_manifest"}
assert members == unsigned, "the signed payload differs from the manifest"

checkpoint = get(manifest["credential_issuer_endpoint"] + "/audit/checkpoint", token)
head = verify(checkpoint, keys, "credential-issuer-checkpoint+jws")
assert head["issuer"] == issuer, "the checkpoint names another issuer"
events = json.loads(get(manifest["credential_issuer_endpoint"] + f"/audit?after_seq={max(head['seq'] - 1, 0)}&limit=1", token))["items"]
if head["seq"] > 0:
    assert events and events[0]["seq"] == head["seq"] and events[0]["hash"] == head["hash"], "the checkpoint names no event of the log"
print(f"jose: jwcrypto verified the signed manifest and the checkpoint (seq {head['seq']}) with the served JWK Set")
