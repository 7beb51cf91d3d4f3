#include "firstboot/agent.h"
#include "firstboot/systemd_bus.h"
#include "firstboot/unit_wait.h"
#include "profiles/seed_topology.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *root_path(const char *root, const char *abs)
{
	if (!root || !*root || !strcmp(root, "/"))
		return xstrdup(abs);
	return xasprintf("%s%s", root, abs);
}

char *agent_path(const struct agent *a, const char *abs)
{
	return root_path(a->root, abs);
}

int agent_init(struct agent *a, const char *root)
{
	memset(a, 0, sizeof *a);
	a->root = root && *root ? root : "/";
	a->state_dir = agent_path(a, KILN_STATE_DIR);
	a->status_path = path_join(a->state_dir, KILN_STATUS_NAME);
	a->join_deadline_s = 900;
	a->paused_ms = -1;
	int r = mkdir_p(a->state_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "creating %s", a->state_dir);
	r = status_load(a->status_path, &a->status);
	if (r == -EBADMSG) {
		/* A torn or corrupt status must not wedge the host: start over (steps are idempotent). */
		log_warn("%s is corrupt; starting the step record afresh", a->status_path);
		r = 0;
	}
	if (r < 0) {
		log_error("%s %s", a->status_path, input_strerror(r));
		return r;
	}
	return 0;
}

void agent_free(struct agent *a)
{
	if (a->seed_open)
		seed_free(&a->seed);
	if (a->model) {
		model_free(a->model);
		free(a->model);
	}
	overrides_free(&a->overrides);
	status_free(&a->status);
	free(a->state_dir);
	free(a->status_path);
	memset(a, 0, sizeof *a);
}

static bool over(const struct step *st)
{
	return st && (st->state == STEP_DONE || st->state == STEP_SKIPPED || st->state == STEP_FAILED);
}

int agent_save(struct agent *a)
{
	/* the step being timed is over: its time goes into this write */
	if (a->timed_step && over(status_step(&a->status, a->timed_step)))
		agent_time_end(a);
	int r = status_save(a->status_path, &a->status);
	if (r < 0)
		log_error_errno(r, "writing %s", a->status_path);
	return r;
}

int agent_write(const struct agent *a, const char *abs, const void *data, size_t len, unsigned mode)
{
	char *p = agent_path(a, abs);
	char *dir = xstrdup(p);
	int r = mkdir_p(dirname(dir), (mode & 077) ? 0755 : 0700);
	free(dir);
	if (r == 0)
		r = write_file_atomic(p, data, len, mode);
	free(p);
	return r;
}

int agent_write_if_changed(const struct agent *a, const char *abs, const void *data, size_t len, unsigned mode)
{
	char *p = agent_path(a, abs), *old = NULL;
	size_t old_len = 0;
	struct stat st;
	bool same = lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode &&
		    (size_t)st.st_size == len && read_file(p, len + 1, &old, &old_len) == 0 && old_len == len &&
		    (len == 0 || memcmp(old, data, len) == 0);
	free(old);
	free(p);
	if (same)
		return 0;
	int r = agent_write(a, abs, data, len, mode);
	return r < 0 ? r : 1;
}

static int run_for_real(const char *const env[], const char *const argv[], const char *in, size_t in_len, char *why,
			size_t why_len);

int agent_probe(const struct agent *a, const char *const argv[], char *why, size_t why_len)
{
	(void)a;
	return run_for_real(NULL, argv, NULL, 0, why, why_len);
}

/* With no_services: the command line appended to <state>/commands.log. */
static void record(const struct agent *a, const char *const env[], const char *const argv[], bool in)
{
	struct buf line;
	buf_init(&line);
	for (size_t i = 0; env && env[i]; i++)
		buf_printf(&line, "%s ", env[i]);
	for (size_t i = 0; argv[i]; i++)
		buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
	buf_printf(&line, "%s\n", in ? " <stdin>" : "");
	char *log = path_join(a->state_dir, "commands.log");
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, line.data, line.len);
		(void)w;
		close(fd);
	}
	free(log);
	buf_free(&line);
}

static int exec_env(const struct agent *a, const char *const env[], const char *const argv[], const char *in,
		    size_t in_len, char *why, size_t why_len)
{
	if (a->no_services) {
		record(a, env, argv, in != NULL);
		return 0;
	}
	return run_for_real(env, argv, in, in_len, why, why_len);
}

/* `systemctl VERB OPTION UNIT...`, NULL-terminated (the caller frees the
 * array, not the strings). */
static const char **systemctl_argv(const char *verb, const char *option, const char *const units[], size_t n)
{
	const char **argv = xcalloc(n + 4, sizeof *argv);
	argv[0] = "systemctl";
	argv[1] = verb;
	argv[2] = option;
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = units[i];
	return argv;
}

