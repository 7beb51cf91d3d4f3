/* What libblkid finds on a target: bm_signatures() (probe.h). */
#include "baremetal/probe.h"
#include "lib/buf.h"
#include "lib/diskinfo.h"
#include "lib/xalloc.h"
#include <blkid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 512u

void bm_found_free(struct bm_found *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].usage);
		free(v[i].label);
		free(v[i].uuid);
	}
	free(v);
}

struct list {
	struct bm_found *v;
	size_t n, cap;
};

static struct bm_found *push(struct list *l)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

static char *value(blkid_probe pr, const char *name)
{
	const char *v = NULL;
	if (blkid_probe_lookup_value(pr, name, &v, NULL) != 0 || !v || !*v)
		return NULL;
	return disk_text_printable(v);
}

static blkid_probe new_probe(int fd, uint64_t off, uint64_t size)
{
	blkid_probe pr = blkid_new_probe();
	if (!pr)
		abort();
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) != 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	return pr;
}

/* Every signature on the area, one by one (the way wipefs lists them). */
static int all_signatures(int fd, uint64_t off, uint64_t size, unsigned partno, struct list *l)
{
	blkid_probe pr = new_probe(fd, off, size);
	if (!pr)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE | BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	int r;
	while ((r = blkid_do_probe(pr)) == 0) {
		char *pt = value(pr, "PTTYPE");
		struct bm_found *f = push(l);
		f->partno = partno;
		f->offset = off;
		f->size = size;
		if (pt) {
			f->type = pt;
			f->usage = xstrdup("partition table");
			f->uuid = value(pr, "PTUUID");
		} else {
			f->type = value(pr, "TYPE");
			if (!f->type)
				f->type = xstrdup("unknown");
			f->usage = value(pr, "USAGE");
			if (!f->usage)
				f->usage = xstrdup("other");
			f->label = value(pr, "LABEL");
			f->uuid = value(pr, "UUID");
		}
	}
	blkid_free_probe(pr);
	return r < 0 ? -EIO : 0;
}

/* The partition table's entries, and what each partition holds. */
static int partitions(int fd, uint64_t size, struct list *l)
{
	blkid_probe pr = new_probe(fd, 0, size);
	if (!pr)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	int r = 0;
	blkid_partlist pl = NULL;
	if (blkid_do_fullprobe(pr) == 0)
		pl = blkid_probe_get_partitions(pr);
	int n = pl ? blkid_partlist_numof_partitions(pl) : 0;
	for (int i = 0; i < n && r == 0; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		uint64_t start = (uint64_t)blkid_partition_get_start(p) * SECTOR;
		uint64_t len = (uint64_t)blkid_partition_get_size(p) * SECTOR;
		struct bm_found *f = push(l);
		f->partno = (unsigned)blkid_partition_get_partno(p);
		f->offset = start;
		f->size = len;
		const char *ts = blkid_partition_get_type_string(p);
		if (ts)
			f->type = disk_text_printable(ts);
		else
			f->type = xasprintf("0x%x", (unsigned)blkid_partition_get_type(p));
		f->usage = xstrdup("partition");
		f->label = disk_text_printable(blkid_partition_get_name(p));
		f->uuid = disk_text_printable(blkid_partition_get_uuid(p));
		/* What the partition holds; one that reaches past the end of the
		 * device (an image written to a smaller disk) is read up to it. */
		if (start < size && len)
			r = all_signatures(fd, start, start + len > size ? size - start : len, f->partno, l);
	}
	blkid_free_probe(pr);
	return r;
}

int bm_signatures(int fd, uint64_t size, struct bm_found **v, size_t *n)
{
	struct list l = { 0 };
	int r = all_signatures(fd, 0, size, 0, &l);
	if (r == 0)
		r = partitions(fd, size, &l);
	if (r < 0) {
		bm_found_free(l.v, l.n);
		return r;
	}
	*v = l.v;
	*n = l.n;
	return 0;
}
