#include "firstboot/status.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/numparse.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

static const char *const state_names[] = { "pending", "running", "done", "failed", "skipped" };

const char *step_state_name(enum step_state s) { return state_names[s]; }

static int state_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof state_names / sizeof *state_names; i++)
		if (!strcmp(state_names[i], s))
			return (int)i;
	return -1;
}

void status_free(struct status *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->steps[i].name);
		free(s->steps[i].reason);
	}
	free(s->steps);
	free(s->datasource);
	memset(s, 0, sizeof *s);
}

struct step *status_step(struct status *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->steps[i].name, name))
			return &s->steps[i];
	return NULL;
}

static struct step *step_add(struct status *s, const char *name)
{
	s->steps = xgrow(s->steps, &s->cap, s->n + 1, sizeof *s->steps);
	struct step *st = &s->steps[s->n++];
	memset(st, 0, sizeof *st);
	st->name = xstrdup(name);
	st->started_ms = st->ms = -1;
	return st;
}

void status_set(struct status *s, const char *name, enum step_state state, const char *fmt, ...)
{
	struct step *st = status_step(s, name);
	if (!st)
		st = step_add(s, name);
	st->state = state;
	free(st->reason);
	st->reason = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&st->reason, fmt, ap) < 0)
			st->reason = NULL;
		va_end(ap);
	}
	st->updated = (int64_t)time(NULL);
}

bool status_done(const struct status *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->steps[i].name, name))
			return s->steps[i].state == STEP_DONE;
	return false;
}

int64_t status_clock_ms(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_BOOTTIME, &t) < 0)
		clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void status_time_begin(struct status *s, const char *name, int64_t now_ms)
{
	struct step *st = status_step(s, name);
	if (!st)
		st = step_add(s, name);
	st->started_ms = now_ms;
	st->ms = -1;
	st->n_phases = 0;
}

void status_time_end(struct status *s, const char *name, int64_t now_ms)
{
	struct step *st = status_step(s, name);
	if (st && st->started_ms >= 0)
		st->ms = now_ms >= st->started_ms ? now_ms - st->started_ms : 0;
}

void status_phase_add(struct status *s, const char *step, const char *phase, int64_t ms)
{
	struct step *st = status_step(s, step);
	if (!st || ms < 0)
		return;
	if (strlen(phase) >= STATUS_PHASE_NAME)
		phase = "other";
	for (size_t i = 0; i < st->n_phases; i++)
		if (!strcmp(st->phases[i].name, phase)) {
			st->phases[i].ms += ms;
			return;
		}
	if (st->n_phases == STATUS_MAX_PHASES) {
		/* the last slot becomes "other", holding what does not fit */
		struct step_phase *o = &st->phases[STATUS_MAX_PHASES - 1];
		if (strcmp(o->name, "other"))
			snprintf(o->name, sizeof o->name, "other");
		o->ms += ms;
		return;
	}
	struct step_phase *p = &st->phases[st->n_phases++];
	snprintf(p->name, sizeof p->name, "%s", phase);
	p->ms = ms;
}

static void ms_json(struct buf *b, int64_t ms)
{
	if (ms < 0)
		buf_puts(b, "null");
	else
		buf_printf(b, "%" PRId64, ms);
}

static void steps_json(const struct status *s, struct buf *b, const char *indent);

static void print_backups(const struct status *backups, FILE *f);

static void to_json(const struct status *s, const struct status *backups, const char *extra, struct buf *b)
{
	buf_printf(b, "{\n  \"version\": 1,\n  \"ready\": %s,\n  \"seed_serial\": ", status_ready(s) ? "true" : "false");
	buf_printf(b, "%" PRIu64 ",\n  \"datasource\": ", s->seed_serial);
	if (s->datasource)
		json_str(b, s->datasource);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\n  \"steps\": [");
	steps_json(s, b, "    ");
	if (backups) {
		/* the backup runs (firstboot/backup.h): not first-boot steps, so
		 * no part of "ready" */
		buf_puts(b, s->n ? "\n  ],\n  \"backups\": [" : "],\n  \"backups\": [");
		steps_json(backups, b, "    ");
		buf_puts(b, backups->n ? "\n  ]" : "]");
	} else
		buf_puts(b, s->n ? "\n  ]" : "]");
	if (extra)
		buf_printf(b, ",\n  %s", extra);
	buf_puts(b, "\n}\n");
}

