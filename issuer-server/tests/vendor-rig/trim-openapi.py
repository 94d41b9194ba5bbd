#!/usr/bin/env python3
"""Trims an OpenAPI description to the operations a shim uses, for Prism.

usage: trim-openapi.py SOURCE OUT [--prefix /v1] METHOD:PATH...

Keeps only the listed operations and the components they reference (transitively), makes
the servers' base path explicit on every path (--prefix, since Prism matches request paths
against `paths` as written), and closes every request-body object schema with
`additionalProperties: false`, so that a misspelt field fails validation instead of being
ignored. Writes JSON."""

import json
import sys

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:
    Loader = yaml.SafeLoader


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(tuple(ref[len("#/components/"):].split("/", 1)))
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def close(schema, components):
    if "$ref" in schema:
        kind, name = schema["$ref"][len("#/components/"):].split("/", 1)
        schema = components[kind][name]
    for part in schema.get("allOf", []):
        close(part, components)
    if schema.get("type") == "object" and "allOf" not in schema:
        schema["additionalProperties"] = False


def main(argv):
    args = argv[1:]
    prefix = ""
    if "--prefix" in args:
        i = args.index("--prefix")
        prefix = args[i + 1]
        del args[i : i + 2]
    source, out, wanted = args[0], args[1], args[2:]
    with open(source, encoding="utf-8") as f:
        if source.endswith(".json"):
            spec = json.load(f)
        else:
            spec = yaml.load(f, Loader=Loader)
    paths = {}
    for item in wanted:
        method, path = item.split(":", 1)
        operation = spec["paths"][path][method.lower()]
        shared = {k: v for k, v in spec["paths"][path].items() if k == "parameters"}
        paths.setdefault(prefix + path, dict(shared))[method.lower()] = operation
    components = spec.get("components", {})
    kept = {}
    todo = set()
    refs(paths, todo)
    while todo:
        kind, name = todo.pop()
        if name in kept.setdefault(kind, {}):
            continue
        kept[kind][name] = components[kind][name]
        found = set()
        refs(components[kind][name], found)
        todo |= {r for r in found if r[1] not in kept.get(r[0], {})}
    kept["securitySchemes"] = components.get("securitySchemes", {})
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and "schema" in body:
                close(body["schema"], kept)
    trimmed = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": [{"url": "http://127.0.0.1"}],
        "security": spec.get("security", []),
        "paths": paths,
        "components": kept,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(trimmed, f, sort_keys=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
