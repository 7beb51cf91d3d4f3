/* firstboot/systemd_bus.c against a fake service manager on its private
 * socket (fake_systemd.h): systemd_show's text (`systemctl show -p`'s: the
 * properties in the order asked, strings as they are, booleans yes/no,
 * numbers in decimal, Job= only while a job is queued, Result only for the
 * types that have one, a blank line between units), a unit systemd does not
 * know (not-found), no unit at all; systemd_queue's jobs for each verb in
 * order with mode replace, a verb it does not know, a unit systemd refuses
 * (the rest still asked, as systemctl does; systemd's message kept);
 * systemd_reload's one call and systemd's refusal of it; systemd_loaded's
 * GetUnit, which loads nothing; and systemd not reachable (no socket,
 * nobody listening). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "firstboot/systemd_bus.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include "tests/unit/fake_systemd.h"
#include "tests/unit/tmpdir_fixture.h"

#define N(a) (sizeof a / sizeof *a)

static const struct fake_unit units[] = {
	{ "prometheus.service", "loaded", "active", "running", NULL, 0, 123456789, false },
	{ "prometheus-node-exporter.service", "loaded", "activating", "start", NULL, 412, 0, true },
	{ "systemd-journal-remote.socket", "loaded", "failed", "failed", "service-start-limit-hit", 0, 5000000, false },
	{ "kiln-metrics.timer", "loaded", "active", "waiting", NULL, 0, 98765432109876, false },
	{ "multi-user.target", "loaded", "active", "active", NULL, 0, 7, false },
	{ "getty@tty1.service", "loaded", "inactive", "dead", "exit-code", 0, 0, false },
	{ "prometheus-alertmanager.service", "masked", "inactive", "dead", NULL, 0, 0, false },
};

/* A fake manager under tmpdir/NAME, its calls logged in tmpdir/NAME.log. */
struct fake {
	char *root, *log;
	pid_t pid;
};

static void fake_up(struct fake *f, const char *name, const struct fake_unit *u, size_t n)
{
	f->root = path_join(tmpdir, name);
	f->log = xasprintf("%s.log", f->root);
	f->pid = fake_systemd_start(f->root, u, n, f->log);
	assert_true(f->pid > 0);
}

static void fake_down(struct fake *f)
{
	fake_systemd_stop(f->pid);
	free(f->root);
	free(f->log);
}

/* The calls the fake saw ("" for none). */
static char *calls(const struct fake *f)
{
	char *t = NULL;
	size_t n;
	if (read_file(f->log, 1 << 20, &t, &n) < 0)
		return xstrdup("");
	return t;
}

