/* The copy engine of kiln install: every data range of a verified source
 * onto the target, its SHA-256 checked as it is read, each chunk written
 * past the page cache (O_DIRECT, or written and flushed with
 * sync_file_range where O_DIRECT is not available) and, with read_back, read
 * back past the cache (O_DIRECT, or after the flush and a cache drop) and
 * compared with what was written; every hole
 * of the image zeroed on the target (BLKZEROOUT on a block device, a punched
 * hole in a file). The image's first and last MiB are not written: they are
 * verified and handed back in head/tail for the final writes (install.c).
 * Reading and hashing run in two threads, the caller and one more, each on
 * whole ranges (a range's SHA-256 is sequential, ranges are independent);
 * writing (and reading back) run in two worker threads. Progress is reported
 * from the calling thread only. */
#ifndef KILN_BAREMETAL_COPY_H
#define KILN_BAREMETAL_COPY_H
#include <stdbool.h>
#include <stdint.h>
#include "baremetal/bmap.h"
#include "baremetal/progress.h"

struct bm_copy {
	/* in */
	int src_fd;
	const struct bm_map *map;     /* map->image_size is the image size */
	const uint64_t *src_at;       /* where range i's bytes are on src_fd (a packed payload);
	                                 NULL: at the range's own offset (an image file) */
	int fd;                       /* target, O_RDWR */
	int dfd;                      /* the target again with O_DIRECT, or -1 */
	bool block;                   /* a block device */
	bool fresh;                   /* a file kiln just created: its holes read as zeros already */
	bool read_back;               /* read every chunk back past the cache and compare it */
	struct bm_watch watch;        /* BM_PHASE_WRITE */
	/* out */
	uint8_t *head, *tail;         /* BM_MIB each, allocated by the caller */
	uint64_t written, zeroed;     /* bytes */
	const char *fail_step;        /* on failure: what failed ("writing", ...) */
	uint64_t fail_offset;         /* and at which byte */
};

/* 0; -EBADMSG a range's SHA-256 differs from the signed one; -EIO the read
 * back differs (read_back only); -ECANCELED the watch's cancel was set; other -errno from I/O. Does
 * not log: fail_step and fail_offset say what failed where. */
int bm_copy_run(struct bm_copy *c);
#endif
