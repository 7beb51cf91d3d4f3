/* Finding the installer medium (find.h). */
#include "medium/find.h"
#include "baremetal/payload.h"
#include "lib/diskinfo.h"
#include "lib/xalloc.h"
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int media_part_by_type(int fd, const char *type_guid, struct media_part *out)
{
	memset(out, 0, sizeof *out);
	blkid_probe pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	int r = -ENOENT;
	if (blkid_probe_set_device(pr, fd, 0, 0) == 0 && blkid_probe_set_sectorsize(pr, 512) == 0) {
		blkid_probe_enable_partitions(pr, 1);
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
		blkid_partlist ls = blkid_probe_get_partitions(pr);
		int n = ls ? blkid_partlist_numof_partitions(ls) : 0;
		for (int i = 0; i < n && r == -ENOENT; i++) {
			blkid_partition p = blkid_partlist_get_partition(ls, i);
			const char *type = blkid_partition_get_type_string(p), *uuid = blkid_partition_get_uuid(p);
			if (!type || strcasecmp(type, type_guid))
				continue;
			out->partno = (uint32_t)blkid_partition_get_partno(p);
			out->start = (uint64_t)blkid_partition_get_start(p) * 512;
			out->size = (uint64_t)blkid_partition_get_size(p) * 512;
			snprintf(out->uuid, sizeof out->uuid, "%s", uuid && strlen(uuid) == 36 ? uuid : "");
			r = 0;
		}
	}
	blkid_free_probe(pr);
	return r;
}

int media_payload_part(int fd, uint64_t *start, uint64_t *size)
{
	struct media_part p;
	int r = media_part_by_type(fd, BM_PAYLOAD_TYPE_GUID, &p);
	if (r == 0) {
		*start = p.start;
		*size = p.size;
	}
	return r;
}

static bool virtual_dev(const char *n)
{
	static const char *const prefixes[] = { ".", "loop", "ram", "zram", "dm-", "md", "nbd", NULL };
	for (size_t i = 0; prefixes[i]; i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int media_find(const char *sysfs, const char *devdir, struct medium *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	char *block = xasprintf("%s/block", sysfs);
	DIR *d = opendir(block);
	free(block);
	if (!d) {
		snprintf(why, why_len, "cannot list %s/block: %s", sysfs, strerror(errno));
		return -errno;
	}
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (virtual_dev(e->d_name))
			continue;
		char *node = xasprintf("%s/%s", devdir, e->d_name);
		int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		uint64_t start, size;
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && media_payload_part(fd, &start, &size) == 0) {
			if (found++) {
				snprintf(why, why_len, "two installer media: %s and %s; remove one", out->node, node);
				close(fd);
				free(node);
				continue;
			}
			out->node = node;
			out->fd = fd;
			out->devno = S_ISBLK(st.st_mode) ? st.st_rdev : 0;
			out->start = start;
			out->size = size;
			continue;
		}
		if (fd >= 0)
			close(fd);
		free(node);
	}
	closedir(d);
	if (found > 1) {
		medium_close(out);
		return -EEXIST;
	}
	if (!found) {
		snprintf(why, why_len, "no block device carries a kiln payload partition yet");
		return -ENOENT;
	}
	return 0;
}

void medium_close(struct medium *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->node);
	memset(m, 0, sizeof *m);
	m->fd = -1;
}
