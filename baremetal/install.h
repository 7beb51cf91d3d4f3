/* kiln install as a library: a signed role image onto a disk or a file,
 * safely (docs/install.md). The `kiln install` command and the installer
 * media's unattended run (issue 9, step 3) both call bm_install().
 *
 * Order: probe the target and verify the image's signature (nothing is
 * written before both pass and every refusal is clear); zero the first MiB
 * (leaving an in-progress record) and the last MiB; copy every range,
 * checking its SHA-256 (and, with read_back, reading what was written back); put the seed into the root filesystem; write the backup GPT (moved
 * to the end of a larger disk), then the first MiB, its first sector last.
 * A disk interrupted anywhere before that last step has no partition table
 * and does not boot; running the same install again completes it. */
#ifndef KILN_BAREMETAL_INSTALL_H
#define KILN_BAREMETAL_INSTALL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "baremetal/probe.h"
#include "baremetal/progress.h"
#include "baremetal/source.h"
#include "lib/appliance.h"   /* KILN_SEED_FILE, where the agent reads the seed; KILN_ROLE_FILE */


struct bm_install_opts {
	const struct bm_roots *roots;    /* NULL: the host's /sys and /proc */
	const char *disk;                /* block device, or a regular file (created if missing) */
	struct bm_source_opts source;    /* the image and the key that must have signed it
	                                    (its watch is taken from the one below) */
	const char *seed;                /* NULL, or a kiln seed's text (one line) */
	size_t seed_len;
	bool wipe;                       /* overwrite a disk that holds data */
	bool force;                      /* install an older version than the disk carries */
	bool read_back;                  /* read every chunk written back past the page cache and
	                                    compare it (--read-back; the installer media) */
	struct bm_watch watch;           /* progress of every phase; cancel stops between chunks */
	/* Called once with the probed target, before any refusal is logged,
	 * so a front end can show what the disk is and holds. May be NULL. */
	void (*show_disk)(void *ud, const struct bm_disk *d);
	void *show_ud;
};

struct bm_install_result {
	uint64_t image_size, disk_size;
	uint64_t bytes_written, bytes_zeroed;
	size_t ranges;
	double seconds;
	bool verified;                   /* every range matched its signed SHA-256 as it was read */
	bool read_back;                  /* and every byte written was read back and matched */
	bool gpt_moved;                  /* the backup GPT went to the end of a larger disk */
	bool via_bmap;
	char *deployment;
	uint64_t version;
	char *seed_host;                 /* the host the placed seed is for, or NULL */
};

/* 0 when the disk holds the image, verified. -EPERM: refused (each reason
 * logged); -ECANCELED: interrupted (the disk does not boot; rerun); other
 * -errno: failed (logged). */
int bm_install(const struct bm_install_opts *o, struct bm_install_result *res);
void bm_install_result_free(struct bm_install_result *res);

/* The refusals that depend on the image, the options and the disk's
 * record, added to d (bm_install calls it; the installer media's disk
 * selection can too). */
void bm_check(struct bm_disk *d, const struct bm_roots *roots, const struct bm_source *src,
	      const struct minisign_pub *pub, bool wipe, bool force);
#endif
