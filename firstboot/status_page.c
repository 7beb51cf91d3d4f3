/* The monitoring host's status page; see status_page.h. */
#include "firstboot/status_page.h"
#include "firstboot/http_get.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include "profiles/yaml_tree.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* The agent's steps in the order they run (agent.c); others follow. */
static const char *const step_order[] = { "seed", "identity", "secrets", "datadisk", "monitoring", "role", "join" };
#define N_ORDER (sizeof step_order / sizeof *step_order)
#define MAX_STEPS 16
#define MAX_ITEMS 32

struct sp_host {
	char *name, *role;
	int node_up;                       /* -1: no node scrape answer known */
	int ready;                         /* -1: unknown */
	char *jobs[MAX_ITEMS]; int job_up[MAX_ITEMS]; size_t n_jobs;
	char *step[MAX_STEPS], *state[MAX_STEPS]; size_t n_steps;
	char *alerts[MAX_ITEMS]; size_t n_alerts;
};

struct sp {
	struct sp_host *hosts;
	size_t n, cap;
};

static struct sp_host *host_get(struct sp *p, const char *name, const char *role)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->hosts[i].name, name))
			return &p->hosts[i];
	p->hosts = xgrow(p->hosts, &p->cap, p->n + 1, sizeof *p->hosts);
	struct sp_host *h = &p->hosts[p->n++];
	*h = (struct sp_host){ .name = xstrdup(name), .role = xstrdup(role ? role : "?"), .node_up = -1, .ready = -1 };
	return h;
}

static void sp_free(struct sp *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct sp_host *h = &p->hosts[i];
		free(h->name);
		free(h->role);
		for (size_t j = 0; j < h->n_jobs; j++)
			free(h->jobs[j]);
		for (size_t j = 0; j < h->n_steps; j++) {
			free(h->step[j]);
			free(h->state[j]);
		}
		for (size_t j = 0; j < h->n_alerts; j++)
			free(h->alerts[j]);
	}
	free(p->hosts);
}

static const char *label(const struct ynode *sample, const char *key)
{
	const struct ynode *v = ytree_get(ytree_get(sample, "metric"), key);
	return v && v->type == YN_SCALAR ? v->value : NULL;
}

/* The sample's value ("1", "0", ...) from "value": [ts, "v"]. */
static const char *value(const struct ynode *sample)
{
	const struct ynode *v = ytree_get(sample, "value");
	return v && v->type == YN_SEQ && v->n == 2 && v->items[1]->type == YN_SCALAR ? v->items[1]->value : NULL;
}

/* Parses one /api/v1/query answer; *res is its result list. */
static int vector(const char *json, struct ynode **root, const struct ynode **res)
{
	struct diags d = { 0 };
	int r = ytree_parse("prometheus", json, strlen(json), root, &d);
	diags_free(&d);
	const struct ynode *st = r == 0 ? ytree_get(*root, "status") : NULL, *data = r == 0 ? ytree_get(*root, "data") : NULL;
	const struct ynode *type = ytree_get(data, "resultType");
	*res = ytree_get(data, "result");
	if (r < 0 || !st || st->type != YN_SCALAR || strcmp(st->value, "success") || !type || type->type != YN_SCALAR ||
	    strcmp(type->value, "vector") || !*res || (*res)->type != YN_SEQ) {
		ytree_free(*root);
		*root = NULL;
		return -EBADMSG;
	}
	return 0;
}

enum kind { K_UP, K_STEPS, K_READY, K_ALERTS };

static void take(struct sp *p, enum kind k, const struct ynode *s)
{
	const char *name = label(s, "host"), *v = value(s);
	if (!name || !v)
		return;
	struct sp_host *h = host_get(p, name, label(s, "role"));
	const char *job = label(s, "job"), *step = label(s, "step"), *state = label(s, "state"), *alert = label(s, "alertname");
	switch (k) {
	case K_UP:
		if (job && !strcmp(job, "node"))
			h->node_up = !strcmp(v, "1");
		else if (job && h->n_jobs < MAX_ITEMS) {
			h->jobs[h->n_jobs] = xstrdup(job);
			h->job_up[h->n_jobs++] = !strcmp(v, "1");
		}
		break;
	case K_STEPS:
		if (step && state && h->n_steps < MAX_STEPS) {
			h->step[h->n_steps] = xstrdup(step);
			h->state[h->n_steps++] = xstrdup(state);
		}
		break;
	case K_READY:
		h->ready = !strcmp(v, "1");
		break;
	case K_ALERTS:
		if (alert && h->n_alerts < MAX_ITEMS) {
			for (size_t i = 0; i < h->n_alerts; i++)
				if (!strcmp(h->alerts[i], alert))
					return;
			h->alerts[h->n_alerts++] = xstrdup(alert);
		}
		break;
	}
}

