#include "firstboot/datadisk.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *disk_kind_name(enum disk_kind k)
{
	static const char *const n[] = { "blank", "kiln-data", "partitioned", "foreign-filesystem" };
	return n[k];
}

int datadisk_probe(const char *dev, enum disk_kind *kind, char *what, size_t what_len)
{
	/* A disk or, in tests, an image file; never a FIFO planted in /dev. */
	int fd = open_input(dev, INPUT_BLOCKDEV, SIZE_MAX);
	if (fd < 0)
		return fd;
	blkid_probe pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		close(fd);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	int r = blkid_do_fullprobe(pr);
	if (r < 0) {
		/* -2: ambiguous (several signatures): certainly not blank. */
		blkid_free_probe(pr);
		close(fd);
		*kind = DISK_FOREIGN_FS;
		if (what)
			snprintf(what, what_len, "ambiguous signatures");
		return 0;
	}
	const char *type = NULL, *label = NULL, *pttype = NULL;
	blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
	blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
	blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
	if (r == 1 && !type && !pttype) {
		*kind = DISK_BLANK;
		if (what)
			snprintf(what, what_len, "no signature");
	} else if (pttype) {
		*kind = DISK_PARTITIONED;
		if (what)
			snprintf(what, what_len, "%s partition table", pttype);
	} else {
		*kind = label && !strcmp(label, KILN_DATA_LABEL) ? DISK_KILN_DATA : DISK_FOREIGN_FS;
		if (what)
			snprintf(what, what_len, "%s filesystem%s%s", type ? type : "unknown",
				 label ? " LABEL=" : "", label ? label : "");
	}
	blkid_free_probe(pr);
	close(fd);
	return 0;
}

static bool skip_name(const char *n)
{
	static const char *const prefixes[] = { ".", "loop", "ram", "zram", "sr", "dm-", "md", "fd", NULL };
	for (size_t i = 0; prefixes[i]; i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int datadisk_choose(const char *sysroot, struct datadisk_choice *c)
{
	memset(c, 0, sizeof *c);
	char *sysblock = xasprintf("%s/sys/block", sysroot);
	DIR *d = opendir(sysblock);
	free(sysblock);
	if (!d)
		return -errno;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!skip_name(de->d_name)) {
			names = xgrow(names, &cap, n + 1, sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);   /* deterministic: vdb before vdc */

	char *blank = NULL, *ours = NULL;
	size_t rl = 0;
	for (size_t i = 0; i < n; i++) {
		char *dev = xasprintf("%s/dev/%s", sysroot, names[i]);
		enum disk_kind k;
		char what[128];
		int r = datadisk_probe(dev, &k, what, sizeof what);
		if (r < 0)
			snprintf(what, sizeof what, "%s", input_strerror(r));
		if (rl < sizeof c->report)
			rl += (size_t)snprintf(c->report + rl, sizeof c->report - rl, "%s%s: %s", rl ? "; " : "",
					       names[i], what);
		if (r == 0 && k == DISK_KILN_DATA && !ours)
			ours = xstrdup(dev);
		else if (r == 0 && k == DISK_BLANK && !blank)
			blank = xstrdup(dev);
		free(dev);
		free(names[i]);
	}
	free(names);
	if (ours) {
		c->dev = ours;
		free(blank);
	} else if (blank) {
		c->dev = blank;
		c->needs_format = true;
	}
	return 0;
}

void datadisk_choice_free(struct datadisk_choice *c)
{
	free(c->dev);
	c->dev = NULL;
}

int datadisk_format(const char *dev)
{
	enum disk_kind k;
	int r = datadisk_probe(dev, &k, NULL, 0);
	if (r < 0)
		return log_error_errno(r, "probing %s", dev);
	if (k != DISK_BLANK)
		return log_error_errno(EEXIST, "%s is not blank (%s): refusing to format it", dev, disk_kind_name(k));
	const char *argv[] = { "mkfs.ext4", "-q", "-F", "-L", KILN_DATA_LABEL, "-m", "0", dev, NULL };
	struct buf err;
	buf_init(&err);
	int st = spawn_capture(argv, NULL, &err, 0);
	if (st != 0) {
		r = log_error_errno(st < 0 ? st : EIO, "mkfs.ext4 %s failed (%d): %.*s", dev, st, (int)err.len,
				    err.data ? err.data : "");
		buf_free(&err);
		return r;
	}
	buf_free(&err);
	return 0;
}
