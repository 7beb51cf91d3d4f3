/* Progress of a long step of kiln install, for a front end to show (a bar
 * on a terminal, periodic lines otherwise, the installer media's console),
 * and the front end's way to stop it (SIGINT). */
#ifndef KILN_BAREMETAL_PROGRESS_H
#define KILN_BAREMETAL_PROGRESS_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

enum bm_phase {
	BM_PHASE_VERIFY,     /* hashing an image that has no .bmap, for its signature */
	BM_PHASE_WRITE,      /* writing, zeroing and reading back the image's ranges */
};

/* done and total in bytes; called at least at the start and at the end. */
typedef void (*bm_progress_fn)(void *ud, enum bm_phase phase, uint64_t done, uint64_t total);

/* Who watches a long step; every field may be NULL. Progress is reported
 * from the thread that called in. */
struct bm_watch {
	bm_progress_fn progress;
	void *ud;
	volatile sig_atomic_t *cancel;   /* set (e.g. by SIGINT): stop at the next chunk */
};

static inline void bm_watch_report(const struct bm_watch *w, enum bm_phase ph, uint64_t done, uint64_t total)
{
	if (w && w->progress)
		w->progress(w->ud, ph, done, total);
}

static inline bool bm_watch_cancelled(const struct bm_watch *w)
{
	return w && w->cancel && *w->cancel;
}
#endif