static size_t rank(const char *step)
{
	for (size_t i = 0; i < N_ORDER; i++)
		if (!strcmp(step_order[i], step))
			return i;
	return N_ORDER;
}

static int host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sp_host *)a)->name, ((const struct sp_host *)b)->name);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Steps in the agent's order, jobs and alerts by name: stable output. */
static void order(struct sp_host *h)
{
	for (size_t i = 1; i < h->n_steps; i++)
		for (size_t j = i; j > 0; j--) {
			size_t ra = rank(h->step[j - 1]), rb = rank(h->step[j]);
			if (ra < rb || (ra == rb && strcmp(h->step[j - 1], h->step[j]) <= 0))
				break;
			char *t = h->step[j]; h->step[j] = h->step[j - 1]; h->step[j - 1] = t;
			t = h->state[j]; h->state[j] = h->state[j - 1]; h->state[j - 1] = t;
		}
	for (size_t i = 1; i < h->n_jobs; i++)
		for (size_t j = i; j > 0 && strcmp(h->jobs[j - 1], h->jobs[j]) > 0; j--) {
			char *t = h->jobs[j]; h->jobs[j] = h->jobs[j - 1]; h->jobs[j - 1] = t;
			int u = h->job_up[j]; h->job_up[j] = h->job_up[j - 1]; h->job_up[j - 1] = u;
		}
	if (h->n_alerts)
		qsort(h->alerts, h->n_alerts, sizeof *h->alerts, str_cmp);
}

static const char *failed_step(const struct sp_host *h)
{
	for (size_t i = 0; i < h->n_steps; i++)
		if (!strcmp(h->state[i], "failed"))
			return h->step[i];
	return NULL;
}

static void tri(struct buf *b, int v)
{
	buf_puts(b, v < 0 ? "null" : v ? "true" : "false");
}

static void to_json(const struct sp *p, const struct status_page_input *in, struct buf *b)
{
	bool all = p->n > 0;
	for (size_t i = 0; i < p->n; i++)
		all &= p->hosts[i].ready == 1 && p->hosts[i].node_up == 1 && !p->hosts[i].n_alerts;
	buf_puts(b, "{\"deployment\":");
	json_str(b, in->deployment);
	buf_printf(b, ",\"generated\":%" PRId64 ",\"healthy\":%s,\"hosts\":[", in->now, all ? "true" : "false");
	for (size_t i = 0; i < p->n; i++) {
		const struct sp_host *h = &p->hosts[i];
		buf_puts(b, i ? ",{\"host\":" : "{\"host\":");
		json_str(b, h->name);
		buf_puts(b, ",\"role\":");
		json_str(b, h->role);
		buf_puts(b, ",\"up\":");
		tri(b, h->node_up);
		buf_puts(b, ",\"ready\":");
		tri(b, h->ready);
		buf_puts(b, ",\"failed_step\":");
		json_str(b, failed_step(h));
		buf_puts(b, ",\"scrapes\":{");
		for (size_t j = 0; j < h->n_jobs; j++) {
			buf_puts(b, j ? "," : "");
			json_str(b, h->jobs[j]);
			buf_puts(b, h->job_up[j] ? ":\"up\"" : ":\"down\"");
		}
		buf_puts(b, "},\"steps\":{");
		for (size_t j = 0; j < h->n_steps; j++) {
			buf_puts(b, j ? "," : "");
			json_str(b, h->step[j]);
			buf_putc(b, ':');
			json_str(b, h->state[j]);
		}
		buf_puts(b, "},\"alerts\":[");
		for (size_t j = 0; j < h->n_alerts; j++) {
			buf_puts(b, j ? "," : "");
			json_str(b, h->alerts[j]);
		}
		buf_puts(b, "]}");
	}
	buf_puts(b, "]}\n");
}

