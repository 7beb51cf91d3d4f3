#include "firstboot/datadisk.h"
#include "profiles/disk_rule.h"
#include "lib/diskinfo.h"
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

static void report(struct datadisk_choice *c, size_t *rl, const char *name, const char *what)
{
	if (*rl < sizeof c->report)
		*rl += (size_t)snprintf(c->report + *rl, sizeof c->report - *rl, "%s%s: %s", *rl ? "; " : "", name,
					what);
}

/* The disk of the host's install.data_disk rule: exactly one must match. */
static int choose_by_rule(const char *sysroot, char **names, size_t n, const struct disk_rule *rule,
			  struct datadisk_choice *c)
{
	char *sysfs = xasprintf("%s/sys", sysroot), *match = NULL;
	enum disk_kind match_kind = DISK_FOREIGN_FS;
	size_t rl = 0, n_match = 0;
	for (size_t i = 0; i < n; i++) {
		struct disk_facts f;
		char what[512], why[256];
		if (disk_facts_read(sysfs, names[i], &f) < 0) {
			report(c, &rl, names[i], "no size in sysfs");
			continue;
		}
		if (!disk_rule_match(rule, "install.data_disk", &f, why, sizeof why)) {
			report(c, &rl, names[i], why);
			disk_facts_free(&f);
			continue;
		}
		disk_facts_free(&f);
		char *dev = xasprintf("%s/dev/%s", sysroot, names[i]);
		enum disk_kind k;
		char held[128];
		int r = datadisk_probe(dev, &k, held, sizeof held);
		snprintf(what, sizeof what, "matches install.data_disk, %s", r < 0 ? input_strerror(r) : held);
		report(c, &rl, names[i], what);
		if (r == 0 && !n_match++) {
			match = dev;
			match_kind = k;
		} else
			free(dev);
	}
	free(sysfs);
	if (n_match == 1 && (match_kind == DISK_KILN_DATA || match_kind == DISK_BLANK)) {
		c->dev = match;
		c->needs_format = match_kind == DISK_BLANK;
		return 0;
	}
	free(match);
	if (n_match > 1)
		report(c, &rl, "refused", "more than one disk matches install.data_disk: kiln never guesses");
	else if (n_match == 1)
		report(c, &rl, "refused", "the disk install.data_disk picks is neither blank nor kiln's: kiln formats "
		       "only a blank disk");
	return 0;
}

int datadisk_choose(const char *sysroot, const struct disk_rule *rule, struct datadisk_choice *c)
{
	memset(c, 0, sizeof *c);
	char *sysfs = xasprintf("%s/sys", sysroot);
	char **names;
	size_t n;
	int e = disk_list(sysfs, &names, &n);
	free(sysfs);
	if (e < 0)
		return e;
	if (rule && rule->set) {
		e = choose_by_rule(sysroot, names, n, rule, c);
		disk_list_free(names, n);
		return e;
	}
	char *blank = NULL, *ours = NULL;
	size_t rl = 0;
	for (size_t i = 0; i < n; i++) {
		char *dev = xasprintf("%s/dev/%s", sysroot, names[i]);
		enum disk_kind k;
		char what[128];
		int r = datadisk_probe(dev, &k, what, sizeof what);
		if (r < 0)
			snprintf(what, sizeof what, "%s", input_strerror(r));
		report(c, &rl, names[i], what);
		if (r == 0 && k == DISK_KILN_DATA && !ours)
			ours = xstrdup(dev);
		else if (r == 0 && k == DISK_BLANK && !blank)
			blank = xstrdup(dev);
		free(dev);
	}
	disk_list_free(names, n);
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
