/* systemd over its private socket, in-process; see systemd_bus.h. Only the
 * plain (not variadic) sd-bus calls are used, so lazy_libs.c can forward
 * each to the library loaded on first use. */
#include "firstboot/systemd_bus.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_ERR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"

static void bus_closep(sd_bus **b)
{
	if (*b)
		sd_bus_flush_close_unref(*b);
}

static void msg_unrefp(sd_bus_message **m)
{
	if (*m)
		sd_bus_message_unref(*m);
}

#define _cleanup_bus_ _cleanup_(bus_closep)
#define _cleanup_msg_ _cleanup_(msg_unrefp)

static int bus_open(const char *root, sd_bus **ret, char *why, size_t why_len)
{
	_cleanup_free_ char *sock = path_join(root, SYSTEMD_BUS_SOCKET);
	_cleanup_free_ char *addr = xasprintf("unix:path=%s", sock);
	_cleanup_bus_ sd_bus *b = NULL;
	int r = sd_bus_new(&b);
	if (r >= 0)
		r = sd_bus_set_address(b, addr);
	if (r >= 0)
		r = sd_bus_start(b);
	if (r < 0) {
		snprintf(why, why_len, "cannot connect to systemd at %s: %s", SYSTEMD_BUS_SOCKET, strerror(-r));
		return r;
	}
	*ret = b;
	b = NULL;
	return 0;
}

/* One method call with string arguments; the reply in *reply. about: what
 * was asked, for why ("MEMBER ABOUT: systemd's message"). timeout_us: how
 * long the answer may take (0: sd-bus's default, 25 s). expected: an error
 * that is an answer, not a failure (1 is returned for it, why untouched;
 * NULL for none). */