static void to_html(const struct sp *p, const struct status_page_input *in, struct buf *b)
{
	buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"30\">\n"
		    "<title>kiln: ");
	buf_put_markup(b, in->deployment);
	buf_puts(b, "</title>\n<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}"
		    ".bad{color:#b00}.ok{color:#070}</style></head><body>\n<h1>Deployment ");
	buf_put_markup(b, in->deployment);
	buf_printf(b, "</h1>\n<p>Built from Prometheus' scrapes at %" PRId64 " (Unix time); also as "
		      "<a href=\"status.json\">status.json</a>. Why a step failed: <code>kiln-firstboot status</code> "
		      "on that host.</p>\n<table>\n<tr><th>host</th><th>role</th><th>scraped</th><th>first boot</th>"
		      "<th>other scrapes</th><th>alerts firing</th></tr>\n", in->now);
	for (size_t i = 0; i < p->n; i++) {
		const struct sp_host *h = &p->hosts[i];
		const char *failed = failed_step(h);
		buf_puts(b, "<tr><td>");
		buf_put_markup(b, h->name);
		buf_puts(b, "</td><td>");
		buf_put_markup(b, h->role);
		buf_printf(b, "</td><td class=\"%s\">%s</td><td class=\"%s\">", h->node_up == 1 ? "ok" : "bad",
			   h->node_up == 1 ? "up" : h->node_up == 0 ? "down" : "unknown",
			   h->ready == 1 ? "ok" : "bad");
		if (failed) {
			buf_puts(b, "failed: ");
			buf_put_markup(b, failed);
		} else
			buf_puts(b, h->ready == 1 ? "ready" : h->ready == 0 ? "in progress" : "unknown");
		buf_puts(b, "</td><td>");
		for (size_t j = 0; j < h->n_jobs; j++) {
			buf_printf(b, "%s<span class=\"%s\">", j ? ", " : "", h->job_up[j] ? "ok" : "bad");
			buf_put_markup(b, h->jobs[j]);
			buf_printf(b, " %s</span>", h->job_up[j] ? "up" : "down");
		}
		buf_puts(b, "</td><td class=\"bad\">");
		for (size_t j = 0; j < h->n_alerts; j++) {
			buf_puts(b, j ? ", " : "");
			buf_put_markup(b, h->alerts[j]);
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table>\n</body></html>\n");
}

int status_page_build(const struct status_page_input *in, struct buf *json, struct buf *html)
{
	const char *answers[] = { in->up, in->steps, in->ready, in->alerts };
	struct sp p = { 0 };
	int r = 0;
	for (int k = 0; r == 0 && k < 4; k++) {
		struct ynode *root = NULL;
		const struct ynode *res;
		if ((r = vector(answers[k] ? answers[k] : "", &root, &res)) < 0)
			break;
		for (size_t i = 0; i < res->n; i++)
			take(&p, (enum kind)k, res->items[i]);
		ytree_free(root);
	}
	if (r == 0) {
		if (p.n)
			qsort(p.hosts, p.n, sizeof *p.hosts, host_cmp);
		for (size_t i = 0; i < p.n; i++)
			order(&p.hosts[i]);
		to_json(&p, in, json);
		to_html(&p, in, html);
	}
	sp_free(&p);
	return r;
}

/* Deadlines for Prometheus' answers: readiness is a cheap probe; a query
 * on a busy host can take longer, but not longer than one run's share of
 * the timer's 30 s period. */
#define PROM_READY_TIMEOUT_MS 3000
#define PROM_QUERY_TIMEOUT_MS 10000

/* One instant query; does not log: *why says what went wrong. */
static int query(const char *prom_url, const char *promql, const struct http_tls *tls, struct buf *out, long *code,
		 char *why, size_t why_len)
{
	struct buf url;
	buf_init(&url);
	buf_printf(&url, "%s/api/v1/query?query=", prom_url);
	for (const unsigned char *c = (const unsigned char *)promql; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-_.~", *c))
			buf_putc(&url, (char)*c);
		else
			buf_printf(&url, "%%%02X", *c);
	}
	*code = 0;
	int r = http_get(url.data, tls, PROM_QUERY_TIMEOUT_MS, 4u << 20, out, code, why, why_len);
	if (r == 0 && *code != 200) {
		snprintf(why, why_len, "HTTP %ld", *code);
		r = -EPROTO;
	}
	buf_free(&url);
	return r;
}

/* A query Prometheus did not answer in time, refused or dropped (it
 * restarts) or answered 503 (busy): the same as not ready, a later run
 * does it. Other
 * failures (a 4xx, a TLS error, an answer that is not a vector) are kiln's
 * or the configuration's and fail the run. */
static bool query_transient(int r, long code)
{
	return r == -ETIMEDOUT || r == -ECONNREFUSED || r == -ECONNRESET || (r == -EPROTO && code == 503);
}

/* Prometheus answers /-/ready with 200 once it has loaded its storage and
 * rules (503 before). On a monitoring host that is still booting, its
 * start-up gets only the CPU the rest leaves (StartupCPUWeight=idle), so
 * the first runs of kiln-metrics can come before it is ready: they skip
 * the page instead of failing the unit (the textfile is already written). */
static bool prometheus_ready(const char *prom_url, const struct http_tls *tls)
{
	_cleanup_free_ char *url = xasprintf("%s/-/ready", prom_url);
	struct buf body;
	buf_init(&body);
	char why[256] = "";
	long code = 0;
	int r = http_get(url, tls, PROM_READY_TIMEOUT_MS, 4096, &body, &code, why, sizeof why);
	buf_free(&body);
	if (r == 0 && code == 200)
		return true;
	if (r == 0)
		snprintf(why, sizeof why, "HTTP %ld", code);
	log_warn("status page: Prometheus at %s is not ready (%s); the page is updated on a later run", prom_url,
		 why[0] ? why : strerror(-r));
	return false;
}

int status_page_update(const char *root, const char *prom_url, const char *deployment)
{
	static const char *const q[] = { "up", "kiln_firstboot_step_state == 1", "kiln_firstboot_ready",
					 "ALERTS{alertstate=\"firing\"}" };
	const char *base = strcmp(root, "/") ? root : "";
	_cleanup_free_ char *ca = xasprintf("%s%s/%s", base, MON_TLS_DIR, MON_CA_FILE);
	_cleanup_free_ char *cert = xasprintf("%s%s/%s", base, MON_TLS_DIR, MON_SCRAPE_CERT);
	_cleanup_free_ char *key = xasprintf("%s%s/%s", base, KILN_SECRETS_DIR, MON_SCRAPE_KEY);
	struct http_tls tls = { ca, cert, key };
	if (!prometheus_ready(prom_url, &tls))
		return 0;
	struct buf ans[4], json, html;
	int r = 0;
	for (int i = 0; i < 4; i++)
		buf_init(&ans[i]);
	buf_init(&json);
	buf_init(&html);
	char why[256] = "";
	long code = 0;
	int i;
	for (i = 0; r == 0 && i < 4; i++)
		r = query(prom_url, q[i], &tls, &ans[i], &code, why, sizeof why);
	if (r < 0 && query_transient(r, code)) {
		log_warn("status page: Prometheus at %s did not answer %s (%s); the page is updated on a later run",
			 prom_url, q[i - 1], why[0] ? why : strerror(-r));
		r = 1;   /* skipped: the page stays as it was */
	} else if (r < 0)
		log_error("status page: asking Prometheus %s failed: %s", q[i - 1], why[0] ? why : strerror(-r));
	struct status_page_input in = { deployment, (int64_t)time(NULL), ans[0].data, ans[1].data, ans[2].data, ans[3].data };
	if (r == 0 && (r = status_page_build(&in, &json, &html)) < 0)
		log_error("status page: Prometheus' answers are not instant vectors");
	if (r == 0) {
		_cleanup_free_ char *dir = xasprintf("%s%s", base, MON_STATUS_DIR);
		_cleanup_free_ char *jp = path_join(dir, "status.json"), *hp = path_join(dir, "index.html");
		if ((r = mkdir_p(dir, 0755)) < 0 || (r = write_file_atomic(jp, json.data, json.len, 0644)) < 0 ||
		    (r = write_file_atomic(hp, html.data, html.len, 0644)) < 0)
			log_error_errno(r, "writing the status page under %s", dir);
	}
	for (i = 0; i < 4; i++)
		buf_free(&ans[i]);
	buf_free(&json);
	buf_free(&html);
	return r > 0 ? 0 : r;
}
