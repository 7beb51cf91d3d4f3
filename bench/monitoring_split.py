#!/usr/bin/python3
"""Monitoring's first-boot cost per host, split where kiln's work begins.

usage: bench/monitoring_split.py RUN.log[,RUN.log...] [POOL.log ...]

Reads the output of bench/monitoring_boot.sh (saved with its lines as
printed): each boot's kernel + userspace time ("# SIDE ROUND HOST ..." result
lines) and when the agent's first step, identity, began ("step SIDE ROUND HOST
identity at T s"). A boot is then two parts:

  before the agent   power-on (kernel start) to the identity step: firmware
                     aside, the kernel, udev and the early units. No
                     monitoring code runs there; only the images differ (the
                     monitoring packages).
  the agent onwards  identity to "Startup finished": kiln-firstboot's steps,
                     the units they start and whatever the boot waits for after.

The part before the agent varies by a few seconds from boot to boot (28-36 s
on db1) and moves one run's medians as much as monitoring does. Its
with/without difference is taken from every log given (RUN and POOL: runs of
other commits qualify, as long as the images' packages are the same), the
part from the agent onwards from RUN alone (several logs joined by commas:
runs of one commit taken as one). Printed per host: both
differences, and their sum as a share of RUN's median boot without
monitoring, with a 90 % bootstrap interval (each side's boots resampled with
replacement, 10 000 times, a fixed seed).
"""
import random
import re
import statistics
import sys

RESULT = re.compile(r"^(?: *\d+ )?# (with|without) (\d+) (\S+) (\S+) ([\d.]+) ([\d.]+) ")
IDENTITY = re.compile(r"step (with|without) (\d+) (\S+) identity +at +([\d.]+) s")


def load(path, total, identity):
    for line in open(path):
        m = RESULT.match(line)
        if m:
            total[(path,) + m.group(1, 2, 3)] = float(m.group(5)) + float(m.group(6))
        m = IDENTITY.search(line)
        if m:
            identity[(path,) + m.group(1, 2, 3)] = float(m.group(4))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    run = argv[1].split(",")
    pool = run + argv[2:]
    total, identity = {}, {}
    for path in dict.fromkeys(pool):
        load(path, total, identity)
    med = statistics.median
    random.seed(1)
    for host in ("db1", "minio1", "app1"):
        def boots(paths, side):
            return [k for k in total if k[0] in paths and k[1] == side and k[3] == host and k in identity]
        pre = {s: [identity[k] for k in boots(pool, s)] for s in ("with", "without")}
        post = {s: [total[k] - identity[k] for k in boots(run, s)] for s in ("with", "without")}
        base = [total[k] for k in boots(run, "without")]
        if not all(pre.values()) or not all(post.values()):
            print("%-7s no boots of both sides with an identity step" % host)
            continue
        d_pre = med(pre["with"]) - med(pre["without"])
        d_post = med(post["with"]) - med(post["without"])
        share = (d_pre + d_post) / med(base)

        def resample(v):
            return med(random.choices(v, k=len(v)))
        bs = sorted((resample(pre["with"]) - resample(pre["without"]) + resample(post["with"]) -
                     resample(post["without"])) / med(base) for _ in range(10000))
        print("%-7s before the agent %+.1f s (n=%d/%d)  the agent onwards %+.1f s (n=%d/%d)  "
              "of %.1f s: %+.1f %%  (90 %% interval %+.1f ... %+.1f %%)" % (
                  host, d_pre, len(pre["with"]), len(pre["without"]), d_post, len(post["with"]),
                  len(post["without"]), med(base), 100 * share, 100 * bs[500], 100 * bs[9500]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
