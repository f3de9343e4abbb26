#!/usr/bin/env python3
"""openapi_check.py — validates recorded API responses against docs/openapi.yaml.

usage: openapi_check.py OPENAPI.yaml RESPONSES.jsonl

Each line of RESPONSES.jsonl is {"method", "path" (as requested, with its query), "status",
"type" (the Content-Type; absent: application/json), "body" (the response text)}. For each,
the operation is found by matching the path (without the query) against the document's path
templates ({name} matches one segment), the response by the status code (or "default"), and
the body is validated against that response's application/json schema with JSON Schema
2020-12 (OpenAPI 3.1's dialect; $ref into #/components resolved against the whole document).
An answer of another type (text/html, text/csv) must be one the response documents, and
not empty. A response of an unknown path, method or status, a type the response does not
have, a body that is not JSON, or one that breaks its schema fails the check.

Prints the number of responses checked on success (exit 0); else every failure on stderr
and exit 1. Needs Debian's python3-yaml and python3-jsonschema.
"""
import json
import re
import sys

import warnings

import jsonschema
import yaml


def main():
    with open(sys.argv[1]) as f:
        doc = yaml.safe_load(f)
    templates = []
    for tpl, ops in doc.get("paths", {}).items():
        rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tpl)) + "$"
        templates.append((re.compile(rx), tpl, ops))
    warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver: newer jsonschema prefers referencing
    resolver = jsonschema.RefResolver.from_schema(doc)
    failures, checked = [], 0
    with open(sys.argv[2]) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            path = rec["path"].split("?", 1)[0]
            method = rec["method"].lower()
            where = "line %d: %s %s -> %s" % (n, rec["method"], rec["path"][:120], rec["status"])
            match = [t for t in templates if t[0].match(path)]
            # a literal template wins over one with a parameter (/v1/incidents vs /v1/incidents/{name})
            match.sort(key=lambda t: t[1].count("{"))
            if not match:
                # no template: only a documented generic error answer is acceptable
                ops = doc.get("x-unmatched", {})
                schema_holder = ops.get("responses", {})
            else:
                ops = match[0][2]
                if method not in ops:
                    ops = doc.get("x-unmatched", {})
                    schema_holder = ops.get("responses", {})
                else:
                    schema_holder = ops[method].get("responses", {})
            resp = schema_holder.get(str(rec["status"])) or schema_holder.get("default")
            if resp is None:
                failures.append(where + ": status not documented")
                continue
            if "$ref" in resp:
                resp = resolver.resolve(resp["$ref"])[1]
            media = (rec.get("type") or "application/json").split(";")[0].strip().lower()
            if media != "application/json":
                if media not in resp.get("content", {}):
                    failures.append(where + ": type %s not documented" % media)
                elif not rec["body"]:
                    failures.append(where + ": an empty %s answer" % media)
                else:
                    checked += 1
                continue
            schema = resp.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                failures.append(where + ": no application/json schema")
                continue
            try:
                body = json.loads(rec["body"])
            except ValueError as e:
                failures.append(where + ": body is not JSON: %s" % e)
                continue
            v = jsonschema.Draft202012Validator(schema, resolver=resolver)
            errs = sorted(v.iter_errors(body), key=lambda e: list(e.path))
            if errs:
                e = errs[0]
                failures.append(where + ": %s at $%s" % (e.message[:300], "".join("[%r]" % p for p in e.path)))
                continue
            checked += 1
    if failures:
        for x in failures:
            print(x, file=sys.stderr)
        print("%d of %d responses do not match %s" % (len(failures), checked + len(failures), sys.argv[1]), file=sys.stderr)
        return 1
    print(checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
