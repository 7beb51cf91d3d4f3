/* The installer media's payload: what a medium carries to install, in its
 * own partition (docs/install.md, "Installer media"). Only the image's data
 * ranges are stored, so an 8 GiB image holding 700 MiB of data takes
 * 700 MiB, with the signed block map that lists them and the seeds of the
 * hosts the medium installs (one on a per-host medium, each host of the role
 * on a per-role one):
 *
 *   offset 0      header, BM_PAYLOAD_HEADER bytes of text, zero padded:
 *                   kiln-payload 1
 *                   image <name of the raw image>
 *                   image-size <bytes>
 *                   bmap <offset> <length>        the .bmap (bmaptool format)
 *                   bmap-sig <offset> <length>    its .minisig
 *                   seed <offset> <length>        a host's seed (length 0: none), one
 *                                                 line per seed, 1..BM_PAYLOAD_SEEDS
 *                   data <offset> <length>        the ranges, back to back
 *                   end
 *   then the three texts at 4 KiB boundaries, the data at a 1 MiB boundary.
 *
 * Offsets are from the payload's start. Nothing here is trusted: the bmap
 * is checked against its signature with the operator key, every range
 * against its SHA-256 as it is copied (baremetal/source.h, copy.h), and
 * each seed against its own signature. Functions return 0 or -errno and do not
 * log (the reader says why in a buffer). */
#ifndef KILN_BAREMETAL_PAYLOAD_H
#define KILN_BAREMETAL_PAYLOAD_H
#include <stddef.h>
#include <stdint.h>
#include "baremetal/bmap.h"

#define BM_PAYLOAD_HEADER 4096u
#define BM_PAYLOAD_SIG_MAX 16384u
#define BM_PAYLOAD_SEED_MAX (1u << 20)
#define BM_PAYLOAD_SEEDS 100u        /* seeds on one medium (hosts of a role): their lines fit the header */
/* The partition type GUID of a payload partition on a medium. */
#define BM_PAYLOAD_TYPE_GUID "6b696c6e-7061-4c6f-8164-6d6564696131"
#define BM_PAYLOAD_PART_NAME "kiln-payload"

struct bm_payload_seed {
	char *text;                  /* NUL-terminated; read by bm_payload_open */
	size_t len;
	uint64_t off;                /* from base */
};

struct bm_payload {
	int fd;                      /* the medium (not owned) */
	uint64_t base;               /* where the payload starts on it */
	char *name;                  /* for messages: "/dev/sr0" */
	char *image;                 /* the image's name */
	uint64_t image_size;
	char *bmap, *sig;            /* NUL-terminated; read by bm_payload_open */
	size_t bmap_len, sig_len;
	uint64_t bmap_off, sig_off;  /* from base */
	struct bm_payload_seed *seeds;   /* at least one */
	size_t n_seeds;
	uint64_t data_off, data_len; /* from base */
};

/* One seed going in. */
struct bm_payload_text {
	const char *data;            /* NULL: none (length 0) */
	size_t len;
};

/* What goes into a payload. */
struct bm_payload_in {
	const char *image;           /* the raw image file */
	const struct bm_map *map;    /* its ranges (from bmap, the same text) */
	const char *bmap, *sig;
	size_t bmap_len, sig_len;
	const struct bm_payload_text *seeds;   /* 1..BM_PAYLOAD_SEEDS */
	size_t n_seeds;
};

/* The bytes a payload of in takes (a multiple of 1 MiB). */
uint64_t bm_payload_size(const struct bm_payload_in *in);

/* Write the payload at byte base of out_fd, copying the ranges from the
 * image. progress (may be NULL) hears the data bytes copied. -EINVAL for
 * an image name that is not one printable word, texts over their limits, no
 * seed or more than BM_PAYLOAD_SEEDS. */
int bm_payload_write(int out_fd, uint64_t base, const struct bm_payload_in *in,
		     void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud);

/* Parse a header block (BM_PAYLOAD_HEADER bytes); limit is the size of the
 * area the payload may use. -EBADMSG with why filled. The texts are not
 * read (out's bmap, sig and seeds' text stay NULL). */
int bm_payload_parse_header(const uint8_t *block, uint64_t limit, struct bm_payload *out, char *why,
			    size_t why_len);

/* Header and texts from fd at base (limit bytes at most). name is kept
 * for messages. */
int bm_payload_open(int fd, uint64_t base, uint64_t limit, const char *name, struct bm_payload *out, char *why,
		    size_t why_len);
void bm_payload_free(struct bm_payload *p);
#endif
