#!/usr/bin/env python3
"""Independent reader of streamOptimized VMDKs, used as a test oracle.

Checks the leading header, the tail layout (footer marker at -1536, footer
header at -1024, EOS at -512), walks every marker from overHead on, checks
that the GTs and the GD point at what was written, inflates every grain and,
with --raw, compares the reconstructed disk with the raw image.

usage: vmdk_inspect.py FILE.vmdk [--raw IN.raw] [--adapter TYPE]
Prints one summary line; exits 1 with a reason on the first problem.
"""
import re
import struct
import sys
import zlib

SECTOR = 512
GRAIN = 128 * SECTOR
GD_AT_END = 0xFFFFFFFFFFFFFFFF
HDR = struct.Struct("<4sIIQQQQIQQQB4sH")


def fail(msg):
    print("vmdk_inspect: " + msg)
    sys.exit(1)


def header(b, where):
    (magic, version, flags, capacity, grain, desc_off, desc_size, gtes, rgd, gd,
     overhead, unclean, nl, compress) = HDR.unpack_from(b)
    if magic != b"KDMV":
        fail(f"{where}: bad magic {magic!r}")
    want = dict(version=3, flags=0x30001, grain=128, desc_off=1, gtes=512, rgd=0,
                overhead=128, unclean=0, nl=b"\n \r\n", compress=1)
    got = dict(version=version, flags=flags, grain=grain, desc_off=desc_off, gtes=gtes,
               rgd=rgd, overhead=overhead, unclean=unclean, nl=nl, compress=compress)
    for k, v in want.items():
        if got[k] != v:
            fail(f"{where}: {k} is {got[k]!r}, want {v!r}")
    if any(b[HDR.size:SECTOR]):
        fail(f"{where}: padding is not zero")
    return capacity, desc_size, gd


