#include "lib/progress.h"
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR 24
#define MiB (1024.0 * 1024.0)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_bar_init(struct progress_bar *p, const char *what, FILE *out)
{
	memset(p, 0, sizeof *p);
	p->what = what;
	p->out = out;
	p->tty = isatty(fileno(out));
	p->interval = 2.0;
}

static void eta_text(double secs, char *b, size_t n)
{
	if (secs < 0 || secs > 360000) {
		snprintf(b, n, "--:--");
		return;
	}
	unsigned s = (unsigned)(secs + 0.5);
	if (s >= 3600)
		snprintf(b, n, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(b, n, "%u:%02u", s / 60, s % 60);
}

void progress_bar_update(struct progress_bar *p, uint64_t done, uint64_t total, bool final)
{
	double t = now();
	if (p->finished)
		return;
	if (!p->start)
		p->start = p->last = t;
	else if (!final && t - p->last < (p->tty ? 0.1 : p->interval))
		return;
	p->last = t;
	p->finished = final;
	if (done > total)
		done = total;
	double el = t - p->start, rate = el > 0.05 ? (double)done / el : 0;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
	char eta[32];
	eta_text(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof eta);
	if (p->tty) {
		char bar[BAR + 1];
		unsigned fill = total ? (unsigned)(done * BAR / total) : BAR;
		memset(bar, '#', fill);
		memset(bar + fill, '.', BAR - fill);
		bar[BAR] = '\0';
		fprintf(p->out, "\rkiln: %s [%s] %3u%%  %.0f/%.0f MiB  %.1f MiB/s  ETA %s   ", p->what, bar, pct,
			(double)done / MiB, (double)total / MiB, rate / MiB, final ? "0:00" : eta);
		p->open_line = !final;
		if (final)
			fputc('\n', p->out);
	} else
		fprintf(p->out, "kiln: %s: %u%% (%.0f of %.0f MiB), %.1f MiB/s, ETA %s\n", p->what, pct,
			(double)done / MiB, (double)total / MiB, rate / MiB, final ? "0:00" : eta);
	fflush(p->out);
}

void progress_bar_break(struct progress_bar *p)
{
	if (p->open_line) {
		fputc('\n', p->out);
		p->open_line = false;
	}
}
