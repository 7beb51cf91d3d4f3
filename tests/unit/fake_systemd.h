/* A fake service manager for the tests of firstboot/systemd_bus.c and its
 * callers: a child process listening on ROOT/run/systemd/private, where
 * systemd's private socket is, and answering with sd-bus as systemd does
 * there (a direct connection, no bus daemon: EXTERNAL authentication, no
 * Hello). The units' states are a fixed table; every call a client makes
 * (refused ones too) is appended to a log, one line a call, so a test sees
 * the calls in order:
 *   LoadUnit NAME (GetUnit alike)
 *   StartUnit NAME MODE (StopUnit, RestartUnit, TryRestartUnit alike)
 *   Get NAME PROP
 *   Reload
 * org.freedesktop.systemd1.Manager at /org/freedesktop/systemd1:
 *   LoadUnit(s) -> o, GetUnit(s) -> o (a unit not loaded: NoSuchUnit "Unit
 *   NAME not loaded."), StartUnit/StopUnit/RestartUnit/TryRestartUnit(ss) -> o,
 *   Reload() -> () (daemon-reload: answered, the table unchanged; or refused
 *   as systemd refuses it when /run is short of space, fake_sd_refuse_reload)
 * org.freedesktop.DBus.Properties.Get(ss) -> v on the units' objects
 * (/org/freedesktop/systemd1/unit/ + the escaped name, as systemd's):
 *   org.freedesktop.systemd1.Unit: Id, LoadState, ActiveState, SubState,
 *   Job (uo), ActiveEnterTimestampMonotonic (t), NeedDaemonReload (b);
 *   Result (s) on the unit type's own interface for the types that have one
 *   (Service, Socket, Timer, Mount, Swap, Path, Automount, Scope; not Target).
 * Where the client relies on it, as systemd 252 does: a unit the table lacks
 * is loaded as not-found (inactive, dead); a job for a unit not loaded is
 * refused with systemd's error (org.freedesktop.systemd1.NoSuchUnit "Unit
 * NAME not found.", or for a stop "Unit NAME not loaded."), any but a stop
 * for a masked one with UnitMasked; an invalid unit name or job mode with
 * InvalidArgs (the checks in systemd's order). A job
 * systemd accepts is answered with a new job's path and not run: the table
 * is what systemd reports throughout. */
#ifndef KILN_TEST_FAKE_SYSTEMD_H
#define KILN_TEST_FAKE_SYSTEMD_H
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"

struct fake_unit {
	const char *id, *load, *active, *sub, *result;   /* result NULL: "success" */
	uint32_t job;                                    /* a queued job's number, 0 for none */
	uint64_t active_enter_us;                        /* ActiveEnterTimestampMonotonic */
	bool need_reload;                                /* NeedDaemonReload */
};

#define FAKE_SD_PATH "/org/freedesktop/systemd1"
#define FAKE_SD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define FAKE_SD_ERR "org.freedesktop.systemd1."

/* A unit asked about that the table lacks: loaded as not-found. */
struct fake_sd_loaded {
	struct fake_unit u;
	struct fake_sd_loaded *next;
};

struct fake_sd {
	const struct fake_unit *units;
	size_t n;
	const char *log_path;
	struct fake_sd_loaded *loaded;
	uint32_t next_job;
	sd_event *event;
};

/* The unit types, and the interface of each that has a Result. */
static const char *const fake_sd_types[][2] = {
	{ ".service", "org.freedesktop.systemd1.Service" }, { ".socket", "org.freedesktop.systemd1.Socket" },
	{ ".timer", "org.freedesktop.systemd1.Timer" },     { ".mount", "org.freedesktop.systemd1.Mount" },
	{ ".swap", "org.freedesktop.systemd1.Swap" },       { ".path", "org.freedesktop.systemd1.Path" },
	{ ".automount", "org.freedesktop.systemd1.Automount" }, { ".scope", "org.freedesktop.systemd1.Scope" },
	{ ".target", NULL }, { ".device", NULL }, { ".slice", NULL },
};
#define FAKE_SD_N_TYPES (sizeof fake_sd_types / sizeof *fake_sd_types)

