/* Progress of a long step of kiln install, for a front end to show (a bar
 * on a terminal, periodic lines otherwise, the installer media's console). */
#ifndef KILN_BAREMETAL_PROGRESS_H
#define KILN_BAREMETAL_PROGRESS_H
#include <stdint.h>

enum bm_phase {
	BM_PHASE_VERIFY,     /* hashing an image that has no .bmap, for its signature */
	BM_PHASE_WRITE,      /* writing, zeroing and reading back the image's ranges */
};

/* done and total in bytes; called at least at the start and at the end. */
typedef void (*bm_progress_fn)(void *ud, enum bm_phase phase, uint64_t done, uint64_t total);
#endif
