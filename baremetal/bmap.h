/* The range list of a sparse disk image: which blocks hold data, each run
 * with its SHA-256. Read and written in bmaptool's format (bmap 2.0 XML,
 * docs/install.md), so `bmaptool copy --bmap` uses kiln's files and kiln
 * installs with bmaptool's. Made from the image itself with SEEK_DATA /
 * SEEK_HOLE when there is no .bmap.
 *
 * All functions return 0 or a negative errno and do not log. */
#ifndef KILN_BAREMETAL_BMAP_H
#define KILN_BAREMETAL_BMAP_H
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "baremetal/progress.h"
#include "lib/buf.h"

#define BMAP_BLOCK_SIZE 4096u          /* what kiln writes; readers take 512..1 MiB */
#define BMAP_MAX_BYTES (64u << 20)     /* a larger .bmap is refused */
#define BMAP_RANGE_MAX (32u << 20)     /* longer data runs are cut into ranges of this */

struct bm_range {
	uint64_t offset, length;           /* bytes; offset is block aligned, only the
	                                      last range of the image may be short */
	uint8_t sha256[32];                /* of exactly these bytes */
};

struct bm_map {
	uint64_t image_size;
	uint32_t block_size;
	struct bm_range *v;
	size_t n;
	uint64_t mapped_bytes;             /* sum of the lengths */
};

void bm_map_free(struct bm_map *m);

/* Scan fd (size bytes): every run SEEK_DATA finds, widened to whole blocks,
 * with its SHA-256. When whole is not NULL it is fed every byte of the image
 * in order (holes as zeros): the BLAKE2b prehash a minisign signature of the
 * whole image checks. watch (may be NULL) hears BM_PHASE_VERIFY and may stop
 * it (-ECANCELED). */
int bm_map_scan(int fd, uint64_t size, uint32_t block_size, crypto_generichash_state *whole,
		const struct bm_watch *watch, struct bm_map *out);

/* bmaptool's XML, version 2.0, ChecksumType sha256, BmapFileChecksum set. */
void bm_map_format(const struct bm_map *m, struct buf *out);

/* The bmap text of the image file at path (scan + format): what
 * `kiln sign --bmap` writes as IMAGE.bmap. */
int bm_map_of_file(const char *path, struct buf *out);

/* Strict reader: version 2.x, sha256 only, BmapFileChecksum must match,
 * ranges ascending, disjoint, inside the image, counts consistent, no DTD.
 * On -EBADMSG why says what is wrong. */
int bm_map_parse(const char *xml, size_t len, struct bm_map *out, char *why, size_t why_len);

/* SHA-256 with OpenSSL (it uses the CPU's SHA instructions). */
struct bm_sha256;
struct bm_sha256 *bm_sha256_new(void);
void bm_sha256_update(struct bm_sha256 *s, const void *p, size_t n);
void bm_sha256_final(struct bm_sha256 *s, uint8_t out[32]);   /* and reset for reuse */
void bm_sha256_free(struct bm_sha256 *s);
static inline void bm_sha256_freep(struct bm_sha256 **s)
{
	if (*s)
		bm_sha256_free(*s);
}
#endif