/* The type's index in fake_sd_types, or -1 when name is no valid unit name
 * (roughly systemd's rule: a name of the allowed characters, an instance
 * after an @ if any, then a type). */
static int fake_sd_type(const char *name)
{
	const char *dot = strrchr(name, '.'), *at = strchr(name, '@');
	if (!dot || dot == name || (at && (at == name || at + 1 == dot || strchr(at + 1, '@'))) || strlen(name) > 255 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\@") != strlen(name))
		return -1;
	for (size_t i = 0; i < FAKE_SD_N_TYPES; i++)
		if (!strcmp(dot, fake_sd_types[i][0]))
			return (int)i;
	return -1;
}

/* systemd's refusal of a name that is not a unit's. */
static int fake_sd_bad_name(sd_bus_error *e, const char *name)
{
	const char *dot = strrchr(name, '.'), *at = strchr(name, '@');
	if (at && at != name && at + 1 == dot)
		return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS, "Unit name %s is missing the instance name.", name);
	return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS, "Unit name %s is not valid.", name);
}

/* The unit named, from the table or loaded now as not-found (as systemd
 * loads a unit it is asked about); NULL for an invalid name. */
/* The unit named if systemd has it loaded (the table's, or one asked about
 * since), NULL if not. */
static const struct fake_unit *fake_sd_loaded_unit(const struct fake_sd *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->units[i].id, name))
			return &c->units[i];
	for (const struct fake_sd_loaded *l = c->loaded; l; l = l->next)
		if (!strcmp(l->u.id, name))
			return &l->u;
	return NULL;
}

static const struct fake_unit *fake_sd_unit(struct fake_sd *c, const char *name)
{
	if (fake_sd_type(name) < 0)
		return NULL;
	const struct fake_unit *u = fake_sd_loaded_unit(c, name);
	if (u)
		return u;
	struct fake_sd_loaded *l = xcalloc(1, sizeof *l);
	l->u = (struct fake_unit){ .id = xstrdup(name), .load = "not-found", .active = "inactive", .sub = "dead" };
	l->next = c->loaded;
	c->loaded = l;
	return &l->u;
}

static void fake_sd_log(struct fake_sd *c, const char *line)
{
	int fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	ssize_t w = write(fd, line, strlen(line));
	(void)w;
	close(fd);
}

/* Every method call logged before it is dispatched (refused ones too); the
 * end of a connection frees it. */
static int fake_sd_filter(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct fake_sd *c = ud;
	uint8_t type = 0;
	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		sd_bus_unref(sd_bus_message_get_bus(m));   /* the reference fake_sd_accept kept */
		return 0;
	}
	if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
		return 0;
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "%s", sd_bus_message_get_member(m));
	char *name = NULL;
	bool get = sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get");
	if (get && sd_bus_path_decode(sd_bus_message_get_path(m), FAKE_SD_UNIT_PREFIX, &name) > 0)
		buf_printf(&line, " %s", name);
	else if (get)
		buf_printf(&line, " %s", sd_bus_message_get_path(m));
	free(name);
	char t;
	for (unsigned i = 0; sd_bus_message_peek_type(m, &t, NULL) > 0 && t == 's'; i++) {
		const char *s;
		if (sd_bus_message_read_basic(m, 's', &s) < 0)
			break;
		if (!get || i > 0)   /* Get's first argument, the interface, left out */
			buf_printf(&line, " %s", s);
	}
	buf_putc(&line, '\n');
	fake_sd_log(c, line.data);
	buf_free(&line);
	sd_bus_message_rewind(m, 1);
	return 0;
}

