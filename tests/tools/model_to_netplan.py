#!/usr/bin/env python3
"""Test oracle helper: write each host's `ethernets` block from `kiln check --json`
as a netplan v2 file under OUTDIR/HOST/etc/netplan/, so the real `netplan generate`
can judge that kiln only accepts what netplan accepts. Prints one root per line."""
import json
import os
import sys

model = json.load(open(sys.argv[1]))
out = sys.argv[2]
for h in model["hosts"]:
    if not h["ethernets"]:
        continue
    eths = {}
    for e in h["ethernets"]:
        d = {}
        match = {k: v for k, v in e["match"].items() if v is not None}
        if match:
            d["match"] = match
        for k in ("set-name", "macaddress", "mtu"):
            if e.get(k) is not None:
                d[k] = e[k]
        for k in ("dhcp4", "optional"):
            if e[k]:
                d[k] = True
        if e["addresses"]:
            d["addresses"] = e["addresses"]
        if e["routes"]:
            d["routes"] = e["routes"]
        ns = {k: v for k, v in e["nameservers"].items() if v}
        if ns:
            d["nameservers"] = ns
        eths[e["id"]] = d
    root = os.path.join(out, h["name"])
    os.makedirs(os.path.join(root, "etc/netplan"))
    path = os.path.join(root, "etc/netplan/50-kiln.yaml")
    with open(path, "w") as f:
        json.dump({"network": {"version": 2, "renderer": "networkd", "ethernets": eths}}, f)
    os.chmod(path, 0o600)
    print(root)
