#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that proto/vas.yaml and proto/vas.h describe the same family.

The names are derived from the spec the way the kernel's ynl-gen derives them
(family prefix, enum and attribute-set name prefixes, values counted from 0 for
enums and from 1 for attributes and commands), then compared both ways with
the constants the header really defines: a name missing on either side or a
value that differs is reported, and the check fails.
"""
import re
import sys

import yaml


def c_name(*parts):
    return "_".join(p for p in parts if p).replace("-", "_").upper()


def expected_from_spec(spec):
    fam = spec["name"]
    exp = {
        c_name(fam, "family-name"): '"%s"' % fam,
        c_name(fam, "family-version"): spec.get("version", 1),
    }
    for d in spec.get("definitions", []):
        if d["type"] != "enum":
            continue
        prefix = d.get("name-prefix", "%s-%s-" % (fam, d["name"]))
        value = d.get("value-start", 0)
        for e in d["entries"]:
            name = e if isinstance(e, str) else e["name"]
            exp[c_name(prefix + name)] = value
            value += 1
    for aset in spec["attribute-sets"]:
        prefix = aset.get("name-prefix", "%s-a-%s-" % (fam, aset["name"]))
        value = 1
        for a in aset["attributes"]:
            value = a.get("value", value)
            exp[c_name(prefix + a["name"])] = value
            value += 1
    ops = spec["operations"]
    prefix = ops.get("name-prefix", "%s-cmd-" % fam)
    value = 1
    for op in ops["list"]:
        value = op.get("value", value)
        exp[c_name(prefix + op["name"])] = value
        value += 1
    for grp in spec.get("mcast-groups", {}).get("list", []):
        exp[c_name(fam, "mcgrp", grp["name"])] = '"%s"' % grp["name"]
    return exp


def constants_from_header(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = {}
    for body in re.findall(r"\benum\b[^{;]*\{(.*?)\}", text, flags=re.S):
        value = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            m = re.fullmatch(r"(\w+)\s*(?:=\s*(.+))?", item, flags=re.S)
            if not m:
                raise SystemExit("cannot parse enum item: %r" % item)
            name, init = m.group(1), m.group(2)
            if init is not None:
                init = init.strip()
                if re.fullmatch(r"\(?\s*__\w+_MAX\s*-\s*1\s*\)?", init):
                    continue  # the usual FOO_MAX = (__FOO_MAX - 1)
                value = int(init, 0)
            if not name.startswith("__"):
                found[name] = value
            value += 1
    for name, val in re.findall(r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*$", text, flags=re.M):
        if name.startswith("_UAPI_") or name.endswith("_H"):
            continue
        found[name] = val if val.startswith('"') else int(val, 0)
    return found


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: check-proto.py SPEC.yaml HEADER.h")
    with open(sys.argv[1]) as f:
        spec = yaml.safe_load(f)
    with open(sys.argv[2]) as f:
        header = constants_from_header(f.read())
    expected = expected_from_spec(spec)
    errors = []
    for name, value in sorted(expected.items()):
        if name not in header:
            errors.append("%s: in the spec (= %s), missing from the header" % (name, value))
        elif header[name] != value:
            errors.append("%s: spec says %s, header says %s" % (name, value, header[name]))
    for name in sorted(set(header) - set(expected)):
        errors.append("%s: in the header (= %s), missing from the spec" % (name, header[name]))
    for e in errors:
        print(e)
    print("%d constants compared, %d mismatches" % (len(expected), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