static void steps_json(const struct status *s, struct buf *b, const char *indent)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct step *st = &s->steps[i];
		buf_printf(b, "%s\n%s{", i ? "," : "", indent);
		buf_puts(b, "\"name\": ");
		json_str(b, st->name);
		buf_printf(b, ", \"state\": \"%s\", \"updated\": %" PRId64 ", \"reason\": ",
			   step_state_name(st->state), st->updated);
		if (st->reason)
			json_str(b, st->reason);
		else
			buf_puts(b, "null");
		buf_puts(b, ", \"started_ms\": ");
		ms_json(b, st->started_ms);
		buf_puts(b, ", \"ms\": ");
		ms_json(b, st->ms);
		buf_puts(b, ", \"phases\": {");
		for (size_t k = 0; k < st->n_phases; k++) {
			buf_puts(b, k ? ", " : "");
			json_str(b, st->phases[k].name);
			buf_printf(b, ": %" PRId64, st->phases[k].ms);
		}
		buf_puts(b, "}}");
	}
}

int status_save(const char *path, const struct status *s)
{
	struct buf b;
	buf_init(&b);
	to_json(s, NULL, NULL, &b);
	int r = write_file_atomic(path, b.data, b.len, 0644);
	buf_free(&b);
	return r;
}

/* Reading: the file is our own JSON, which libyaml parses as flow YAML.
 * Walk the document tree; anything unexpected is -EBADMSG. */
static const char *scalar(yaml_document_t *d, yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool scalar_is_null(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp((const char *)n->data.scalar.value, "null");
}

/* A duration or time in ms: a plain integer, or null (-1). */
static int parse_ms(yaml_node_t *n, int64_t *out)
{
	uint64_t v;
	if (scalar_is_null(n)) {
		*out = -1;
		return 0;
	}
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    parse_u64((const char *)n->data.scalar.value, 0, INT64_MAX, &v) < 0)
		return -EBADMSG;
	*out = (int64_t)v;
	return 0;
}

/* "phases": {"name": ms, ...} */
static int parse_phases(yaml_document_t *d, yaml_node_t *n, struct step_phase *ph, size_t *n_ph)
{
	if (n->type != YAML_MAPPING_NODE)
		return -EBADMSG;
	*n_ph = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = scalar(d, yaml_document_get_node(d, p->key));
		int64_t ms;
		if (!k || !*k || strlen(k) >= STATUS_PHASE_NAME || *n_ph == STATUS_MAX_PHASES ||
		    parse_ms(yaml_document_get_node(d, p->value), &ms) < 0 || ms < 0)
			return -EBADMSG;
		for (size_t i = 0; i < *n_ph; i++)
			if (!strcmp(ph[i].name, k))
				return -EBADMSG;   /* a phase named twice */
		snprintf(ph[*n_ph].name, sizeof ph[*n_ph].name, "%s", k);
		ph[(*n_ph)++].ms = ms;
	}
	return 0;
}

static int parse_step(yaml_document_t *d, yaml_node_t *n, struct status *s)
{
	if (n->type != YAML_MAPPING_NODE)
		return -EBADMSG;
	const char *name = NULL, *state = NULL, *reason = NULL, *updated = NULL;
	int64_t started_ms = -1, ms = -1;
	struct step_phase ph[STATUS_MAX_PHASES];
	size_t n_ph = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = scalar(d, yaml_document_get_node(d, p->key));
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		if (k && !strcmp(k, "phases")) {
			if (!vn || parse_phases(d, vn, ph, &n_ph) < 0)
				return -EBADMSG;
			continue;
		}
		const char *v = scalar(d, vn);
		if (!k || !v)
			return -EBADMSG;
		if (!strcmp(k, "started_ms") || !strcmp(k, "ms")) {
			if (parse_ms(vn, !strcmp(k, "ms") ? &ms : &started_ms) < 0)
				return -EBADMSG;
			continue;
		}
		if (!strcmp(k, "name"))
			name = v;
		else if (!strcmp(k, "state"))
			state = v;
		else if (!strcmp(k, "reason"))
			reason = scalar_is_null(vn) ? NULL : v;
		else if (!strcmp(k, "updated"))
			updated = v;
	}
	int st = state ? state_from_name(state) : -1;
	if (!name || st < 0)
		return -EBADMSG;
	struct step *x = status_step(s, name);
	if (!x)
		x = step_add(s, name);
	x->state = (enum step_state)st;
	free(x->reason);
	x->reason = reason ? xstrdup(reason) : NULL;
	uint64_t t = 0;
	if (updated && parse_u64(updated, 0, INT64_MAX, &t) < 0)
		return -EBADMSG;
	x->updated = (int64_t)t;
	x->started_ms = started_ms;
	x->ms = ms;
	memcpy(x->phases, ph, n_ph * sizeof *ph);
	x->n_phases = n_ph;
	return 0;
}

