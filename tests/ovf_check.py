#!/usr/bin/env python3
"""Structural checks of an extracted OVA (used by tests/cli/package.sh).

Usage: ovf_check.py DIR NAME.ovf CHECK...
Checks (each prints "ok"/"FAIL: why" and sets the exit status):
  order       Envelope and VirtualSystem children in the skeleton order
  rasd        every Item's rasd:* children in alphabetical order, vmw:Config after them
  sizes       References ovf:size == the size of each file in DIR
  capacity    Disk ovf:capacity == the VMDK header capacity * 512
  hardware=X  VirtualSystemType, CPU, memory, controller, NICs, CD-ROM on IDE, EFI
Only the standard library, so it runs on any Debian python3.
"""
import os
import struct
import sys
import xml.etree.ElementTree as ET

OVF = "http://schemas.dmtf.org/ovf/envelope/1"
RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VMW = "http://www.vmware.com/schema/ovf"


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


def local(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def in_order(seen, wanted):
    """seen must be a subsequence of wanted with each name in wanted's order."""
    pos = 0
    for name in seen:
        while pos < len(wanted) and wanted[pos] != name:
            pos += 1
        if pos == len(wanted):
            return False
    return True


def main():
    d, ovf_name, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
    root = ET.parse(os.path.join(d, ovf_name)).getroot()
    fails = []
    vs = root.find(q(OVF, "VirtualSystem"))
    vhs = vs.find(q(OVF, "VirtualHardwareSection"))
    items = vhs.findall(q(OVF, "Item"))
    files = {f.get(q(OVF, "id")): f for f in root.find(q(OVF, "References"))}

    for c in checks:
        if c == "order":
            top = [local(e.tag) for e in root]
            if top != ["References", "DiskSection", "NetworkSection", "VirtualSystem"]:
                fails.append("Envelope children %s" % top)
            inner = [local(e.tag) for e in vs]
            want = ["Info", "Name", "OperatingSystemSection", "VirtualHardwareSection", "ProductSection",
                    "AnnotationSection", "EulaSection"]
            if not in_order(inner, want) or inner[:4] != want[:4]:
                fails.append("VirtualSystem children %s" % inner)
            hw = [local(e.tag) for e in vhs]
            if hw[:2] != ["Info", "System"] or not in_order(hw[2:], ["Item", "Config"]):
                fails.append("VirtualHardwareSection children %s" % hw)
        elif c == "rasd":
            for it in items:
                names = [local(e.tag) for e in it if e.tag.startswith("{%s}" % RASD)]
                if names != sorted(names):
                    fails.append("Item children not alphabetical: %s" % names)
                kinds = ["rasd" if e.tag.startswith("{%s}" % RASD) else "other" for e in it]
                if kinds != sorted(kinds, key=lambda k: k != "rasd"):
                    fails.append("vmw:Config before rasd children in an Item")
        elif c == "sizes":
            for fid, f in files.items():
                p = os.path.join(d, f.get(q(OVF, "href")))
                if int(f.get(q(OVF, "size"))) != os.path.getsize(p):
                    fails.append("%s: ovf:size %s != %d" % (p, f.get(q(OVF, "size")), os.path.getsize(p)))
        elif c == "capacity":
            for disk in root.find(q(OVF, "DiskSection")).findall(q(OVF, "Disk")):
                f = files[disk.get(q(OVF, "fileRef"))]
                with open(os.path.join(d, f.get(q(OVF, "href"))), "rb") as v:
                    hdr = v.read(512)
                magic, _, _, cap = struct.unpack_from("<IIIQ", hdr)
                if magic != 0x564D444B:
                    fails.append("%s is not a sparse VMDK" % f.get(q(OVF, "href")))
                if disk.get(q(OVF, "capacityAllocationUnits")) != "byte" or int(disk.get(q(OVF, "capacity"))) != cap * 512:
                    fails.append("disk %s capacity %s != VMDK %d" % (disk.get(q(OVF, "diskId")),
                                                                    disk.get(q(OVF, "capacity")), cap * 512))
        elif c.startswith("hardware="):
            # hardware=vmx-14,2,4096,VirtualSCSI,1  (version, vCPUs, MiB, controller, NICs)
            ver, cpus, mem, ctl, nics = c.split("=", 1)[1].split(",")
            vst = vhs.find(q(OVF, "System")).find(
                "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData}VirtualSystemType")
            if vst.text != ver:
                fails.append("VirtualSystemType %s != %s" % (vst.text, ver))
            by_type = {}
            for it in items:
                by_type.setdefault(it.find(q(RASD, "ResourceType")).text, []).append(it)
            if by_type["3"][0].find(q(RASD, "VirtualQuantity")).text != cpus:
                fails.append("vCPUs")
            if by_type["4"][0].find(q(RASD, "VirtualQuantity")).text != mem:
                fails.append("memory")
            scsi = by_type["6"][0]
            if scsi.find(q(RASD, "ResourceSubType")).text != ctl:
                fails.append("controller %s" % scsi.find(q(RASD, "ResourceSubType")).text)
            for disk in by_type["17"]:
                if disk.find(q(RASD, "Parent")).text != scsi.find(q(RASD, "InstanceID")).text:
                    fails.append("disk not on the SCSI controller")
            ide = by_type["5"][0].find(q(RASD, "InstanceID")).text
            if by_type["15"][0].find(q(RASD, "Parent")).text != ide:
                fails.append("CD-ROM not on the IDE controller")
            nic = by_type.get("10", [])
            if len(nic) != int(nics) or any(n.find(q(RASD, "ResourceSubType")).text != "VmxNet3" for n in nic):
                fails.append("NICs")
            if "iso" not in vhs.get(q(OVF, "transport")).split() or \
               "com.vmware.guestInfo" not in vhs.get(q(OVF, "transport")).split():
                fails.append("transport %s" % vhs.get(q(OVF, "transport")))
            cfg = {e.get(q(VMW, "key")): e.get(q(VMW, "value")) for e in vhs.findall(q(VMW, "Config"))}
            if cfg.get("firmware") != "efi":
                fails.append("firmware %s" % cfg.get("firmware"))
        else:
            fails.append("unknown check %s" % c)
    for f in fails:
        print("FAIL: " + f)
    if not fails:
        print("ok")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
