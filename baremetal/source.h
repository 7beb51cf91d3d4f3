/* The image kiln install writes, opened only once its signature verifies.
 *
 * Fast path: IMAGE.bmap (bmaptool format, a SHA-256 per data range) signed
 * as IMAGE.bmap.minisig (`kiln sign IMAGE --bmap`). One small signature is
 * checked up front; each range is then hashed while it is copied.
 * Otherwise: IMAGE.minisig over the whole image; every byte (zeros of holes
 * included) is hashed before anything is written, and the ranges found with
 * SEEK_DATA get their SHA-256 in the same pass, so the copy checks the very
 * bytes the signature covered.
 *
 * Packed (the installer media, baremetal/payload.h): the image is not a
 * file but a payload on the medium holding only its ranges, back to back,
 * with the signed bmap; the bmap's signature is checked as on the fast path
 * and each range is read from where the payload keeps it.
 *
 * The trusted comment must be kiln's (deployment and version, see
 * lib/minisign.h). All functions log their errors and return 0 or -errno. */
#ifndef KILN_BAREMETAL_SOURCE_H
#define KILN_BAREMETAL_SOURCE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "baremetal/bmap.h"
#include "baremetal/payload.h"
#include "baremetal/progress.h"
#include "lib/minisign.h"

struct bm_source_opts {
	const char *image;
	const char *bmap;             /* NULL: IMAGE.bmap if it exists */
	const char *sig;              /* NULL: <signed file>.minisig */
	const struct minisign_pub *pub;
	const char *deployment;       /* the signature must name it; NULL: any */
	struct bm_watch watch;        /* BM_PHASE_VERIFY on the slow path */
	const struct bm_payload *payload;   /* set: the packed image on a medium (image, bmap, sig unused) */
};

struct bm_source {
	char *image;
	int fd;
	uint64_t size;
	dev_t st_dev;
	ino_t st_ino;
	struct bm_map map;            /* the data ranges, each with its SHA-256 */
	uint64_t *at;                 /* packed: where range i's bytes are on fd; NULL: at its own offset */
	dev_t rdev;                   /* packed: the medium's device number (0 for a file) */
	bool via_bmap;
	char *signed_path;            /* IMAGE.bmap or IMAGE */
	char *sig_path;
	char *sig_text;               /* the .minisig as read: recorded on the disk */
	uint8_t prehash[MINISIGN_HASH_BYTES];   /* BLAKE2b-512 of the signed file */
	char *deployment;             /* from the verified trusted comment */
	uint64_t version;
	int64_t signed_at;
};

/* bm_source_close is due afterwards, whether open succeeded or not. */
int bm_source_open(const struct bm_source_opts *o, struct bm_source *out);
/* n bytes of the image at byte off (holes read as zeros), packed or not. */
int bm_source_pread(const struct bm_source *s, void *buf, size_t n, uint64_t off);
void bm_source_close(struct bm_source *s);
#endif
