/* The agent's record of every first-boot step, in /var/lib/kiln/status.json.
 * It is what makes the agent resumable and idempotent: a step already "done"
 * is not run again after a reboot; a "failed" step carries its reason, which
 * `kiln-firstboot status` prints. Reasons never contain secret values. */
#ifndef KILN_FB_STATUS_H
#define KILN_FB_STATUS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum step_state { STEP_PENDING, STEP_RUNNING, STEP_DONE, STEP_FAILED, STEP_SKIPPED };
const char *step_state_name(enum step_state s);

/* Where a step's time went: its phases (the commands and waits inside it),
 * in the order they first ran; a phase run again adds to its time. */
#define STATUS_MAX_PHASES 12
#define STATUS_PHASE_NAME 24
struct step_phase {
	char name[STATUS_PHASE_NAME];
	int64_t ms;
};

struct step {
	char *name;
	enum step_state state;
	char *reason;          /* why failed/skipped, or a short detail; may be NULL */
	int64_t updated;       /* unix time of the last change */
	/* Timing of the step's last run (-1: not timed, e.g. a record written
	 * before timings existed): when it began, in ms since the kernel booted
	 * (CLOCK_BOOTTIME, as the journal's monotonic time), and how long it
	 * took (-1 while it runs). */
	int64_t started_ms, ms;
	struct step_phase phases[STATUS_MAX_PHASES];
	size_t n_phases;
};

struct status {
	struct step *steps;
	size_t n, cap;
	uint64_t seed_serial;  /* serial of the last seed applied (downgrade protection) */
	char *datasource;      /* where the seed came from, e.g. "ec2-imdsv2" */
};

/* Missing file => empty status (0). A corrupt file is -EBADMSG; a file that
 * is not a regular file (or is a symlink, or too large) gives the errors of
 * read_input (lib/input.h). */
int status_load(const char *path, struct status *s);
/* Atomic write (temp + rename), mode 0644: the status holds no secrets. */
int status_save(const char *path, const struct status *s);
void status_free(struct status *s);

struct step *status_step(struct status *s, const char *name);   /* NULL if absent */
void status_set(struct status *s, const char *name, enum step_state st, const char *reason_fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool status_done(const struct status *s, const char *name);

/* Milliseconds since the kernel booted (CLOCK_BOOTTIME): the clock of the
 * timings below, cheap (a vDSO call). */
int64_t status_clock_ms(void);
/* A step's run begins at now_ms (ms since boot): its timing and phases are
 * reset, its duration -1 until status_time_end. The step is added (pending)
 * if absent. */
void status_time_begin(struct status *s, const char *name, int64_t now_ms);
/* The step's run is over at now_ms: its duration from status_time_begin.
 * Nothing for a step not being timed. */
void status_time_end(struct status *s, const char *name, int64_t now_ms);
/* Add ms to the step's phase (created in order; beyond STATUS_MAX_PHASES
 * phases, or for a longer name, the time goes to "other"). */
void status_phase_add(struct status *s, const char *step, const char *phase, int64_t ms);

/* Ready: nothing failed, nothing owed (pending or interrupted), and "join",
 * the last step of every role, is over. The summary and the JSON "ready"
 * both say this. */
bool status_ready(const struct status *s);
/* Human table or JSON. JSON: per step "started_ms" and "ms" (null when not
 * timed) and "phases" ({"name": ms, ...} in the order they ran). */
void status_print(const struct status *s, FILE *f, bool json);
/* The same, then the backup runs (KILN_BACKUP_STATUS_NAME, firstboot/backup.h)
 * when backups is not NULL: "backups:" rows with each run's time (UTC), or
 * in JSON a "backups" array of steps. They are no first-boot steps: "ready"
 * does not look at them. */
void status_print_with_backups(const struct status *s, const struct status *backups, FILE *f, bool json);
/* The same, then (text) extra_text as it is, or (JSON) extra_json as one
 * more member of the object ("name": value, no trailing comma); either may
 * be NULL. A replica's "replication" (firstboot/mysql_replica.h). */
void status_print_ext(const struct status *s, const struct status *backups, const char *extra_json,
		      const char *extra_text, FILE *f, bool json);
/* The timings as a table: each step, when it began (s since boot), how long
 * it took ("(runs)" while it runs, "-" untimed) and its phases. */
void status_print_times(const struct status *s, FILE *f);
/* One line for the console and /etc/issue, e.g. "kiln: 7/9 steps done, join failed: ..." */
void status_summary(const struct status *s, char *buf, size_t len);
#endif