int agent_queue(const struct agent *a, const char *verb, const char *const units[], size_t n, char *why,
		size_t why_len)
{
	if (!a->no_services)
		return systemd_queue(a->root, verb, units, n, why, why_len);
	_cleanup_free_ const char **argv = systemctl_argv(verb, "--no-block", units, n);
	record(a, NULL, argv, false);
	return 0;
}

int agent_reload(const struct agent *a, char *why, size_t why_len)
{
	if (!a->no_services)
		return systemd_reload(a->root, why, why_len);
	static const char *const argv[] = { "systemctl", "daemon-reload", NULL };
	record(a, NULL, argv, false);
	return 0;
}

int agent_reload_if_needed(const struct agent *a, const char *who, const char *const units[], size_t n, char *why,
			   size_t why_len)
{
	if (!a->no_services) {
		static const char *const props[] = { UNIT_RELOAD_PROPS };
		_cleanup_free_ bool *loaded = xcalloc(n ? n : 1, sizeof *loaded);
		_cleanup_free_ const char **ask = xcalloc(n ? n : 1, sizeof *ask);
		struct buf out;
		buf_init(&out);
		char stale[300] = "";
		size_t k = 0;
		/* only the units systemd has loaded are asked about: the others
		 * cannot be stale, and loading them here (the question's LoadUnit)
		 * took 0.4-1.3 s of a first boot under TCG, when none is loaded */
		int r = systemd_loaded(a->root, units, n, loaded, stale, sizeof stale);
		for (size_t i = 0; r == 0 && i < n; i++)
			if (loaded[i])
				ask[k++] = units[i];
		if (r == 0 && k)
			r = systemd_show(a->root, props, sizeof props / sizeof *props, ask, k, &out, stale, sizeof stale);
		if (r == 0 && k)
			r = unit_reload_needed(out.data ? out.data : "", k, stale, sizeof stale);
		else if (r < 0)
			r = 1;   /* systemd could not be asked (stale says why): a reload, to be safe */
		buf_free(&out);
		if (r == 0) {
			log_info("%s: systemd sees every unit as written: no daemon-reload", who);
			return 0;
		}
		log_info("%s: systemctl daemon-reload (%s)", who, r > 0 ? stale : "systemd's answer not understood");
	}
	int r = agent_reload(a, why, why_len);
	return r < 0 ? r : 1;
}

int agent_exec(const struct agent *a, const char *const argv[], const char *in, size_t in_len, char *why,
	       size_t why_len)
{
	return exec_env(a, NULL, argv, in, in_len, why, why_len);
}

int agent_exec_env(const struct agent *a, const char *const env[], const char *const argv[], char *why, size_t why_len)
{
	return exec_env(a, env, argv, NULL, 0, why, why_len);
}

int agent_enable(const struct agent *a, const char *const units[], size_t n, char *why, size_t why_len)
{
	static const char *const env[] = { AGENT_ENABLE_ENV, NULL };
	_cleanup_free_ const char **argv = systemctl_argv("enable", "--no-reload", units, n);
	return agent_exec_env(a, env, argv, why, why_len);
}

int agent_exec_or_fail(struct agent *a, const char *step, const char *const argv[], const char *in, size_t in_len,
		       const char *what)
{
	char why[300];
	int r = agent_exec(a, argv, in, in_len, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, step, r, "%s: %s", what, why);
	return 0;
}

static int run_for_real(const char *const env[], const char *const argv[], const char *in, size_t in_len, char *why,
			size_t why_len)
{
	struct buf err;
	buf_init(&err);
	const struct spawn_opts o = { .argv = argv, .env_set = env, .in = in, .in_len = in_len, .err = &err };
	int st = spawn(&o);
	int r = 0;
	if (st != 0) {
		/* stderr of our helpers holds no secrets (they get them on stdin or from files). */
		size_t n = err.len;
		while (n && (err.data[n - 1] == '\n' || err.data[n - 1] == ' '))
			n--;
		snprintf(why, why_len, "%s exited %d%s%.*s", argv[0], st, n ? ": " : "", (int)(n > 200 ? 200 : n),
			 err.data ? err.data : "");
		r = st < 0 ? st : -EIO;
	}
	buf_free(&err);
	return r;
}

int agent_open_seed(struct agent *a, const char *data, size_t len, const struct minisign_pub *op,
		    const struct role_keypair *rk, const char *deployment, uint64_t min_serial)
{
	struct model *m = xcalloc(1, sizeof *m);
	int r = seed_open(data, len, op, rk, deployment, min_serial, &a->seed);
	if (r == 0 && (r = seed_topology_load(&a->seed, m)) < 0)
		seed_free(&a->seed);
	if (r < 0) {
		free(m);
		return r;
	}
	a->model = m;
	return 0;
}

