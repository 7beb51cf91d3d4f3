/* Waiting for units started with --no-block; see unit_wait.h. */
#include "firstboot/unit_wait.h"
#include "lib/cleanup.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static void set(char *dst, size_t cap, const char *v, size_t len)
{
	if (len >= cap)
		len = cap - 1;   /* longer than any value systemd has: kept truncated */
	memcpy(dst, v, len);
	dst[len] = 0;
}

static int parse_line(const char *line, size_t len, struct unit_state *s, unsigned *seen)
{
	const char *eq = memchr(line, '=', len);
	if (!eq || eq == line)
		return -EBADMSG;
	size_t klen = (size_t)(eq - line), vlen = len - klen - 1;
	const char *v = eq + 1;
#define KEY(k) (klen == sizeof k - 1 && !memcmp(line, k, klen))
	if (KEY("Id"))
		set(s->id, sizeof s->id, v, vlen);
	else if (KEY("LoadState")) {
		set(s->load, sizeof s->load, v, vlen);
		*seen |= 1;
	} else if (KEY("ActiveState")) {
		set(s->active, sizeof s->active, v, vlen);
		*seen |= 2;
	} else if (KEY("SubState"))
		set(s->sub, sizeof s->sub, v, vlen);
	else if (KEY("Result"))
		set(s->result, sizeof s->result, v, vlen);
	else if (KEY("Job"))
		s->job = vlen > 0;
	else if (KEY("ActiveEnterTimestampMonotonic")) {
		uint64_t us = 0;
		bool num = vlen > 0 && vlen <= 19;
		for (size_t i = 0; num && i < vlen; i++) {
			num = v[i] >= '0' && v[i] <= '9';
			us = us * 10 + (uint64_t)(v[i] - '0');
		}
		s->active_since_ms = num && us > 0 ? (int64_t)(us / 1000) : -1;
	}
#undef KEY
	return 0;   /* other properties: not ours to judge */
}

int unit_show_parse(const char *text, size_t n, struct unit_state *st)
{
	size_t block = 0;        /* blocks started */
	unsigned seen = 0;
	bool in_block = false;
	memset(st, 0, n * sizeof *st);
	for (size_t i = 0; i < n; i++)
		st[i].active_since_ms = -1;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 0) {
			if (in_block && seen != 3)
				return -EBADMSG;
			in_block = false;
		} else {
			if (!in_block) {
				if (block == n)
					return -EBADMSG;   /* more units than asked */
				block++;
				in_block = true;
				seen = 0;
			}
			if (parse_line(p, len, &st[block - 1], &seen) < 0)
				return -EBADMSG;
		}
		p += len + (nl ? 1 : 0);
	}
	if ((in_block && seen != 3) || block != n)
		return -EBADMSG;
	return 0;
}

enum unit_verdict unit_verdict(const struct unit_want *w, const struct unit_state *s, char *why, size_t why_len)
{
	const char *res = s->result[0] ? s->result : "none";
	if (strcmp(s->load, "loaded")) {
		snprintf(why, why_len, "%s is %s", w->name, s->load);
		return UNIT_FAILED;
	}
	if (s->job)
		return UNIT_PENDING;
	if (!strcmp(s->active, "active"))
		return UNIT_UP;
	if (!strcmp(s->active, "activating") && !strcmp(s->sub, "auto-restart")) {
		snprintf(why, why_len, "%s exited (%s) and is restarting", w->name, res);
		return w->peer ? UNIT_RETRYING : UNIT_FAILED;
	}
	if (!strcmp(s->active, "failed")) {
		snprintf(why, why_len, "%s failed (%s)", w->name, res);
		return UNIT_FAILED;
	}
	if (!strcmp(s->active, "inactive")) {
		snprintf(why, why_len, "%s is not running (%s, %s)", w->name, s->sub[0] ? s->sub : "inactive", res);
		return UNIT_FAILED;
	}
	return UNIT_PENDING;   /* activating, deactivating, reloading, refreshing: on its way */
}

