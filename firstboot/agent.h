/* The first-boot agent's shared context. Every step is a function
 * int step_X(struct agent *a) that is idempotent (safe to run again after a
 * reboot mid-way) and returns 0 or -errno after recording why in the status.
 * All files are written below a->root ("/" on the appliance, a directory in
 * tests); services are touched only through agent_exec so tests can run the
 * steps without systemd (a->no_services). */
#ifndef KILN_FB_AGENT_H
#define KILN_FB_AGENT_H
#include <stdbool.h>
#include "firstboot/datasource.h"
#include "firstboot/overrides.h"
#include "firstboot/status.h"
#include "lib/appliance.h"
#include "lib/seed.h"

struct agent {
	const char *root;          /* "/" in production */
	char *state_dir;           /* <root>/var/lib/kiln */
	char *status_path;
	struct status status;
	struct ds_opts ds;
	bool no_services;          /* tests: record commands instead of running them */
	unsigned join_deadline_s;  /* overall budget for peers to answer; default 900 */
	enum platform platform;    /* as the datasource decided it (step_seed) */
	struct seed seed;          /* opened seed, valid after step_seed */
	bool seed_open;
	struct model *model;       /* the seed's topology, parsed (valid with seed_open) */
	const struct host *host;   /* this host in model */
	struct overrides overrides;  /* OVF overrides applied to model (firstboot/overrides.h) */
	bool monitoring_started;   /* step_monitoring queued its units; monitoring_check owes the verdict */
	/* Timing (status.h): the step being timed, its open phase and when that began. */
	const char *timed_step;
	const char *phase;
	int64_t phase_t0;
	int64_t paused_ms;         /* when the last step left running returned (-1: none) */
};

/* The steps after "seed", in order. Which of them still owe work is the
 * status itself: a step runs unless it is done or skipped. A newer seed
 * marks every one of them pending ("owed") in the same atomic status write
 * that records its serial, before any of them runs; each is cleared only by
 * its own completion. So an interrupted run, or the late stage after the
 * early one, resumes exactly the work still owed. */
struct agent_step {
	const char *name;
	int (*run)(struct agent *a);
	bool late_only;            /* needs the network up and the role's packages */
};
extern const struct agent_step agent_steps[];
extern const size_t agent_n_steps;

/* Mark a step as owing work (pending, with why) in the in-memory status;
 * the caller saves it. */
void agent_owe(struct agent *a, const char *step, const char *why_fmt, ...) __attribute__((format(printf, 3, 4)));
/* The whole run: the seed step, then every step still owed (the early stage
 * stops before the late-only ones), then (late stage) the verdict on the
 * monitoring units started without waiting (monitoring_check). 0, or the
 * first failing step's -errno. */
int agent_run(struct agent *a, bool early);

/* Tests: called at every point where the durable record changes (after each
 * step, and inside the seed step: "seed:stored", "seed:pinned",
 * "seed:owed"), so a test driver can stop the process there as a power cut
 * would. NULL in production. */
extern void (*agent_checkpoint_hook)(const char *point);
void agent_checkpoint(const char *point);

int agent_init(struct agent *a, const char *root);
void agent_free(struct agent *a);
int agent_save(struct agent *a);

/* The absolute path ABS below ROOT ("/", "" or NULL: ABS itself), malloc'd:
 * for a command that needs a path before its agent exists. */
char *root_path(const char *root, const char *abs);
/* Path below the agent's root (malloc'd). */
char *agent_path(const struct agent *a, const char *abs);
/* Write a file below the root atomically with mode (parents created 0755, or
 * 0700 when the file is private). */
int agent_write(const struct agent *a, const char *abs, const void *data, size_t len, unsigned mode);
/* agent_write, unless the file already holds exactly these bytes with this
 * mode (a regular file): then it is left alone, mtime and all (0 returned;
 * 1 when it wrote). For unit files a re-run writes again: systemd takes a
 * newer mtime of a loaded unit for a change and would want a daemon-reload
 * (seconds under TCG). */
int agent_write_if_changed(const struct agent *a, const char *abs, const void *data, size_t len, unsigned mode);
/* Run a command (stdin optional). With no_services the command line is
 * appended to <state>/commands.log instead (tests); argv never holds secrets. */
int agent_exec(const struct agent *a, const char *const argv[], const char *in, size_t in_len, char *why,
	       size_t why_len);
/* `systemctl VERB --no-block UNIT...` (verb: start, stop, restart,
 * try-restart): the jobs queued in-process over systemd's socket
 * (systemd_queue: no systemctl process), or with no_services that command
 * line recorded as agent_exec records. Negative errno with why. */
int agent_queue(const struct agent *a, const char *verb, const char *const units[], size_t n, char *why,
		size_t why_len);
/* `systemctl daemon-reload`, in-process over systemd's socket
 * (systemd_reload), or with no_services that command line recorded. */