const char *agent_secret(void *ud, const char *name)
{
	const struct agent *a = ud;
	if (!a->seed_open)
		return NULL;
	for (size_t i = 0; i < a->seed.n_secrets; i++)
		if (!strcmp(a->seed.secrets[i].name, name))
			return a->seed.secrets[i].value;
	return NULL;
}

const struct seed_file *agent_seed_file(const struct agent *a, const char *name)
{
	for (size_t i = 0; a->seed_open && i < a->seed.n_files; i++)
		if (!strcmp(a->seed.files[i].name, name))
			return &a->seed.files[i];
	return NULL;
}

void agent_phase(struct agent *a, const char *phase)
{
	int64_t now = status_clock_ms();
	if (a->timed_step && a->phase)
		status_phase_add(&a->status, a->timed_step, a->phase, now - a->phase_t0);
	a->phase = a->timed_step ? phase : NULL;
	a->phase_t0 = now;
}

void agent_time_begin(struct agent *a, const char *step)
{
	a->timed_step = step;
	a->phase = NULL;
	status_time_begin(&a->status, step, status_clock_ms());
}

void agent_time_end(struct agent *a)
{
	if (!a->timed_step)
		return;
	agent_phase(a, NULL);
	status_time_end(&a->status, a->timed_step, status_clock_ms());
	a->timed_step = NULL;
}

int agent_step_end(struct agent *a, const char *step, int r, const char *fmt, ...)
{
	char why[512] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	if (r < 0) {
		status_set(&a->status, step, STEP_FAILED, "%s", why[0] ? why : strerror(-r));
		log_error("%s: %s", step, why[0] ? why : strerror(-r));
	} else
		status_set(&a->status, step, STEP_DONE, why[0] ? "%s" : NULL, why);
	agent_save(a);   /* with the step's timing (agent_save) */
	return r;
}

const struct agent_step agent_steps[] = {
	{ "identity", step_identity, false },
	{ "secrets", step_secrets, false },
	{ "datadisk", step_datadisk, false },
	{ "monitoring", step_monitoring, true },   /* before role: its units come up while the role works */
	{ "role", step_role, true },
	{ "join", step_join, true },
};
const size_t agent_n_steps = sizeof agent_steps / sizeof *agent_steps;

void (*agent_checkpoint_hook)(const char *point);

void agent_checkpoint(const char *point)
{
	if (agent_checkpoint_hook)
		agent_checkpoint_hook(point);
}

void agent_owe(struct agent *a, const char *step, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	status_set(&a->status, step, STEP_PENDING, "owed: %s", why);
	/* the timing of a run before this work was owed says nothing of it */
	status_time_begin(&a->status, step, -1);
}

/* After a step returned: its timing was ended by the status write that
 * ended it (agent_save). A step left running (monitoring) keeps a duration
 * of -1 until its verdict, its phases so far written with the next status
 * write. */
static void time_after_run(struct agent *a, const char *name)
{
	(void)name;
	if (!a->timed_step)
		return;
	agent_phase(a, NULL);
	a->timed_step = NULL;
	a->paused_ms = status_clock_ms();
}

void agent_time_resume(struct agent *a, const char *step, const char *gap)
{
	int64_t now = status_clock_ms();
	a->timed_step = step;
	if (a->paused_ms >= 0)
		status_phase_add(&a->status, step, gap, now - a->paused_ms);
	a->phase = NULL;
	a->phase_t0 = now;
}

int agent_run(struct agent *a, bool early)
{
	agent_time_begin(a, "seed");
	int r = step_seed(a);
	time_after_run(a, "seed");
	if (r < 0)
		return r;
	agent_checkpoint("seed");
	for (size_t i = 0; i < agent_n_steps; i++) {
		const struct agent_step *s = &agent_steps[i];
		if (early && s->late_only)
			break;
		const struct step *st = status_step(&a->status, s->name);
		if (st && (st->state == STEP_DONE || st->state == STEP_SKIPPED))
			continue;
		agent_time_begin(a, s->name);
		r = s->run(a);
		time_after_run(a, s->name);
		if (r < 0)
			break;
		agent_checkpoint(s->name);
	}
	if (early)
		return r;
	/* The monitoring units came up while the later steps ran: now their verdict. */
	int rc = monitoring_check(a);
	if (r < 0)
		monitoring_after_failure(a);   /* a failed host still reports (monitoring:) */
	return r < 0 ? r : rc;
}