static int fake_sd_load_unit(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	const char *name;
	int r = sd_bus_message_read_basic(m, 's', &name);
	if (r < 0)
		return r;
	const struct fake_unit *u = fake_sd_unit(ud, name);
	if (!u)
		return fake_sd_bad_name(e, name);
	_cleanup_free_ char *path = NULL;
	if ((r = sd_bus_path_encode(FAKE_SD_UNIT_PREFIX, u->id, &path)) < 0)
		return r;
	return sd_bus_reply_method_return(m, "o", path);
}

/* GetUnit: the path of a unit systemd has loaded (the table's, and those
 * asked about since, loaded as not-found), systemd's NoSuchUnit for one it
 * has not; it loads nothing. */
static int fake_sd_get_unit(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct fake_sd *c = ud;
	const char *name;
	int r = sd_bus_message_read_basic(m, 's', &name);
	if (r < 0)
		return r;
	if (fake_sd_type(name) < 0)
		return fake_sd_bad_name(e, name);
	const struct fake_unit *u = fake_sd_loaded_unit(c, name);
	if (!u)
		return sd_bus_error_setf(e, FAKE_SD_ERR "NoSuchUnit", "Unit %s not loaded.", name);
	_cleanup_free_ char *path = NULL;
	if ((r = sd_bus_path_encode(FAKE_SD_UNIT_PREFIX, u->id, &path)) < 0)
		return r;
	return sd_bus_reply_method_return(m, "o", path);
}

/* Set before fake_systemd_start: Reload refused with systemd's DiskFull
 * error (its check that /run/systemd has room for the serialised state). */
static bool fake_sd_refuse_reload;

static int fake_sd_reload(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	if (fake_sd_refuse_reload)
		return sd_bus_error_set(e, FAKE_SD_ERR "DiskFull",
					"Refusing to reload, not enough space available on /run/systemd. Currently, 1.0K are "
					"free, but a safety buffer of 16.0M is enforced.");
	return sd_bus_reply_method_return(m, NULL);
}

/* StartUnit, StopUnit, RestartUnit, TryRestartUnit: the checks systemd makes
 * before queuing a job, in its order; then a job's path. */
static int fake_sd_job(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct fake_sd *c = ud;
	const char *name, *mode;
	int r = sd_bus_message_read(m, "ss", &name, &mode);
	if (r < 0)
		return r;
	const struct fake_unit *u = fake_sd_unit(c, name);
	if (!u)
		return fake_sd_bad_name(e, name);
	static const char *const modes[] = { "fail", "replace", "replace-irreversibly", "isolate", "flush",
					     "ignore-dependencies", "ignore-requirements", "triggering" };
	bool known = false;
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		known = known || !strcmp(mode, modes[i]);
	if (!known)
		return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS, "Job mode %s invalid", mode);
	bool stop = sd_bus_message_is_method_call(m, NULL, "StopUnit");
	bool not_loaded = !strcmp(u->load, "not-found") || !strcmp(u->load, "error") || !strcmp(u->load, "bad-setting");
	if (stop && not_loaded && !strcmp(u->active, "inactive"))
		return sd_bus_error_setf(e, FAKE_SD_ERR "NoSuchUnit", "Unit %s not loaded.", u->id);
	/* isolate: no unit here allows it (AllowIsolate=); triggering: stop only */
	if (!strcmp(mode, "isolate") && !sd_bus_message_is_method_call(m, NULL, "StartUnit"))
		return sd_bus_error_set(e, SD_BUS_ERROR_INVALID_ARGS, "Isolate is only valid for start.");
	if (!strcmp(mode, "isolate"))
		return sd_bus_error_set(e, FAKE_SD_ERR "NoIsolation", "Operation refused, unit may not be isolated.");
	if (!strcmp(mode, "triggering") && !stop)
		return sd_bus_error_set(e, SD_BUS_ERROR_INVALID_ARGS, "--job-mode=triggering is only valid for stop.");
	if (!stop && !strcmp(u->load, "not-found"))
		return sd_bus_error_setf(e, FAKE_SD_ERR "NoSuchUnit", "Unit %s not found.", u->id);
	if (!stop && !strcmp(u->load, "masked"))
		return sd_bus_error_setf(e, FAKE_SD_ERR "UnitMasked", "Unit %s is masked.", u->id);
	if (!stop && !strcmp(u->load, "bad-setting"))
		return sd_bus_error_setf(e, FAKE_SD_ERR "BadUnitSetting", "Unit %s has a bad unit file setting.", u->id);
	if (!stop && strcmp(u->load, "loaded"))
		return sd_bus_error_set_errnof(e, EINVAL, "Unit %s failed to load properly, please adjust/correct and "
						 "reload service manager: %s", u->id, strerror(EINVAL));
	char path[64];
	snprintf(path, sizeof path, FAKE_SD_PATH "/job/%" PRIu32, c->next_job++);
	return sd_bus_reply_method_return(m, "o", path);
}