static int parse_doc(yaml_document_t *d, struct status *s)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	if (!root || root->type != YAML_MAPPING_NODE)
		return -EBADMSG;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *k = scalar(d, yaml_document_get_node(d, p->key));
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		if (!k)
			return -EBADMSG;
		if (!strcmp(k, "seed_serial")) {
			if (!scalar(d, v) || parse_u64(scalar(d, v), 0, UINT64_MAX, &s->seed_serial) < 0)
				return -EBADMSG;
		}
		else if (!strcmp(k, "datasource") && scalar(d, v) && !scalar_is_null(v)) {
			free(s->datasource);   /* a repeated key: the last one counts */
			s->datasource = xstrdup(scalar(d, v));
		}
		else if (!strcmp(k, "steps")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return -EBADMSG;
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				int r = parse_step(d, yaml_document_get_node(d, *i), s);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

int status_load(const char *path, struct status *s)
{
	memset(s, 0, sizeof *s);
	char *data;
	size_t len;
	int r = read_input(path, INPUT_NOFOLLOW, 1u << 20, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	yaml_parser_t p;
	yaml_document_t d;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	if (!yaml_parser_load(&p, &d)) {
		yaml_parser_delete(&p);
		free(data);
		return -EBADMSG;
	}
	r = parse_doc(&d, s);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	free(data);
	if (r < 0)
		status_free(s);
	return r;
}

void status_print(const struct status *s, FILE *f, bool json)
{
	status_print_with_backups(s, NULL, f, json);
}

void status_print_with_backups(const struct status *s, const struct status *backups, FILE *f, bool json)
{
	status_print_ext(s, backups, NULL, NULL, f, json);
}

void status_print_ext(const struct status *s, const struct status *backups, const char *extra_json,
		      const char *extra_text, FILE *f, bool json)
{
	if (json) {
		struct buf b;
		buf_init(&b);
		to_json(s, backups, extra_json, &b);
		fputs(b.data, f);
		buf_free(&b);
		return;
	}
	fprintf(f, "seed serial: %" PRIu64 "\ndatasource:  %s\n", s->seed_serial,
		s->datasource ? s->datasource : "-");
	for (size_t i = 0; i < s->n; i++) {
		const struct step *st = &s->steps[i];
		fprintf(f, "  %-14s %-8s %s\n", st->name, step_state_name(st->state),
			st->reason ? st->reason : "");
	}
	if (!s->n)
		fprintf(f, "  (no steps run yet)\n");
	if (backups)
		print_backups(backups, f);
	if (extra_text)
		fputs(extra_text, f);
}

static void print_backups(const struct status *backups, FILE *f)
{
	fprintf(f, "backups:\n");
	for (size_t i = 0; i < backups->n; i++) {
		const struct step *st = &backups->steps[i];
		char when[32] = "";
		time_t t = (time_t)st->updated;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(f, "  %-14s %-8s %s %s\n", st->name, step_state_name(st->state), when,
			st->reason ? st->reason : "");
	}
	if (!backups->n)
		fprintf(f, "  (none run yet)\n");
}

void status_print_times(const struct status *s, FILE *f)
{
	fprintf(f, "  %-14s %9s %8s  %s\n", "step", "began at", "took", "phases");
	for (size_t i = 0; i < s->n; i++) {
		const struct step *st = &s->steps[i];
		char at[32] = "-", took[32] = "-";
		if (st->started_ms >= 0)
			snprintf(at, sizeof at, "%.1f s", (double)st->started_ms / 1000);
		if (st->ms >= 0)
			snprintf(took, sizeof took, "%.1f s", (double)st->ms / 1000);
		else if (st->started_ms >= 0)
			snprintf(took, sizeof took, "(runs)");
		fprintf(f, "  %-14s %9s %8s ", st->name, at, took);
		for (size_t k = 0; k < st->n_phases; k++)
			fprintf(f, "%s %s %.1f s", k ? "," : "", st->phases[k].name, (double)st->phases[k].ms / 1000);
		fputc('\n', f);
	}
}

bool status_ready(const struct status *s)
{
	bool join_over = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct step *st = &s->steps[i];
		if (st->state != STEP_DONE && st->state != STEP_SKIPPED)
			return false;
		if (!strcmp(st->name, "join"))
			join_over = true;
	}
	/* "join" is the last step of every role (skipped on data hosts): only
	 * when it is over is the host ready, not when the early stage has merely
	 * finished all it had to do. */
	return join_over;
}

void status_summary(const struct status *s, char *buf, size_t len)
{
	size_t done = 0;
	const struct step *failed = NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (s->steps[i].state == STEP_DONE || s->steps[i].state == STEP_SKIPPED)
			done++;
		else if (s->steps[i].state == STEP_FAILED && !failed)
			failed = &s->steps[i];
	}
	if (failed)
		snprintf(buf, len, "kiln: %zu/%zu steps done; %s failed: %s", done, s->n, failed->name,
			 failed->reason ? failed->reason : "see kiln-firstboot status");
	else
		snprintf(buf, len, "kiln: %zu/%zu steps done%s", done, s->n,
			 status_ready(s) ? " - deployment ready" : ", more to come");
}