static void test_show(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "show", units, N(units));
	/* not systemd's order: the order asked is kept */
	static const char *const props[] = { "NeedDaemonReload", "Id", "Job", "Result", "LoadState", "ActiveState",
					     "SubState", "ActiveEnterTimestampMonotonic" };
	static const char *const names[] = { "prometheus.service", "prometheus-node-exporter.service",
					     "systemd-journal-remote.socket", "kiln-metrics.timer", "multi-user.target",
					     "getty@tty1.service" };
	struct buf out;
	buf_init(&out);
	char why[300] = "";
	assert_int_equal(systemd_show(f.root, props, N(props), names, N(names), &out, why, sizeof why), 0);
	assert_string_equal(out.data,
			    "NeedDaemonReload=no\nId=prometheus.service\nResult=success\nLoadState=loaded\n"
			    "ActiveState=active\nSubState=running\nActiveEnterTimestampMonotonic=123456789\n"
			    "\n"
			    "NeedDaemonReload=yes\nId=prometheus-node-exporter.service\nJob=412\nResult=success\n"
			    "LoadState=loaded\nActiveState=activating\nSubState=start\nActiveEnterTimestampMonotonic=0\n"
			    "\n"
			    "NeedDaemonReload=no\nId=systemd-journal-remote.socket\nResult=service-start-limit-hit\n"
			    "LoadState=loaded\nActiveState=failed\nSubState=failed\nActiveEnterTimestampMonotonic=5000000\n"
			    "\n"
			    "NeedDaemonReload=no\nId=kiln-metrics.timer\nResult=success\nLoadState=loaded\n"
			    "ActiveState=active\nSubState=waiting\nActiveEnterTimestampMonotonic=98765432109876\n"
			    "\n"
			    /* a target has no Result: left out, as systemctl does */
			    "NeedDaemonReload=no\nId=multi-user.target\nLoadState=loaded\nActiveState=active\n"
			    "SubState=active\nActiveEnterTimestampMonotonic=7\n"
			    "\n"
			    "NeedDaemonReload=no\nId=getty@tty1.service\nResult=exit-code\nLoadState=loaded\n"
			    "ActiveState=inactive\nSubState=dead\nActiveEnterTimestampMonotonic=0\n");
	/* the target's Result not even asked; one connection, each unit loaded first */
	char *c = calls(&f);
	assert_non_null(strstr(c, "LoadUnit multi-user.target\nGet multi-user.target NeedDaemonReload\n"
				  "Get multi-user.target Id\nGet multi-user.target Job\nGet multi-user.target LoadState\n"));
	assert_null(strstr(c, "Get multi-user.target Result"));
	const char *first = "LoadUnit prometheus.service\nGet prometheus.service NeedDaemonReload\n";
	assert_true(!strncmp(c, first, strlen(first)));
	free(c);
	/* what the parsers read: unit_wait's properties */
	static const char *const wait_props[] = { "Id", "LoadState", "ActiveState" };
	buf_free(&out);
	buf_init(&out);
	assert_int_equal(systemd_show(f.root, wait_props, N(wait_props), names, 2, &out, why, sizeof why), 0);
	assert_string_equal(out.data, "Id=prometheus.service\nLoadState=loaded\nActiveState=active\n\n"
				      "Id=prometheus-node-exporter.service\nLoadState=loaded\nActiveState=activating\n");
	buf_free(&out);
	fake_down(&f);
}

static void test_show_not_found(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "notfound", units, 1);
	static const char *const props[] = { "Id", "LoadState", "ActiveState", "SubState", "Result", "Job",
					     "NeedDaemonReload" };
	static const char *const names[] = { "nope.service", "prometheus.service", "gone.target" };
	struct buf out;
	buf_init(&out);
	char why[300] = "";
	assert_int_equal(systemd_show(f.root, props, N(props), names, N(names), &out, why, sizeof why), 0);
	assert_string_equal(out.data,
			    "Id=nope.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nResult=success\n"
			    "NeedDaemonReload=no\n"
			    "\n"
			    "Id=prometheus.service\nLoadState=loaded\nActiveState=active\nSubState=running\n"
			    "Result=success\nNeedDaemonReload=no\n"
			    "\n"
			    "Id=gone.target\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n"
			    "NeedDaemonReload=no\n");
	buf_free(&out);
	fake_down(&f);
}

/* A question systemd refuses fails the whole answer, naming what was asked
 * and keeping systemd's words. */
static void test_show_refused(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "showrefused", units, N(units));
	struct buf out;
	buf_init(&out);
	char why[300] = "";
	static const char *const props[] = { "Id", "NoSuchProperty" };
	static const char *const names[] = { "prometheus.service" }, *const bad[] = { "prometheus" };
	assert_int_equal(systemd_show(f.root, props, N(props), names, 1, &out, why, sizeof why), -EBADR);
	/* the unit and property named (not Get's interface); sd-bus's own
	 * words after ("Unknown interface ... or property ..." in 252) */
	const char *get = "Get prometheus.service NoSuchProperty: Unknown ";
	assert_true(!strncmp(why, get, strlen(get)));
	assert_int_equal(systemd_show(f.root, props, 1, bad, 1, &out, why, sizeof why), -EINVAL);
	assert_string_equal(why, "LoadUnit prometheus: Unit name prometheus is not valid.");
	buf_free(&out);
	fake_down(&f);
}

static void test_show_no_units(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "none", units, 0);
	static const char *const props[] = { "Id", "LoadState" };
	struct buf out;
	buf_init(&out);
	char why[300] = "";
	assert_int_equal(systemd_show(f.root, props, N(props), NULL, 0, &out, why, sizeof why), 0);
	assert_int_equal(out.len, 0);
	char *c = calls(&f);
	assert_string_equal(c, "");
	free(c);
	buf_free(&out);
	fake_down(&f);
}