int agent_reload(const struct agent *a, char *why, size_t why_len);
/* agent_reload if systemd must reload before these units are (re)started:
 * asked of systemd itself which of them it has loaded (systemd_loaded),
 * and of those whether any was changed on disk since it loaded it
 * (systemd_show, unit_reload_needed). A unit systemd has not loaded is read
 * from its files as they are when first asked for, so new unit files (and
 * at a first boot, every unit) need no reload; a loaded unit systemd found
 * no file for is a reload. Any doubt (systemd not answering, an answer not
 * understood) is a reload; with no_services the reload is always recorded.
 * who: the step, for the log line saying which it was. 1 when it reloaded,
 * 0 when none was needed, negative errno (why) when the reload failed. */
int agent_reload_if_needed(const struct agent *a, const char *who, const char *const units[], size_t n, char *why,
			   size_t why_len);
/* The environment for `systemctl enable --no-reload` (agent_enable): the
 * links made by systemctl itself, not by systemd (a documented systemctl
 * variable, as deb-systemd-helper uses), so systemd does not mark every unit
 * NeedDaemonReload=yes until its next reload (its unit_file_state_outdated,
 * set by any enable through it), which the monitoring step would take for
 * files changed on disk and reload for. Not with --now: systemctl refuses
 * it client-side ("--now cannot be used when systemd is not running or in
 * conjunction with --root"). */
#define AGENT_ENABLE_ENV "SYSTEMCTL_INSTALL_CLIENT_SIDE=1"
/* `systemctl enable --no-reload UNIT...` client-side (AGENT_ENABLE_ENV): the
 * links later boots follow, and systemd left as it was. A unit that must
 * also start now is started after it (--now is refused client-side).
 * Negative errno with why. */
int agent_enable(const struct agent *a, const char *const units[], size_t n, char *why, size_t why_len);
/* agent_exec with env ("NAME=value" entries, NULL-terminated) added to the
 * command's environment; with no_services the log line starts with them. */
int agent_exec_env(const struct agent *a, const char *const env[], const char *const argv[], char *why, size_t why_len);
/* agent_exec, and on failure the step's end with "what: why" (its -errno
 * returned): the way a step runs a command it cannot do without. */
int agent_exec_or_fail(struct agent *a, const char *step, const char *const argv[], const char *in, size_t in_len,
		       const char *what);
/* Run a probe (a read-only check such as a MySQL login) for real even with
 * no_services; output discarded, stderr summarised into why. */
int agent_probe(const struct agent *a, const char *const argv[], char *why, size_t why_len);
/* seed_open, then the topology parsed into a->model (profiles/seed_topology.h):
 * 0 or a SEED_E_* code, with nothing left open on failure. */
int agent_open_seed(struct agent *a, const char *data, size_t len, const struct minisign_pub *op,
		    const struct role_keypair *rk, const char *deployment, uint64_t min_serial);
/* Secret value from the opened seed, or NULL. */
const char *agent_secret(void *agent, const char *name);
/* Public file carried by the seed (e.g. "ca.pem"), or NULL. */
const struct seed_file *agent_seed_file(const struct agent *a, const char *name);

/* Timings in the status (status.h): agent_run times every step it runs
 * (agent_time_begin before, agent_time_end when it is over: in
 * agent_step_end, or after the step returns); inside a step, agent_phase
 * closes the open phase (its time added to the step's phases) and opens the
 * one named (NULL: none). Held in memory, written with the step's next
 * status write: no write of its own. */
void agent_time_begin(struct agent *a, const char *step);
void agent_time_end(struct agent *a);
void agent_phase(struct agent *a, const char *phase);
/* Timing a step left running again (its verdict comes later in the run):
 * the time since it returned is the phase gap (e.g. "later-steps"). */
void agent_time_resume(struct agent *a, const char *step, const char *gap);

/* Record a step's outcome (and save). Returns r so `return agent_step_end(...)` reads well. */
int agent_step_end(struct agent *a, const char *step, int r, const char *why_fmt, ...)
	__attribute__((format(printf, 4, 5)));

int step_seed(struct agent *a);
int step_identity(struct agent *a);
int step_secrets(struct agent *a);
int step_datadisk(struct agent *a);
int step_role(struct agent *a);
/* Without a monitoring: section the step is skipped. Otherwise it does its
 * work and starts every unit monitoring needs in one job without waiting
 * (systemctl restart --no-block), leaves the step "running" and sets
 * a->monitoring_started: the steps after it go on while the units come up. */
int step_monitoring(struct agent *a);
/* After the other steps (agent_run): when step_monitoring started the units,
 * start the timers (kiln-metrics' first run comes after the run, not in
 * it), wait (bounded) until each service is up and stays up, then end the
 * step: done, or failed naming the first unit that did not come up (a unit
 * that needs a peer, journal upload, may still be retrying). 0 when nothing
 * was started. */
int monitoring_check(struct agent *a);
/* After a failed step of the late stage, with monitoring: the exporters,
 * journal upload (or the monitoring host's Prometheus, Alertmanager and
 * journal-remote) and kiln-metrics.timer started as far as the steps done
 * allow, so Prometheus sees the failure (FirstBootStepFailed) instead of a
 * silent host. Best effort: logs warnings, never fails the run further. */
void monitoring_after_failure(struct agent *a);
int step_join(struct agent *a);
#endif
