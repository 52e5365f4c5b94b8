#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The running service's introspection equals proto/org.vasd1.xml, the
contract: each org.vasd1 interface, element by element and attribute by
attribute (comments and whitespace aside), and no interface more."""

import xml.etree.ElementTree as ET

from vasdtest import TempDir, check, fail, log
from bustest import BUS_INTERFACES, PrivateBus, busctl, start_vasd


def canonical(e):
    return (e.tag, sorted(e.attrib.items()), [canonical(c) for c in e])


def vasd1_interfaces(root):
    return {i.get("name"): i for i in root.findall("interface")
            if i.get("name").startswith("org.vasd1.")}


def introspect(path):
    xml = busctl("call", "org.vasd1", path,
                 "org.freedesktop.DBus.Introspectable", "Introspect")["data"][0]
    return ET.fromstring(xml)


contract = vasd1_interfaces(ET.parse(BUS_INTERFACES).getroot())
check(sorted(contract) == ["org.vasd1.Manager", "org.vasd1.Window"],
      "proto declares %s" % sorted(contract))

with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, 3, 1)
    try:
        served = {}
        for path in ("/org/vasd1", "/org/vasd1/window/1"):
            root = introspect(path)
            for name, e in vasd1_interfaces(root).items():
                check(name not in served, "%s served twice" % name)
                served[name] = e
            if path == "/org/vasd1":
                children = [n.get("name") for n in root.findall("node")]
                check(children == ["window"], "children of /org/vasd1: %s" % children)
        check(sorted(served) == sorted(contract),
              "served %s, the contract has %s" % (sorted(served), sorted(contract)))
        for name in contract:
            want, got = canonical(contract[name]), canonical(served[name])
            if want != got:
                fail("%s differs from proto/org.vasd1.xml:\n proto:   %s\n served:  %s"
                     % (name, ET.tostring(contract[name]).decode(),
                        ET.tostring(served[name]).decode()))
            log("%s: %d members, as proto/org.vasd1.xml says"
                % (name, len(contract[name])))
        logctl = introspect("/org/freedesktop/LogControl1").find(
            "interface[@name='org.freedesktop.LogControl1']")
        check(logctl is not None, "no org.freedesktop.LogControl1")
        access = {p.get("name"): p.get("access") for p in logctl.findall("property")}
        check(access == {"LogLevel": "readwrite", "LogTarget": "readwrite",
                         "SyslogIdentifier": "read"}, "LogControl1: %s" % access)
        log("org.freedesktop.LogControl1 as systemd's daemons have it")
    finally:
        v.close()
        bus.stop()
log("ok")