int unit_wait(const struct unit_wait_ops *ops, const struct unit_wait_opts *o, const struct unit_want *units, size_t n,
	      char *why, size_t why_len)
{
	_cleanup_free_ struct unit_state *st = xcalloc(n ? n : 1, sizeof *st);
	int64_t start = ops->now_ms(ops->ud), up_since = -1;
	for (;;) {
		int64_t asked = ops->now_ms(ops->ud);
		struct buf out;
		buf_init(&out);
		int r = ops->show(ops->ud, units, n, &out, why, why_len);
		if (r == 0 && unit_show_parse(out.data ? out.data : "", n, st) < 0) {
			snprintf(why, why_len, "systemd's answer: not one block of properties per unit");
			r = -EBADMSG;
		}
		buf_free(&out);
		if (r < 0)
			return r;
		const char *pending = NULL;
		struct buf retrying;
		buf_init(&retrying);
		for (size_t i = 0; i < n; i++) {
			char w[256] = "";
			enum unit_verdict v = unit_verdict(&units[i], &st[i], w, sizeof w);
			if (v == UNIT_FAILED) {
				buf_free(&retrying);
				snprintf(why, why_len, "%s", w);
				return -EIO;
			}
			if (v == UNIT_PENDING && !pending)
				pending = units[i].name;
			if (v == UNIT_RETRYING)
				buf_printf(&retrying, "%s%s", retrying.len ? "; " : "", w);
		}
		int64_t now = ops->now_ms(ops->ud);
		if (!pending && up_since < 0)
			up_since = now;
		else if (pending)
			up_since = -1;
		/* settled: each unit that is up has been up settle_ms, by its own
		 * activation time or, without one, since every unit was seen up */
		int64_t settled = -1;
		for (size_t i = 0; !pending && i < n; i++) {
			char w[8];
			if (unit_verdict(&units[i], &st[i], w, sizeof w) != UNIT_UP)
				continue;   /* a peer retrying: not waited for */
			int64_t since = st[i].active_since_ms >= 0 && st[i].active_since_ms <= now ? st[i].active_since_ms
												 : up_since;
			if (since > settled)
				settled = since;
		}
		if (settled < 0)
			settled = up_since;   /* no unit up (peers retrying): as before */
		if (!pending && now - settled >= (int64_t)o->settle_ms) {
			snprintf(why, why_len, "%s", retrying.len ? retrying.data : "");
			buf_free(&retrying);
			return 0;
		}
		buf_free(&retrying);
		if (pending && now - start >= (int64_t)o->timeout_ms) {
			snprintf(why, why_len, "%s still starting after %u s", pending, o->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		/* Every question costs CPU at the agent's weight (systemd_show's
		 * calls, answered by systemd itself; it was a systemctl process,
		 * half a second of a one-vCPU TCG guest's CPU), while the units it
		 * waits for start at the idle weight (StartupCPUWeight=idle) and
		 * get only what the questions leave. So while a unit is pending,
		 * asked at most a quarter of the time (the next question after
		 * three times what the last one took, poll_ms at least); with
		 * every unit up, once more when the last has been up settle_ms. */
		int64_t next = 3 * (now - asked);
		if (next < (int64_t)o->poll_ms)
			next = o->poll_ms;
		if (!pending)
			next = settled + (int64_t)o->settle_ms - now;   /* > 0: not settled above */
		ops->sleep_ms(ops->ud, next > (int64_t)UINT_MAX ? UINT_MAX : (unsigned)next);
	}
}

/* What the unit's processes are doing, for why ("starting" ...), or NULL
 * when nothing is under way. A job only queued (a start waiting for the
 * units it is ordered after, the early stage among them) runs nothing yet:
 * the unit is inactive until it runs, and a stop just cancels it. */
static const char *under_way(const struct unit_state *s)
{
	if (!strcmp(s->active, "activating"))
		return strcmp(s->sub, "auto-restart") ? "starting" : NULL;
	if (!strcmp(s->active, "deactivating"))
		return "stopping";
	if (!strcmp(s->active, "reloading") || !strcmp(s->active, "refreshing"))
		return "reloading";
	return NULL;
}

int unit_wait_settled(const struct unit_wait_ops *ops, unsigned timeout_ms, unsigned poll_ms,
		      const struct unit_want *unit, char *why, size_t why_len)
{
	int64_t start = ops->now_ms(ops->ud);
	for (;;) {
		struct unit_state st;
		struct buf out;
		buf_init(&out);
		int r = ops->show(ops->ud, unit, 1, &out, why, why_len);
		if (r == 0 && unit_show_parse(out.data ? out.data : "", 1, &st) < 0) {
			snprintf(why, why_len, "systemd's answer: not one block of properties for %s", unit->name);
			r = -EBADMSG;
		}
		buf_free(&out);
		if (r < 0)
			return r;
		/* a unit not loaded (no such unit yet) runs nothing */
		const char *doing = strcmp(st.load, "loaded") ? NULL : under_way(&st);
		if (!doing) {
			snprintf(why, why_len, "%s", strcmp(st.load, "loaded") ? st.load : st.active);
			return 0;
		}
		if (ops->now_ms(ops->ud) - start >= (int64_t)timeout_ms) {
			snprintf(why, why_len, "%s still %s after %u s", unit->name, doing, timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		ops->sleep_ms(ops->ud, poll_ms);
	}
}

struct reload_block {
	char id[128], load[24];
	bool stale;
	unsigned seen;
};

/* A block is over: its verdict (the first unit that needs a reload names it). */
static int reload_verdict(const struct reload_block *b, int need, char *why, size_t why_len)
{
	if (b->seen != 3)
		return -EBADMSG;
	if (need)
		return need;
	if (strcmp(b->load, "loaded")) {
		snprintf(why, why_len, "%s is %s", b->id[0] ? b->id : "a unit", b->load);
		return 1;
	}
	if (b->stale) {
		snprintf(why, why_len, "%s changed on disk since systemd loaded it", b->id[0] ? b->id : "a unit");
		return 1;
	}
	return 0;
}

int unit_reload_needed(const char *text, size_t n, char *why, size_t why_len)
{
	size_t blocks = 0;
	bool in_block = false;
	int need = 0;
	struct reload_block b;
	for (const char *p = text;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 0 && in_block) {
			if ((need = reload_verdict(&b, need, why, why_len)) < 0)
				return need;
			in_block = false;
		} else if (len) {
			if (!in_block) {
				if (blocks == n)
					return -EBADMSG;   /* more units than asked */
				blocks++;
				in_block = true;
				memset(&b, 0, sizeof b);
			}
			const char *eq = memchr(p, '=', len);
			if (!eq || eq == p)
				return -EBADMSG;
			size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
			const char *v = eq + 1;
			if (klen == 2 && !memcmp(p, "Id", 2))
				set(b.id, sizeof b.id, v, vlen);
			else if (klen == 9 && !memcmp(p, "LoadState", 9)) {
				set(b.load, sizeof b.load, v, vlen);
				b.seen |= 1;
			} else if (klen == 16 && !memcmp(p, "NeedDaemonReload", 16)) {
				b.stale = !(vlen == 2 && !memcmp(v, "no", 2));
				b.seen |= 2;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (in_block && (need = reload_verdict(&b, need, why, why_len)) < 0)
		return need;
	if (blocks != n)
		return -EBADMSG;
	return need;
}