static int call_expecting(sd_bus *b, const char *path, const char *iface, const char *member, const char *const args[],
			  size_t n_args, const char *about, uint64_t timeout_us, const char *expected,
			  sd_bus_message **reply, char *why, size_t why_len)
{
	_cleanup_msg_ sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(b, &m, SD_DEST, path, iface, member);
	for (size_t i = 0; r >= 0 && i < n_args; i++)
		r = sd_bus_message_append_basic(m, 's', args[i]);
	if (r < 0) {
		snprintf(why, why_len, "cannot ask systemd (%s): %s", member, strerror(-r));
		return r;
	}
	sd_bus_error e = SD_BUS_ERROR_NULL;
	r = sd_bus_call(b, m, timeout_us, &e, reply);
	bool answer = r < 0 && expected && e.name && !strcmp(e.name, expected);
	if (r < 0 && !answer)
		snprintf(why, why_len, "%s %s: %s", member, about, e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	return answer ? 1 : r < 0 ? r : 0;
}

static int call_within(sd_bus *b, const char *path, const char *iface, const char *member, const char *const args[],
		       size_t n_args, const char *about, uint64_t timeout_us, sd_bus_message **reply, char *why,
		       size_t why_len)
{
	return call_expecting(b, path, iface, member, args, n_args, about, timeout_us, NULL, reply, why, why_len);
}

static int call(sd_bus *b, const char *path, const char *iface, const char *member, const char *const args[],
		size_t n_args, const char *about, sd_bus_message **reply, char *why, size_t why_len)
{
	return call_within(b, path, iface, member, args, n_args, about, 0, reply, why, why_len);
}

/* The unit's object path, loading the unit if systemd has not yet. */
static int unit_path(sd_bus *b, const char *unit, char **path, char *why, size_t why_len)
{
	_cleanup_msg_ sd_bus_message *reply = NULL;
	const char *p = NULL;
	int r = call(b, SD_PATH, SD_MANAGER, "LoadUnit", &unit, 1, unit, &reply, why, why_len);
	if (r < 0)
		return r;
	if ((r = sd_bus_message_read_basic(reply, 'o', &p)) < 0 || !p) {
		snprintf(why, why_len, "systemd's answer to LoadUnit %s not understood", unit);
		return r < 0 ? r : -EBADMSG;
	}
	*path = xstrdup(p);
	return 0;
}

/* The interface that has the property: Result is the unit type's own. */
static const char *prop_interface(const char *unit, const char *prop, char *buf, size_t len)
{
	static const char *const types[][2] = {
		{ ".service", "Service" }, { ".socket", "Socket" }, { ".timer", "Timer" },
		{ ".mount", "Mount" },     { ".path", "Path" },     { ".swap", "Swap" },
		{ ".automount", "Automount" }, { ".scope", "Scope" },
	};
	if (strcmp(prop, "Result") != 0)
		return SD_UNIT;
	const char *dot = strrchr(unit, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
		if (!strcmp(dot, types[i][0])) {
			snprintf(buf, len, "org.freedesktop.systemd1.%s", types[i][1]);
			return buf;
		}
	return NULL;   /* a type without a Result (target, device, slice) */
}

/* A property's value as systemctl show prints it, "KEY=VALUE\n" (nothing for
 * a Job= with no job). */
static int print_value(sd_bus_message *v, const char *prop, struct buf *out)
{
	char type;
	const char *contents = NULL;
	int r = sd_bus_message_peek_type(v, &type, &contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if ((r = sd_bus_message_enter_container(v, 'v', contents)) < 0)
		return r;
	union {
		const char *s;
		int b;
		uint8_t y;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
	} val;
	if (!strcmp(contents, "(uo)")) {   /* Job: (number, path); number 0 for none */
		const char *jp;
		if ((r = sd_bus_message_enter_container(v, 'r', "uo")) < 0 ||
		    (r = sd_bus_message_read_basic(v, 'u', &val.u)) < 0 || (r = sd_bus_message_read_basic(v, 'o', &jp)) < 0 ||
		    (r = sd_bus_message_exit_container(v)) < 0)
			return r;
		if (val.u)
			buf_printf(out, "%s=%" PRIu32 "\n", prop, val.u);
		return sd_bus_message_exit_container(v);
	}
	if (strlen(contents) != 1)
		return -EBADMSG;   /* arrays, dictionaries: nothing the agent asks for */
	if ((r = sd_bus_message_read_basic(v, contents[0], &val)) < 0)
		return r;
	switch (contents[0]) {
	case 's': case 'o': case 'g': buf_printf(out, "%s=%s\n", prop, val.s); break;
	case 'b': buf_printf(out, "%s=%s\n", prop, val.b ? "yes" : "no"); break;
	case 'y': buf_printf(out, "%s=%u\n", prop, val.y); break;
	case 'n': buf_printf(out, "%s=%d\n", prop, val.n); break;
	case 'q': buf_printf(out, "%s=%u\n", prop, val.q); break;
	case 'i': buf_printf(out, "%s=%" PRId32 "\n", prop, val.i); break;
	case 'u': buf_printf(out, "%s=%" PRIu32 "\n", prop, val.u); break;
	case 'x': buf_printf(out, "%s=%" PRId64 "\n", prop, val.x); break;
	case 't': buf_printf(out, "%s=%" PRIu64 "\n", prop, val.t); break;
	default: return -EBADMSG;
	}
	return sd_bus_message_exit_container(v);
}

static int show_unit(sd_bus *b, const char *const props[], size_t n_props, const char *unit, struct buf *out,
		     char *why, size_t why_len)
{
	_cleanup_free_ char *path = NULL;
	int r = unit_path(b, unit, &path, why, why_len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_props; i++) {
		char ifbuf[64];
		const char *iface = prop_interface(unit, props[i], ifbuf, sizeof ifbuf);
		if (!iface)
			continue;
		const char *args[] = { iface, props[i] };
		char about[300];   /* the unit and the property, not Get's first argument (the interface) */
		snprintf(about, sizeof about, "%s %s", unit, props[i]);
		_cleanup_msg_ sd_bus_message *reply = NULL;
		if ((r = call(b, path, "org.freedesktop.DBus.Properties", "Get", args, 2, about, &reply, why, why_len)) < 0)
			return r;
		if ((r = print_value(reply, props[i], out)) < 0) {
			snprintf(why, why_len, "systemd's %s of %s not understood", props[i], unit);
			return r;
		}
	}
	return 0;
}

int systemd_show(const char *root, const char *const props[], size_t n_props, const char *const units[],
		 size_t n_units, struct buf *out, char *why, size_t why_len)
{
	_cleanup_bus_ sd_bus *b = NULL;
	int r = bus_open(root, &b, why, why_len);
	for (size_t i = 0; r >= 0 && i < n_units; i++) {
		if (i)
			buf_putc(out, '\n');
		r = show_unit(b, props, n_props, units[i], out, why, why_len);
	}
	return r < 0 ? r : 0;
}

int systemd_loaded(const char *root, const char *const units[], size_t n, bool loaded[], char *why, size_t why_len)
{
	_cleanup_bus_ sd_bus *b = NULL;
	int r = bus_open(root, &b, why, why_len);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_msg_ sd_bus_message *reply = NULL;
		r = call_expecting(b, SD_PATH, SD_MANAGER, "GetUnit", &units[i], 1, units[i], 0, SD_ERR_NO_SUCH_UNIT,
				   &reply, why, why_len);
		loaded[i] = r == 0;
	}
	return r < 0 ? r : 0;
}

int systemd_queue(const char *root, const char *verb, const char *const units[], size_t n, char *why,
		  size_t why_len)
{
	static const char *const verbs[][2] = {
		{ "start", "StartUnit" }, { "stop", "StopUnit" },
		{ "restart", "RestartUnit" }, { "try-restart", "TryRestartUnit" },
	};
	const char *method = NULL;
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
		if (!strcmp(verb, verbs[i][0]))
			method = verbs[i][1];
	if (!method) {
		snprintf(why, why_len, "no such job: %s", verb);
		return -EINVAL;
	}
	_cleanup_bus_ sd_bus *b = NULL;
	int r = bus_open(root, &b, why, why_len);
	if (r < 0)
		return r;
	/* as systemctl does: a refused unit does not keep the others from their jobs */
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		const char *args[] = { units[i], "replace" };
		_cleanup_msg_ sd_bus_message *reply = NULL;
		char w[300];
		if ((r = call(b, SD_PATH, SD_MANAGER, method, args, 2, units[i], &reply, w, sizeof w)) < 0 && !first) {
			first = r;
			snprintf(why, why_len, "%s", w);
		}
	}
	return first;
}

int systemd_reload(const char *root, char *why, size_t why_len)
{
	_cleanup_bus_ sd_bus *b = NULL;
	_cleanup_msg_ sd_bus_message *reply = NULL;
	int r = bus_open(root, &b, why, why_len);
	if (r < 0)
		return r;
	/* systemd answers once the reload is over: waited for as systemctl does */
	return call_within(b, SD_PATH, SD_MANAGER, "Reload", NULL, 0, "(daemon-reload)",
			   SYSTEMD_RELOAD_TIMEOUT_US, &reply, why, why_len);
}