static int fake_sd_prop(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
			void *ud, sd_bus_error *e)
{
	const struct fake_unit *u = ud;
	if (!strcmp(prop, "Id"))
		return sd_bus_message_append(reply, "s", u->id);
	if (!strcmp(prop, "LoadState"))
		return sd_bus_message_append(reply, "s", u->load);
	if (!strcmp(prop, "ActiveState"))
		return sd_bus_message_append(reply, "s", u->active);
	if (!strcmp(prop, "SubState"))
		return sd_bus_message_append(reply, "s", u->sub);
	if (!strcmp(prop, "Result"))
		return sd_bus_message_append(reply, "s", u->result ? u->result : "success");
	if (!strcmp(prop, "ActiveEnterTimestampMonotonic"))
		return sd_bus_message_append(reply, "t", u->active_enter_us);
	if (!strcmp(prop, "NeedDaemonReload"))
		return sd_bus_message_append(reply, "b", (int)u->need_reload);
	if (!strcmp(prop, "Job")) {   /* (0, "/") when no job is queued, as systemd says */
		char jp[64] = "/";
		if (u->job)
			snprintf(jp, sizeof jp, FAKE_SD_PATH "/job/%" PRIu32, u->job);
		return sd_bus_message_append(reply, "(uo)", u->job, jp);
	}
	return -ENOENT;
}

