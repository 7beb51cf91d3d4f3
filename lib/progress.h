/* Progress on stderr for long work: on a terminal a bar with percentage,
 * rate and ETA redrawn in place (at most 10 times a second); otherwise a
 * plain line every few seconds, so logs stay readable. */
#ifndef KILN_PROGRESS_H
#define KILN_PROGRESS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress_bar {
	const char *what;         /* "writing", "hashing" */
	FILE *out;                /* stderr */
	bool tty;
	double interval;          /* seconds between plain lines */
	double start, last;       /* monotonic seconds; start 0 = not started */
	bool open_line;           /* a bar is drawn without its newline */
	bool finished;            /* the final state is shown */
};

void progress_bar_init(struct progress_bar *p, const char *what, FILE *out);
/* done/total in bytes; final draws the last state and ends the line. */
void progress_bar_update(struct progress_bar *p, uint64_t done, uint64_t total, bool final);
/* Ends a drawn bar's line (before other output). */
void progress_bar_break(struct progress_bar *p);
#endif
