/* Disk rules (disk_rule.h). */
#include "profiles/disk_rule.h"
#include "profiles/machine_rule.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (UINT64_C(1) << 30)

void disk_size_text(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " GiB", bytes / GIB, (bytes % GIB) * 10 / GIB);
}

static bool glob_ok(const char *pattern, const char *value)
{
	return !pattern || fnmatch(pattern, value ? value : "", 0) == 0;
}

bool disk_rule_match(const struct disk_rule *r, const char *what, const struct disk_facts *d, char *why,
		     size_t why_len)
{
	char buf[64];
	char tmp[8];
	if (!why) {
		why = tmp;
		why_len = sizeof tmp;
	}
	if (r->has_size && (d->size < (uint64_t)r->size_min_gib * GIB || d->size > (uint64_t)r->size_max_gib * GIB)) {
		disk_size_text(d->size, buf, sizeof buf);
		snprintf(why, why_len, "its size %s is outside %s.size_gib [%u, %u]", buf, what, r->size_min_gib,
			 r->size_max_gib);
		return false;
	}
	static const char *const names[] = { "model", "serial", "by_path" };
	const char *const pats[] = { r->model, r->serial, r->by_path };
	const char *const vals[] = { d->model, d->serial, d->path };
	for (size_t i = 0; i < 3; i++)
		if (!glob_ok(pats[i], vals[i])) {
			snprintf(why, why_len, "its %s \"%s\" does not match %s.%s \"%s\"", names[i] + (i == 2 ? 3 : 0),
				 vals[i] ? vals[i] : "", what, names[i], pats[i]);
			return false;
		}
	if (r->rotational >= 0 && d->rotational != (r->rotational == 1)) {
		snprintf(why, why_len, "it is %s and %s.rotational is %s", d->rotational ? "rotational" : "solid state",
			 what, r->rotational ? "true" : "false");
		return false;
	}
	return true;
}

void rule_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

char *disk_rule_text(const struct disk_rule *r)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{");
	const char *sep = "";
	if (r->has_size) {
		buf_printf(&b, "size_gib: [%u, %u]", r->size_min_gib, r->size_max_gib);
		sep = ", ";
	}
	static const char *const names[] = { "model", "serial", "by_path" };
	const char *const pats[] = { r->model, r->serial, r->by_path };
	for (size_t i = 0; i < 3; i++)
		if (pats[i]) {
			buf_printf(&b, "%s%s: ", sep, names[i]);
			rule_quote(&b, pats[i]);
			sep = ", ";
		}
	if (r->rotational >= 0)
		buf_printf(&b, "%srotational: %s", sep, r->rotational ? "true" : "false");
	buf_puts(&b, "}");
	return buf_steal(&b);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void disk_rule_copy(struct disk_rule *dst, const struct disk_rule *src)
{
	*dst = *src;
	dst->model = dup_or_null(src->model);
	dst->serial = dup_or_null(src->serial);
	dst->by_path = dup_or_null(src->by_path);
}

void disk_rule_free(struct disk_rule *r)
{
	free(r->model);
	free(r->serial);
	free(r->by_path);
	memset(r, 0, sizeof *r);
	r->rotational = -1;
}

void install_settings_copy(struct install_settings *dst, const struct install_settings *src)
{
	*dst = *src;
	disk_rule_copy(&dst->disk, &src->disk);
	disk_rule_copy(&dst->data_disk, &src->data_disk);
	machine_rule_copy(&dst->machine, &src->machine);
}

void install_settings_free(struct install_settings *s)
{
	disk_rule_free(&s->disk);
	disk_rule_free(&s->data_disk);
	machine_rule_free(&s->machine);
}
