#!/usr/bin/env python3
"""Checks spec/examples against schemas/ with Python's jsonschema (Draft 2020-12), an
implementation this project did not write: every file in spec/examples/valid/<document>/ must be
accepted by schemas/<document>.schema.json, every file in spec/examples/invalid/<document>/ refused."""
import glob
import json
import os
import sys

from jsonschema import Draft202012Validator

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
failures = 0
checked = 0
for schema_path in sorted(glob.glob(os.path.join(root, "schemas", "*.schema.json"))):
    name = os.path.basename(schema_path)[: -len(".schema.json")]
    with open(schema_path) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for kind in ("valid", "invalid"):
        for example in sorted(glob.glob(os.path.join(root, "spec", "examples", kind, name, "*.json"))):
            with open(example) as f:
                instance = json.load(f)
            errors = list(validator.iter_errors(instance))
            checked += 1
            if kind == "valid" and errors:
                failures += 1
                print(f"FAIL {os.path.relpath(example, root)}: {errors[0].message}")
            elif kind == "invalid" and not errors:
                failures += 1
                print(f"FAIL {os.path.relpath(example, root)}: accepted, but it is an invalid example")
print(f"validate_examples: {checked} examples checked, {failures} failed")
sys.exit(1 if failures else 0)