static void test_queue(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "queue", units, N(units));
	char why[300] = "";
	static const char *const two[] = { "prometheus.service", "kiln-metrics.timer" };
	static const char *const one[] = { "getty@tty1.service" };
	assert_int_equal(systemd_queue(f.root, "start", two, 2, why, sizeof why), 0);
	assert_int_equal(systemd_queue(f.root, "stop", one, 1, why, sizeof why), 0);
	assert_int_equal(systemd_queue(f.root, "restart", two, 2, why, sizeof why), 0);
	assert_int_equal(systemd_queue(f.root, "try-restart", one, 1, why, sizeof why), 0);
	/* a masked unit stops (nothing to do), as systemd lets it */
	static const char *const masked[] = { "prometheus-alertmanager.service" };
	assert_int_equal(systemd_queue(f.root, "stop", masked, 1, why, sizeof why), 0);
	char *c = calls(&f);
	assert_string_equal(c, "StartUnit prometheus.service replace\nStartUnit kiln-metrics.timer replace\n"
			       "StopUnit getty@tty1.service replace\n"
			       "RestartUnit prometheus.service replace\nRestartUnit kiln-metrics.timer replace\n"
			       "TryRestartUnit getty@tty1.service replace\n"
			       "StopUnit prometheus-alertmanager.service replace\n");
	free(c);
	/* no unit: nothing asked */
	assert_int_equal(systemd_queue(f.root, "restart", NULL, 0, why, sizeof why), 0);
	fake_down(&f);
}

static void test_queue_unknown_verb(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "verb", units, N(units));
	char why[300] = "";
	static const char *const one[] = { "prometheus.service" };
	assert_int_equal(systemd_queue(f.root, "reload", one, 1, why, sizeof why), -EINVAL);
	assert_string_equal(why, "no such job: reload");
	char *c = calls(&f);
	assert_string_equal(c, "");   /* refused before asking */
	free(c);
	/* nor does it need systemd to say so */
	assert_int_equal(systemd_queue("/nonexistent", "enable", one, 1, why, sizeof why), -EINVAL);
	assert_string_equal(why, "no such job: enable");
	fake_down(&f);
}

static void test_queue_refused(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "refused", units, N(units));
	char why[300] = "";
	static const char *const three[] = { "prometheus.service", "x.service", "kiln-metrics.timer" };
	/* NoSuchUnit is ENOENT to sd-bus */
	assert_int_equal(systemd_queue(f.root, "restart", three, 3, why, sizeof why), -ENOENT);
	assert_string_equal(why, "RestartUnit x.service: Unit x.service not found.");
	/* as with systemctl, the unit after it still gets its job */
	char *c = calls(&f);
	assert_string_equal(c, "RestartUnit prometheus.service replace\nRestartUnit x.service replace\n"
			       "RestartUnit kiln-metrics.timer replace\n");
	free(c);
	/* systemd's other refusals, as it words them */
	static const char *const missing[] = { "x.service" }, *const masked[] = { "prometheus-alertmanager.service" };
	assert_int_equal(systemd_queue(f.root, "stop", missing, 1, why, sizeof why), -ENOENT);
	assert_string_equal(why, "StopUnit x.service: Unit x.service not loaded.");
	assert_int_equal(systemd_queue(f.root, "try-restart", missing, 1, why, sizeof why), -ENOENT);
	assert_string_equal(why, "TryRestartUnit x.service: Unit x.service not found.");
	assert_int_equal(systemd_queue(f.root, "start", masked, 1, why, sizeof why), -ERFKILL);   /* UnitMasked */
	assert_string_equal(why, "StartUnit prometheus-alertmanager.service: Unit prometheus-alertmanager.service is masked.");
	fake_down(&f);
}

