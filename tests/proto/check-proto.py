#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that proto/vas.yaml, proto/vas.h, lib/netlink/vas-spec and the kernel
part describe the same family.

Constants: the names are derived from the spec the way the kernel's ynl-gen
derives them (family prefix, enum and attribute-set name prefixes, values
counted from 0 for enums and from 1 for attributes and commands), then compared
both ways with the constants the header really defines.

Attributes (--table): the attribute sets (each attribute's name, value, type and
nested set) and what each operation's replies and each notification carry, in
order, are compared with the table the decoder and the encoder use, as
vas-spec-dump prints it. A notification given as "notify: OP" carries OP's
do reply, as ynl reads it.

The kernel (--kernel): what kernel/vas-events.c puts, in order, into each
notification and into each do and dump reply is traced through its source
(calls of its own functions followed, function pointers bound, a switch on the
command resolved) and compared with the table.

A name missing on either side, or a value or list that differs, is reported,
and the check fails.
"""
import argparse
import json
import re
import subprocess
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


def attribute_sets_from_spec(spec):
    sets = {}
    for aset in spec["attribute-sets"]:
        attrs, value = [], 1
        for a in aset["attributes"]:
            value = a.get("value", value)
            attrs.append({k: v for k, v in (("name", a["name"]), ("value", value),
                                            ("type", a["type"]),
                                            ("nested-attributes", a.get("nested-attributes")))
                          if v is not None})
            value += 1
        sets[aset["name"]] = attrs
    return sets


def carried_from_spec(spec):
    """{op: (value, event, [attributes] or None)}: None when do and dump differ."""
    ops = spec["operations"]["list"]
    by_name = {op["name"]: op for op in ops}
    carried, value = {}, 1
    for op in ops:
        value = op.get("value", value)
        if "event" in op:
            carried[op["name"]] = (value, True, op["event"].get("attributes", []))
        elif "notify" in op:
            target = by_name.get(op["notify"], {})
            reply = target.get("do", {}).get("reply", {})
            carried[op["name"]] = (value, True, reply.get("attributes", []))
        else:
            replies = [op[k]["reply"].get("attributes", [])
                       for k in ("do", "dump") if "reply" in op.get(k, {})]
            if any(r != replies[0] for r in replies):
                carried[op["name"]] = (value, False, None)
            else:
                carried[op["name"]] = (value, False, replies[0] if replies else [])
        value += 1
    return carried


def compare_table(spec, table, errors):
    """The spec against vas-spec's table; returns the number of lists compared."""
    n = 0
    spec_sets = attribute_sets_from_spec(spec)
    table_sets = {s["name"]: s["attributes"] for s in table["attribute-sets"]}
    for name in sorted(set(spec_sets) | set(table_sets)):
        n += 1
        if name not in table_sets:
            errors.append("attribute-set %s: in the spec, missing from vas-spec" % name)
        elif name not in spec_sets:
            errors.append("attribute-set %s: in vas-spec, missing from the spec" % name)
        elif spec_sets[name] != table_sets[name]:
            errors.append("attribute-set %s: the spec says %s, vas-spec %s"
                          % (name, json.dumps(spec_sets[name]), json.dumps(table_sets[name])))
    spec_ops = carried_from_spec(spec)
    table_ops = {op["name"]: (op["value"], op["event"], op["attributes"])
                 for op in table["operations"]}
    for name in sorted(set(spec_ops) | set(table_ops)):
        n += 1
        if name not in table_ops:
            errors.append("operation %s: in the spec, missing from vas-spec" % name)
            continue
        if name not in spec_ops:
            errors.append("operation %s: in vas-spec, missing from the spec" % name)
            continue
        (sv, sev, sattrs), (tv, tev, tattrs) = spec_ops[name], table_ops[name]
        if sv != tv:
            errors.append("operation %s: the spec says value %d, vas-spec %d" % (name, sv, tv))
        if sev != tev:
            errors.append("operation %s: the spec says %s, vas-spec %s"
                          % (name, *("a notification" if e else "not a notification"
                                     for e in (sev, tev))))
        if sattrs is None:
            errors.append("operation %s: its do and dump replies differ in the spec" % name)
        elif sattrs != tattrs:
            errors.append("operation %s: the spec says it carries [%s], vas-spec [%s]"
                          % (name, ", ".join(sattrs), ", ".join(tattrs)))
    return n