def main():
    args = sys.argv[1:]
    raw_path = adapter = None
    path = args.pop(0)
    while args:
        opt = args.pop(0)
        if opt == "--raw":
            raw_path = args.pop(0)
        elif opt == "--adapter":
            adapter = args.pop(0)
        else:
            fail("unknown option " + opt)
    data = open(path, "rb").read()
    if len(data) % SECTOR or len(data) < 131 * SECTOR:
        fail(f"file size {len(data)} is not plausible")

    capacity, desc_size, gd0 = header(data[:SECTOR], "header")
    if gd0 != GD_AT_END:
        fail(f"leading gdOffset {gd0:#x}, want GD_AT_END")
    if capacity == 0:
        fail("capacity 0")

    # Descriptor
    desc = data[SECTOR:SECTOR * (1 + desc_size)].rstrip(b"\0")
    if len(desc) > desc_size * SECTOR or not desc_size or any(data[SECTOR * (1 + desc_size):128 * SECTOR]):
        fail("descriptor size or padding wrong")
    text = desc.decode("ascii")
    for pat in [r"^# Disk DescriptorFile$", r"^version=1$", r"^CID=[0-9a-f]{8}$",
                r"^parentCID=ffffffff$", r'^createType="streamOptimized"$',
                rf'^RW {capacity} SPARSE "[^"]+"$', r'^ddb.adapterType = "[A-Za-z]+"$']:
        if not re.search(pat, text, re.M):
            fail(f"descriptor lacks /{pat}/")
    cid = re.search(r"^CID=([0-9a-f]{8})$", text, re.M).group(1)
    longcid = re.search(r'^ddb.longContentID = "([0-9a-f]{32})"$', text, re.M).group(1)
    if not longcid.endswith(cid) or cid in ("ffffffff", "fffffffe"):
        fail(f"CID {cid} does not match longContentID {longcid}")
    if adapter and f'ddb.adapterType = "{adapter}"' not in text:
        fail(f"adapter is not {adapter}")

    # Tail: footer marker, footer, EOS.
    fm = data[-3 * SECTOR:-2 * SECTOR]
    num, size, typ = struct.unpack_from("<QII", fm)
    if (num, size, typ) != (1, 0, 3) or any(fm[16:]):
        fail(f"footer marker at -1536 is {(num, size, typ)}")
    fcap, fdesc, gd = header(data[-2 * SECTOR:-SECTOR], "footer")
    if (fcap, fdesc) != (capacity, desc_size) or gd == GD_AT_END:
        fail("footer header differs from the leading one")
    if any(data[-SECTOR:]):
        fail("EOS sector at -512 is not all zero")

    # Walk the markers.
    grains_n = -(-capacity // 128)
    gts_n = -(-grains_n // 512)
    disk = bytearray()
    grain_at = {}            # file sector of marker -> grain index
    gt_at = {}               # file sector of GT data -> GT contents
    gd_at = None
    pos = 128
    last_lba = -1
    end = len(data) // SECTOR
    while True:
        if pos >= end:
            fail("ran off the end without EOS")
        m = data[pos * SECTOR:(pos + 1) * SECTOR]
        val, size = struct.unpack_from("<QI", m)
        if size:
            lba = val
            if lba % 128 or lba <= last_lba or lba >= capacity:
                fail(f"grain marker at sector {pos}: bad lba {lba}")
            last_lba = lba
            z = data[pos * SECTOR + 12:pos * SECTOR + 12 + size]
            if z[0] & 0x0F != 8:
                fail(f"grain at lba {lba} is not zlib-framed")
            try:
                plain = zlib.decompress(z)
            except zlib.error as e:
                fail(f"grain at lba {lba} does not inflate: {e}")
            want = min(GRAIN, (capacity - lba) * SECTOR)
            if len(plain) != want:
                fail(f"grain at lba {lba} inflates to {len(plain)}, want {want}")
            if not any(plain):
                fail(f"grain at lba {lba} is all zero but was stored")
            grain_at[pos] = (lba // 128, plain)
            nsec = -(-(12 + size) // SECTOR)
            if any(data[pos * SECTOR + 12 + size:(pos + nsec) * SECTOR]):
                fail(f"grain at lba {lba}: padding not zero")
            pos += nsec
            continue
        typ = struct.unpack_from("<I", m, 12)[0]
        if any(m[16:]):
            fail(f"metadata marker at {pos} has non-zero padding")
        if typ == 0:
            if val != 0 or pos != end - 1:
                fail(f"EOS at sector {pos}, file ends at {end}")
            break
        if typ == 1:
            if val != 4:
                fail(f"GT marker at {pos}: numSectors {val}")
            gt_at[pos + 1] = struct.unpack_from("<512I", data, (pos + 1) * SECTOR)
        elif typ == 2:
            if val != -(-gts_n * 4 // SECTOR):
                fail(f"GD marker numSectors {val}, want {-(-gts_n * 4 // SECTOR)}")
            gd_at = pos + 1
        elif typ == 3:
            if val != 1 or pos != end - 3:
                fail(f"footer marker at {pos}")
        else:
            fail(f"unknown marker type {typ} at {pos}")
        pos += 1 + val

    if gd_at != gd:
        fail(f"footer gdOffset {gd}, GD data is at {gd_at}")
    gdt = struct.unpack_from(f"<{gts_n}I", data, gd * SECTOR)
    mapped = set()
    for t, gt_sec in enumerate(gdt):
        if gt_sec == 0:
            continue
        if gt_sec not in gt_at:
            fail(f"GD[{t}] = {gt_sec} is not a GT")
        for j, g_sec in enumerate(gt_at[gt_sec]):
            if g_sec == 0:
                continue
            if g_sec not in grain_at or grain_at[g_sec][0] != t * 512 + j:
                fail(f"GT {t} entry {j} = {g_sec} is not grain {t * 512 + j}'s marker")
            mapped.add(g_sec)
    if mapped != set(grain_at) or len(gt_at) != sum(1 for x in gdt if x):
        fail("some grains or GTs are not referenced")

    if raw_path:
        raw = open(raw_path, "rb").read()
        disk = bytearray(capacity * SECTOR)
        for g, plain in grain_at.values():
            disk[g * GRAIN:g * GRAIN + len(plain)] = plain
        raw = raw + bytes(len(disk) - len(raw))
        if bytes(disk) != raw:
            fail("reconstructed disk differs from the raw image")

    print(f"ok capacity={capacity} grains={len(grain_at)} gts={len(gt_at)} gd={gd} cid={cid}")


main()