static void test_reload(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "reload", units, N(units));
	char why[300] = "";
	assert_int_equal(systemd_reload(f.root, why, sizeof why), 0);
	char *c = calls(&f);
	assert_string_equal(c, "Reload\n");
	free(c);
	fake_down(&f);
	/* refused: systemd's words (DiskFull is ENOSPC to sd-bus) */
	fake_sd_refuse_reload = true;
	fake_up(&f, "reload-refused", units, N(units));
	fake_sd_refuse_reload = false;
	assert_int_equal(systemd_reload(f.root, why, sizeof why), -ENOSPC);
	assert_string_equal(why, "Reload (daemon-reload): Refusing to reload, not enough space available on "
				 "/run/systemd. Currently, 1.0K are free, but a safety buffer of 16.0M is enforced.");
	fake_down(&f);
}

/* systemd_loaded: GetUnit per unit on one connection; the table's units
 * (a masked one too) loaded, a unit not loaded a no, and once a question has
 * loaded it (as not-found) a yes; an invalid name systemd's refusal. */
static void test_loaded(void **state)
{
	(void)state;
	struct fake f;
	fake_up(&f, "loaded", units, N(units));
	char why[300] = "";
	static const char *const asked[] = { "prometheus.service", "new.service", "prometheus-alertmanager.service" };
	bool loaded[3] = { false, true, false };
	assert_int_equal(systemd_loaded(f.root, asked, 3, loaded, why, sizeof why), 0);
	assert_true(loaded[0]);
	assert_false(loaded[1]);
	assert_true(loaded[2]);
	assert_string_equal(why, "");
	char *c = calls(&f);
	assert_string_equal(c, "GetUnit prometheus.service\nGetUnit new.service\nGetUnit prometheus-alertmanager.service\n");
	free(c);
	/* asking loads it (not-found), and then systemd has it */
	static const char *const props[] = { "LoadState" };
	struct buf out;
	buf_init(&out);
	assert_int_equal(systemd_show(f.root, props, 1, &asked[1], 1, &out, why, sizeof why), 0);
	assert_string_equal(out.data, "LoadState=not-found\n");
	buf_free(&out);
	assert_int_equal(systemd_loaded(f.root, &asked[1], 1, loaded, why, sizeof why), 0);
	assert_true(loaded[0]);
	static const char *const bad[] = { "prometheus" };
	assert_int_equal(systemd_loaded(f.root, bad, 1, loaded, why, sizeof why), -EINVAL);
	assert_string_equal(why, "GetUnit prometheus: Unit name prometheus is not valid.");
	fake_down(&f);
}

static void test_no_systemd(void **state)
{
	(void)state;
	char why[300] = "";
	static const char *const props[] = { "Id" };
	static const char *const one[] = { "prometheus.service" };
	struct buf out;
	buf_init(&out);
	/* no socket */
	char *root = path_join(tmpdir, "nosocket");
	assert_int_equal(systemd_show(root, props, 1, one, 1, &out, why, sizeof why), -ENOENT);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: No such file or directory");
	assert_int_equal(out.len, 0);
	why[0] = 0;
	assert_int_equal(systemd_queue(root, "restart", one, 1, why, sizeof why), -ENOENT);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: No such file or directory");
	why[0] = 0;
	assert_int_equal(systemd_reload(root, why, sizeof why), -ENOENT);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: No such file or directory");
	why[0] = 0;
	bool loaded[1];
	assert_int_equal(systemd_loaded(root, one, 1, loaded, why, sizeof why), -ENOENT);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: No such file or directory");
	/* a socket nobody listens on (systemd gone) */
	struct fake f;
	fake_up(&f, "gone", units, 1);
	fake_systemd_stop(f.pid);
	f.pid = 0;
	char *sock = path_join(f.root, "run/systemd/private");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(sock) < sizeof sa.sun_path);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	assert_int_equal(systemd_show(f.root, props, 1, one, 1, &out, why, sizeof why), -ECONNREFUSED);
	assert_string_equal(why, "cannot connect to systemd at /run/systemd/private: Connection refused");
	unlink(sock);
	free(sock);
	buf_free(&out);
	free(root);
	fake_down(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_show_not_found),
		cmocka_unit_test(test_show_refused),
		cmocka_unit_test(test_show_no_units),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_queue_unknown_verb),
		cmocka_unit_test(test_queue_refused),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_no_systemd),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