# The kernel part, traced through its source.

def c_functions(text):
    """{name: (params, body)} of the functions defined in text (comments gone)."""
    funcs = {}
    for m in re.finditer(r"^[A-Za-z_][^;{}()=]*?\b(\w+)\s*\(([^;{]*?)\)\s*\{", text, flags=re.M | re.S):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        funcs[m.group(1)] = (split_args(m.group(2)), text[m.end():i - 1])
    return funcs


def split_args(text):
    """Split at the commas outside parentheses."""
    args, depth, cur = [], 0, ""
    for c in text:
        if c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += {"(": 1, ")": -1}.get(c, 0)
        cur += c
    if cur.strip():
        args.append(cur.strip())
    return args


def param_name(param):
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)", param)  # a function pointer
    return m.group(1) if m else re.findall(r"\w+", param)[-1]


def switch_on_cmd(body, cmd):
    """The body with a switch on the command reduced to the case of cmd."""
    m = re.search(r"switch\s*\([^)]*cmd\)\s*\{(.*)\}", body, flags=re.S)
    if not m:
        return body
    labels = list(re.finditer(r"(?:case\s+(\w+)|default)\s*:", m.group(1)))
    chosen = None
    for want in (cmd, None):
        for i, lab in enumerate(labels):
            if lab.group(1) != want:
                continue
            # fall through the labels that have no statement of their own
            j = i
            while j + 1 < len(labels) and not m.group(1)[labels[j].end():labels[j + 1].start()].strip():
                j += 1
            end = labels[j + 1].start() if j + 1 < len(labels) else len(m.group(1))
            chosen = m.group(1)[labels[j].end():end]
            break
        if chosen is not None:
            break
    return body[:m.start()] + (chosen or "") + body[m.end():]


def trace(funcs, name, cmd, bound=None, depth=0):
    """The VAS_A_* constants function name puts, in order."""
    if depth > 20:
        raise SystemExit("kernel: calls nested too deep at %s" % name)
    params, body = funcs[name]
    body = switch_on_cmd(body, cmd)
    bound = bound or {}
    out = []
    for m in re.finditer(r"\b(\w+)\s*\(", body):
        callee = bound.get(m.group(1), m.group(1))
        if re.fullmatch(r"nla_put\w*|nla_nest_start\w*", callee):
            args = split_args(call_args(body, m.end()))
            if len(args) > 1 and args[1].startswith("VAS_A_"):
                out.append(args[1])
        elif callee in funcs and callee != name:
            args = split_args(call_args(body, m.end()))
            cparams = [param_name(p) for p in funcs[callee][0] if p != "void"]
            binds = {p: a for p, a in zip(cparams, args) if a in funcs}
            out += trace(funcs, callee, cmd, binds, depth + 1)
    return out


def call_args(body, start):
    depth, i = 1, start
    while depth and i < len(body):
        depth += {"(": 1, ")": -1}.get(body[i], 0)
        i += 1
    return body[start:i - 1]


def nest_up(consts, c_attrs):
    """[top-level names] and {nest: [names]} from the constants in put order."""
    top, nests, current = [], {}, None
    for c in consts:
        where = c_attrs.get(c)
        if where is None:
            raise SystemExit("kernel: %s is not an attribute of the spec" % c)
        aset, attr = where
        if aset == "vas":
            top.append(attr)
            current = attr
            nests.setdefault(attr, [])
        else:
            nests.setdefault(current, []).append(attr)
    return top, {k: v for k, v in nests.items() if v}


