/* Fake sysfs disks for the disk rule, facts and data disk tests: a whole
 * disk as the kernel lays it out, <root>/sys/block/NAME linking to
 * <root>/sys/devices/<bus path>/block/NAME with size, ro, removable, queue/
 * and the device link, and optionally model and serial attributes. */
#ifndef KILN_TEST_FAKE_DISKS_H
#define KILN_TEST_FAKE_DISKS_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_disk {
	const char *name;          /* "vda" */
	const char *bus;           /* "pci0000:00/0000:00:04.0/virtio1" */
	uint64_t gib;
	const char *model, *serial;   /* NULL: none */
	int rotational;
	const char *serial_attr;   /* where the serial lives: "serial" (virtio), "device/serial" (NVMe),
	                              "device/vpd_pg80" (SCSI); NULL: "serial" */
	unsigned minor;            /* set: also the device number 240:minor (dev, dev/block/, class/block/)
	                              and holders/, as kiln install's probe reads them */
};
#define FAKE_DISK_MAJOR 240

/* snprintf, aborting on truncation (a fixture's paths are short; and the
 * compiler sees the result used) */
#define fake_fmt(buf, ...) \
	do { \
		if (snprintf(buf, sizeof buf, __VA_ARGS__) >= (int)sizeof buf) \
			abort(); \
	} while (0)

static void fake_sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "fake_disks: %s failed\n", cmd);
		abort();
	}
}

static void fake_put(const char *dir, const char *attr, const char *text)
{
	char p[1024];
	fake_fmt(p, "%s/%s", dir, attr);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* Under root (which holds sys/). */
__attribute__((unused)) static void fake_disk_add(const char *root, const struct fake_disk *d)
{
	char dev[768], blk[900], cmd[2048], num[64];
	fake_fmt(dev, "%s/sys/devices/%s", root, d->bus);
	fake_fmt(blk, "%s/block/%s", dev, d->name);
	fake_fmt(cmd, "mkdir -p '%s/queue' '%s/sys/block' && ln -sfn '../devices/%s/block/%s' "
		 "'%s/sys/block/%s' && ln -sfn ../.. '%s/device'", blk, root, d->bus, d->name, root, d->name, blk);
	fake_sh(cmd);
	fake_fmt(num, "%llu\n", (unsigned long long)(d->gib << 21));
	fake_put(blk, "size", num);
	fake_put(blk, "ro", "0\n");
	fake_put(blk, "removable", "0\n");
	fake_put(blk, "queue/rotational", d->rotational ? "1\n" : "0\n");
	fake_put(blk, "queue/logical_block_size", "512\n");
	if (d->minor) {
		fake_fmt(num, "%u:%u\n", FAKE_DISK_MAJOR, d->minor);
		fake_put(blk, "dev", num);
		fake_fmt(cmd, "mkdir -p '%s/holders' '%s/sys/dev/block' '%s/sys/class/block' && "
			 "ln -sfn '../../devices/%s/block/%s' '%s/sys/dev/block/%u:%u' && "
			 "ln -sfn '../../devices/%s/block/%s' '%s/sys/class/block/%s'", blk, root, root, d->bus, d->name,
			 root, FAKE_DISK_MAJOR, d->minor, d->bus, d->name, root, d->name);
		fake_sh(cmd);
	}
	if (d->model)
		fake_put(dev, "model", d->model);
	if (d->serial) {
		const char *where = d->serial_attr ? d->serial_attr : "serial";
		char p[1024], text[256];
		if (!strcmp(where, "device/vpd_pg80")) {
			/* VPD page 0x80 as the kernel hands it: a 4-byte header
			 * (device type, page code, length MSB, LSB), then the serial */
			size_t n = strlen(d->serial);
			fake_fmt(p, "%s/%s", blk, where);
			FILE *f = fopen(p, "w");
			if (!f)
				abort();
			fputc(0, f), fputc(0x80, f), fputc(0, f), fputc((int)n, f);
			fwrite(d->serial, 1, n, f);
			fclose(f);
		} else {
			fake_fmt(text, "%s\n", d->serial);
			fake_put(blk, where, text);
		}
	}
}
#endif