static const sd_bus_vtable fake_sd_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("LoadUnit", "s", "o", fake_sd_load_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("GetUnit", "s", "o", fake_sd_get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("StartUnit", "ss", "o", fake_sd_job, 0),
	SD_BUS_METHOD("StopUnit", "ss", "o", fake_sd_job, 0),
	SD_BUS_METHOD("RestartUnit", "ss", "o", fake_sd_job, 0),
	SD_BUS_METHOD("TryRestartUnit", "ss", "o", fake_sd_job, 0),
	SD_BUS_METHOD("Reload", NULL, NULL, fake_sd_reload, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable fake_sd_unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("LoadState", "s", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("ActiveState", "s", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("SubState", "s", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("Job", "(uo)", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("ActiveEnterTimestampMonotonic", "t", fake_sd_prop, 0, 0),
	SD_BUS_PROPERTY("NeedDaemonReload", "b", fake_sd_prop, 0, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable fake_sd_result_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Result", "s", fake_sd_prop, 0, 0),
	SD_BUS_VTABLE_END,
};

/* A unit's object for the interface asked: every unit has the Unit
 * interface, only a unit of its type the type's. */
static int fake_sd_find(sd_bus *bus, const char *path, const char *iface, void *ud, void **found, sd_bus_error *e)
{
	_cleanup_free_ char *name = NULL;
	if (sd_bus_path_decode(path, FAKE_SD_UNIT_PREFIX, &name) <= 0)
		return 0;
	const struct fake_unit *u = fake_sd_unit(ud, name);
	if (!u)
		return 0;
	if (strcmp(iface, "org.freedesktop.systemd1.Unit")) {
		const char *own = fake_sd_types[fake_sd_type(u->id)][1];
		if (!own || strcmp(own, iface))
			return 0;
	}
	*found = (void *)u;
	return 1;
}

static int fake_sd_accept(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct fake_sd *c = ud;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	sd_bus *b = NULL;
	sd_id128_t id;
	int r = sd_bus_new(&b);
	if (r >= 0)
		r = sd_bus_set_fd(b, cfd, cfd);
	else
		close(cfd);
	if (r >= 0 && (r = sd_id128_randomize(&id)) >= 0)
		r = sd_bus_set_server(b, 1, id);
	if (r >= 0)
		r = sd_bus_add_filter(b, NULL, fake_sd_filter, c);
	if (r >= 0)
		r = sd_bus_add_object_vtable(b, NULL, FAKE_SD_PATH, "org.freedesktop.systemd1.Manager",
					     fake_sd_manager_vtable, c);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(b, NULL, FAKE_SD_UNIT_PREFIX, "org.freedesktop.systemd1.Unit",
					       fake_sd_unit_vtable, fake_sd_find, c);
	for (size_t i = 0; r >= 0 && i < FAKE_SD_N_TYPES; i++)
		if (fake_sd_types[i][1])
			r = sd_bus_add_fallback_vtable(b, NULL, FAKE_SD_UNIT_PREFIX, fake_sd_types[i][1],
						       fake_sd_result_vtable, fake_sd_find, c);
	if (r >= 0)
		r = sd_bus_start(b);
	if (r >= 0)
		r = sd_bus_attach_event(b, c->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		fprintf(stderr, "fake systemd: a connection not served: %s\n", strerror(-r));
		sd_bus_flush_close_unref(b);
	}
	return 0;   /* b is kept until it disconnects (fake_sd_filter) */
}

/* The child's life: serve the listening socket until killed. */
static int fake_sd_serve(int fd, const struct fake_unit *units, size_t n, const char *log_path)
{
	struct fake_sd c = { .units = units, .n = n, .log_path = log_path, .next_job = 1000 };
	int r = sd_event_new(&c.event);
	if (r >= 0)
		r = sd_event_add_io(c.event, NULL, fd, EPOLLIN, fake_sd_accept, &c);
	if (r >= 0)
		r = sd_event_loop(c.event);
	fprintf(stderr, "fake systemd: %s\n", strerror(r < 0 ? -r : 0));
	return 1;
}

/* The running fakes' sockets, removed when stopped. */
static struct {
	pid_t pid;
	char *sock;
} fake_sd_running[8];

/* Listening before it returns (the socket is bound and listening before the
 * fork), so a client may connect at once. -1 when it could not start. */
static pid_t fake_systemd_start(const char *root, const struct fake_unit *units, size_t n, const char *log_path)
{
	_cleanup_free_ char *dir = path_join(root, "run/systemd");
	char *sock = path_join(dir, "private");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t slot = 0;
	while (slot < sizeof fake_sd_running / sizeof *fake_sd_running && fake_sd_running[slot].pid > 0)
		slot++;
	if (slot == sizeof fake_sd_running / sizeof *fake_sd_running || mkdir_p(dir, 0755) < 0 ||
	    strlen(sock) >= sizeof sa.sun_path) {
		free(sock);
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	unlink(sock);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0) {
		free(sock);
		return -1;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* gone with the test, however it ends; never back into cmocka */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		_exit(fake_sd_serve(fd, units, n, log_path));
	}
	if (pid < 0) {
		unlink(sock);
		free(sock);
		return -1;
	}
	fake_sd_running[slot].pid = pid;
	fake_sd_running[slot].sock = sock;
	return pid;
}

static void fake_systemd_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < sizeof fake_sd_running / sizeof *fake_sd_running; i++)
		if (fake_sd_running[i].pid == pid) {
			unlink(fake_sd_running[i].sock);
			free(fake_sd_running[i].sock);
			fake_sd_running[i].pid = 0;
			fake_sd_running[i].sock = NULL;
		}
}
#endif