def compare_kernel(spec, table, text, errors):
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
    funcs = c_functions(text)
    fam = spec["name"]
    c_attrs = {}
    for aset in spec["attribute-sets"]:
        prefix = aset.get("name-prefix", "%s-a-%s-" % (fam, aset["name"]))
        for a in aset["attributes"]:
            c_attrs[c_name(prefix + a["name"])] = (aset["name"], a["name"])
    cmd_prefix = spec["operations"].get("name-prefix", "%s-cmd-" % fam)
    table_sets = {s["name"]: s for s in table["attribute-sets"]}
    nested_of = {a["name"]: a.get("nested-attributes")
                 for a in table_sets["vas"]["attributes"]}

    # what the kernel builds: notifications in the function that builds a
    # message and multicasts it, itself or through a wrapper that only sends
    # (vas_ntf_multicast(): filtered on v6.8+), replies in the doit and
    # dumpit of each genl_ops entry
    mcast = {n for n, (_, body) in funcs.items() if "genlmsg_multicast" in body}
    senders = [n for n, (_, body) in funcs.items() if "genlmsg_put" in body and
               any(re.search(r"\b%s\s*\(" % w, body) for w in mcast | {"genlmsg_multicast"})]
    if len(senders) != 1:
        raise SystemExit("kernel: %d functions multicast, expected one" % len(senders))
    built = []
    for op in table["operations"]:
        if op["event"]:
            built.append((op, "notification", senders[0]))
    for m in re.finditer(r"\{\s*\.cmd\s*=\s*(\w+)\s*,(.*?)\}", text, flags=re.S):
        op = next((o for o in table["operations"]
                   if c_name(cmd_prefix + o["name"]) == m.group(1)), None)
        if op is None:
            errors.append("kernel: genl_ops for %s, which vas-spec does not have" % m.group(1))
            continue
        for kind in ("doit", "dumpit"):
            h = re.search(r"\.%s\s*=\s*(\w+)" % kind, m.group(2))
            if h:
                built.append((op, kind, h.group(1)))

    n = 0
    for op, kind, func in built:
        if func not in funcs:
            raise SystemExit("kernel: %s of %s not found" % (func, op["name"]))
        top, nests = nest_up(trace(funcs, func, c_name(cmd_prefix + op["name"])), c_attrs)
        n += 1
        if top != op["attributes"]:
            errors.append("kernel: %s %s puts [%s], vas-spec says [%s]"
                          % (op["name"], kind, ", ".join(top), ", ".join(op["attributes"])))
        for nest, attrs in nests.items():
            want = [a["name"] for a in table_sets[nested_of[nest]]["attributes"]
                    if a["type"] != "pad"]
            if attrs != want:
                errors.append("kernel: %s %s puts %s{%s}, vas-spec says {%s}"
                              % (op["name"], kind, nest, ", ".join(attrs), ", ".join(want)))
    for op in table["operations"]:
        if op["event"] and op["name"] not in text.lower().replace("_", "-"):
            errors.append("kernel: never sends %s" % op["name"])
    return n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", help="proto/vas.yaml")
    parser.add_argument("header", help="proto/vas.h")
    parser.add_argument("--table", help="vas-spec-dump, which prints lib/netlink/vas-spec's table")
    parser.add_argument("--kernel", help="kernel/vas-events.c (needs --table)")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = yaml.safe_load(f)
    with open(args.header) as f:
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
    summary = ["%d constants" % len(expected)]
    if args.table:
        table = json.loads(subprocess.run([args.table], check=True, stdout=subprocess.PIPE,
                                          text=True).stdout)
        summary.append("%d attribute lists" % compare_table(spec, table, errors))
        if args.kernel:
            with open(args.kernel) as f:
                summary.append("%d kernel messages" % compare_kernel(spec, table, f.read(), errors))
    for e in errors:
        print(e)
    print("%s compared, %d mismatches" % (", ".join(summary), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
